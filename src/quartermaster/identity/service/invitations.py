"""Invitations: how people become members, with their consent.

An administrator invites an e-mail address with a role; the person gets a link by e-mail
(the core mail port) and accepts it — choosing a password if the address has no account
yet, or confirming with the account's password if it has one — and only then becomes a
member. The inviter learns nothing about the account: the invitation looks the same
whether or not the address is registered, its mail's body (which holds the link) is not
shown in the outbox API, and the person's name appears in the member list only once they
joined. Tokens (``qmi_…``) carry the tenant and the invitation id in clear (the lookup
runs under that tenant's row-level security) and a 256-bit secret stored as a digest;
resending issues a new token and voids the old one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.clock import utcnow
from quartermaster.core.db import set_lookup_email, set_tenant
from quartermaster.core.errors import AppError
from quartermaster.core.mail import queue_mail
from quartermaster.core.pagination import (
    Page,
    PageParams,
)
from quartermaster.core.security import digest, same_digest
from quartermaster.identity import repository
from quartermaster.identity.errors import (
    AlreadyInvited,
    AlreadyMember,
    InvalidInvitation,
    InvitationNotFound,
    InvitationNotOpen,
    Unauthenticated,
)
from quartermaster.identity.mails import invitation_mail
from quartermaster.identity.models import Invitation, Membership, Tenant
from quartermaster.identity.permissions import Role
from quartermaster.identity.principal import Principal
from quartermaster.identity.schemas import (
    InvitationAccept,
    InvitationCreate,
    InvitationPreview,
    InvitationRead,
    InvitationState,
    LoginOut,
    TenantRead,
)
from quartermaster.identity.service.audit import Actions, record
from quartermaster.identity.service.auth import (
    AuthContext,
    Refused,
    create_user,
    login_out,
    normalize_email,
    verify_password,
)
from quartermaster.identity.service.members import ensure_may_grant
from quartermaster.identity.throttle import LoginThrottle
from quartermaster.identity.tokens import (
    INVITATION_PREFIX,
    OpaqueToken,
    new_opaque_token,
    parse_opaque_token,
)


def state_of(invitation: Invitation, now: datetime) -> InvitationState:
    if invitation.accepted_at is not None:
        return "accepted"
    if invitation.revoked_at is not None:
        return "revoked"
    return "expired" if invitation.expires_at <= now else "pending"


def _read(invitation: Invitation, now: datetime) -> InvitationRead:
    return InvitationRead(
        id=invitation.id,
        email=invitation.email,
        role=Role(invitation.role),
        state=state_of(invitation, now),
        invited_by=invitation.invited_by,
        invited_by_label=invitation.invited_by_label,
        created_at=invitation.created_at,
        expires_at=invitation.expires_at,
        last_sent_at=invitation.last_sent_at,
        send_count=invitation.send_count,
        accepted_at=invitation.accepted_at,
        revoked_at=invitation.revoked_at,
    )


@dataclass(frozen=True)
class _Issued:
    token: OpaqueToken
    expires_at: datetime


def _issue(ctx: AuthContext, tenant_id: uuid.UUID, now: datetime) -> _Issued:
    return _Issued(
        token=new_opaque_token(tenant_id),
        expires_at=now + timedelta(hours=ctx.settings.invitation_ttl_hours),
    )


async def _send(
    session: AsyncSession,
    ctx: AuthContext,
    invitation: Invitation,
    token: OpaqueToken,
) -> None:
    organization = await repository.tenant_by_id(session, invitation.tenant_id)
    assert organization is not None  # the transaction is scoped to it
    rendered = token.render(INVITATION_PREFIX)
    await queue_mail(
        session,
        invitation_mail(
            invitation_id=invitation.id,
            email=invitation.email,
            organization=organization.name,
            role=Role(invitation.role),
            inviter=invitation.invited_by_label,
            link=f"{ctx.settings.effective_public_url}/invitation#token={rendered}",
            token=rendered,
            expires_at=invitation.expires_at,
        ),
        tenant_id=invitation.tenant_id,
    )


async def invite(
    session: AsyncSession, ctx: AuthContext, actor: Principal, data: InvitationCreate
) -> InvitationRead:
    """Invite an address with a role (at most the inviter's own). 409 if it is a member
    already or has a pending invitation (an expired one is replaced)."""
    ensure_may_grant(actor, data.role)
    email = normalize_email(str(data.email))
    now = utcnow()
    await set_lookup_email(session, email)
    user = await repository.user_by_email(session, email)
    if user is not None and await repository.membership(session, actor.tenant_id, user.id):
        raise AlreadyMember(email)
    open_one = await repository.open_invitation(session, actor.tenant_id, email)
    if open_one is not None:
        if state_of(open_one, now) == "pending":
            raise AlreadyInvited(email, str(open_one.id))
        open_one.revoked_at = now  # expired: replaced by the new one
        await session.flush()
    issued = _issue(ctx, actor.tenant_id, now)
    invitation = Invitation(
        id=issued.token.id,
        tenant_id=actor.tenant_id,
        email=email,
        role=data.role.value,
        invited_by=actor.user_id,
        invited_by_label=actor.label,
        token_digest=digest(issued.token.secret),
        expires_at=issued.expires_at,
        last_sent_at=now,
    )
    try:
        async with session.begin_nested():
            repository.add(session, invitation)
            await session.flush()
    except IntegrityError as exc:  # invited concurrently
        winner = await repository.open_invitation(session, actor.tenant_id, email)
        raise AlreadyInvited(email, str(winner.id) if winner else "") from exc
    await session.refresh(invitation)
    await _send(session, ctx, invitation, issued.token)
    record(
        session,
        tenant_id=actor.tenant_id,
        action=Actions.INVITATION_CREATED,
        actor=actor,
        target=("invitation", invitation.id),
        client=ctx.client,
        details={"email": email, "role": data.role.value},
    )
    return _read(invitation, now)


async def list_invitations(
    session: AsyncSession,
    actor: Principal,
    page: PageParams,
    *,
    state: InvitationState | None,
) -> Page[InvitationRead]:
    """Newest first."""
    now = utcnow()
    rows, next_cursor = page.next_page(
        await repository.invitations_page(
            session,
            actor.tenant_id,
            limit=page.fetch,
            after=page.after(uuid.UUID),
            state=state,
            now=now,
        ),
        lambda invitation: [invitation.id],
    )
    items = [_read(row, now) for row in rows]
    return Page[InvitationRead](items=items, next_cursor=next_cursor)


async def _open_invitation(
    session: AsyncSession, actor: Principal, invitation_id: uuid.UUID
) -> Invitation:
    invitation = await repository.invitation_by_id(session, invitation_id, for_update=True)
    if invitation is None or invitation.tenant_id != actor.tenant_id:
        raise InvitationNotFound
    ensure_may_grant(actor, Role(invitation.role))
    return invitation


async def resend(
    session: AsyncSession, ctx: AuthContext, actor: Principal, invitation_id: uuid.UUID
) -> InvitationRead:
    """Mail a pending (or expired) invitation again, with a new link and a new expiry;
    the old link stops working."""
    invitation = await _open_invitation(session, actor, invitation_id)
    now = utcnow()
    state = state_of(invitation, now)
    if state not in ("pending", "expired"):
        raise InvitationNotOpen(state)
    issued = _issue(ctx, actor.tenant_id, now)
    # The row keeps its id; the new token's own id is not used.
    token = OpaqueToken(tenant_id=actor.tenant_id, id=invitation.id, secret=issued.token.secret)
    invitation.token_digest = digest(token.secret)
    invitation.expires_at = issued.expires_at
    invitation.send_count += 1
    invitation.last_sent_at = now
    await session.flush()
    await session.refresh(invitation)
    await _send(session, ctx, invitation, token)
    record(
        session,
        tenant_id=actor.tenant_id,
        action=Actions.INVITATION_RESENT,
        actor=actor,
        target=("invitation", invitation.id),
        client=ctx.client,
        details={"email": invitation.email, "send_count": invitation.send_count},
    )
    return _read(invitation, now)


async def revoke(
    session: AsyncSession, ctx: AuthContext, actor: Principal, invitation_id: uuid.UUID
) -> None:
    """The invitation's link stops working; revoking twice is not an error. An accepted
    invitation is a membership now: remove the member instead (409)."""
    invitation = await _open_invitation(session, actor, invitation_id)
    if invitation.accepted_at is not None:
        raise InvitationNotOpen("accepted")
    if invitation.revoked_at is not None:
        return
    invitation.revoked_at = utcnow()
    await session.flush()
    record(
        session,
        tenant_id=actor.tenant_id,
        action=Actions.INVITATION_REVOKED,
        actor=actor,
        target=("invitation", invitation.id),
        client=ctx.client,
        details={"email": invitation.email},
    )


async def _by_token(session: AsyncSession, token: str) -> tuple[Invitation, Tenant]:
    """The open invitation a token stands for, its row locked, with the transaction
    scoped to its tenant; 410 for anything else (forged, expired, used, revoked)."""
    parsed = parse_opaque_token(INVITATION_PREFIX, token)
    if parsed is None:
        raise InvalidInvitation
    await set_tenant(session, parsed.tenant_id)
    invitation = await repository.invitation_by_id(session, parsed.id, for_update=True)
    if invitation is None or not same_digest(parsed.secret, invitation.token_digest):
        raise InvalidInvitation
    if state_of(invitation, utcnow()) != "pending":
        raise InvalidInvitation
    organization = await repository.tenant_by_id(session, invitation.tenant_id)
    if organization is None:
        raise InvalidInvitation
    return invitation, organization


async def preview(session: AsyncSession, token: str) -> InvitationPreview:
    """What the invitee needs to decide (and whether to choose or confirm a password)."""
    invitation, organization = await _by_token(session, token)
    await set_lookup_email(session, invitation.email)
    user = await repository.user_by_email(session, invitation.email)
    return InvitationPreview(
        organization=TenantRead.model_validate(organization, from_attributes=True),
        email=invitation.email,
        role=Role(invitation.role),
        invited_by=invitation.invited_by_label,
        expires_at=invitation.expires_at,
        account_exists=user is not None,
    )


class FullNameRequired(AppError):
    def __init__(self) -> None:
        super().__init__(
            422,
            "full-name-required",
            "This address has no account yet: give 'full_name' (and a new password).",
        )


async def accept(
    session: AsyncSession, ctx: AuthContext, throttle: LoginThrottle, data: InvitationAccept
) -> LoginOut | Refused:
    """Join the organization: a new account is created with the given password and name;
    an existing one must give its current password (throttled like a login). Answers
    with tokens for the organization joined."""
    invitation, organization = await _by_token(session, data.token)
    email = invitation.email
    await set_lookup_email(session, email)
    user = await repository.user_by_email(session, email)
    if user is None:
        if data.full_name is None:
            raise FullNameRequired
        user = await create_user(
            session, ctx.hasher, email=email, full_name=data.full_name, password=data.password
        )
    else:
        verified = await verify_password(
            session, ctx, throttle, email=email, password=data.password
        )
        if isinstance(verified, Refused):
            return Refused(
                Unauthenticated(
                    "This address has an account: accept with its current password (or "
                    "reset it with POST /api/v1/auth/password-reset).",
                    code="invalid-credentials",
                )
            )
        await throttle.succeeded(email, ctx.client.ip)
        user = verified
    await set_tenant(session, organization.id, user_id=user.id)
    membership = await repository.membership(session, organization.id, user.id)
    if membership is None:
        membership = Membership(tenant_id=organization.id, user_id=user.id, role=invitation.role)
        repository.add(session, membership)
        await session.flush()
        await session.refresh(membership)
    now = utcnow()
    invitation.accepted_at = now
    invitation.accepted_by = user.id
    user.last_tenant_id = organization.id
    user.last_login_at = now
    record(
        session,
        tenant_id=organization.id,
        action=Actions.MEMBER_JOINED,
        actor_user=(user.id, user.email),
        target=("user", user.id),
        client=ctx.client,
        details={"email": email, "role": membership.role, "invitation_id": str(invitation.id)},
    )
    return await login_out(session, ctx, user, membership, organization)
