"""Every query of the identity module. Row-level security scopes all of them; the explicit
tenant filters are there for the planner and for clarity, not as the safety net."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.db import driver_connection, transaction_limits
from quartermaster.core.pagination import keyset
from quartermaster.identity.models import (
    ApiKey,
    AuditEvent,
    Invitation,
    Membership,
    PasswordReset,
    RefreshToken,
    Tenant,
    User,
)
from quartermaster.identity.permissions import Role

# Scopes the transaction to (tenant, user) and returns the membership's token version, in
# one round trip: this starts every request made with an access token (0011_accounts).
# The transaction's time limits (core.db.transaction_limits) ride along in the same statement.
_ENTER_MEMBER = "SELECT qm_enter_member($1, $2)"
_ENTER_MEMBER_LIMITED = (
    "SELECT qm_enter_member($1, $2), set_config('statement_timeout', $3, true), "
    "set_config('idle_in_transaction_session_timeout', $4, true)"
)


async def enter_as_member(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> int | None:
    """Scope the transaction to the tenant and user (like ``set_tenant(…, user_id=…)``)
    and return the membership's token version; None when the user is no member."""
    connection = await driver_connection(session)
    limits = transaction_limits(session)
    if limits is None:
        version = await connection.fetchval(_ENTER_MEMBER, tenant_id, user_id)
    else:
        version = await connection.fetchval(
            _ENTER_MEMBER_LIMITED,
            tenant_id,
            user_id,
            limits.statement_timeout_ms,
            limits.idle_in_transaction_timeout_ms,
        )
    session.info["tenant_id"] = tenant_id
    return None if version is None else int(version)


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    return (await session.execute(select(User).where(User.email == email))).scalar_one_or_none()


async def user_by_id(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def tenant_by_id(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant | None:
    return await session.get(Tenant, tenant_id)


async def tenant_by_slug(session: AsyncSession, slug: str) -> Tenant | None:
    return (await session.execute(select(Tenant).where(Tenant.slug == slug))).scalar_one_or_none()


async def memberships_of_user(
    session: AsyncSession, user_id: uuid.UUID
) -> list[tuple[Membership, Tenant]]:
    """All of a user's memberships (visible when the transaction's user is this user),
    oldest first: the first is the default tenant at login."""
    rows = await session.execute(
        select(Membership, Tenant)
        .join(Tenant, Tenant.id == Membership.tenant_id)
        .where(Membership.user_id == user_id)
        .order_by(Membership.created_at, Membership.tenant_id)
    )
    return [(m, t) for m, t in rows]


async def membership(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, *, for_update: bool = False
) -> Membership | None:
    query = select(Membership).where(
        Membership.tenant_id == tenant_id, Membership.user_id == user_id
    )
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def tenant_by_slug_or_id(session: AsyncSession, value: str) -> Tenant | None:
    """The tenant named by slug or id, among those the transaction may see."""
    try:
        tenant_id = uuid.UUID(value)
    except ValueError:
        return await tenant_by_slug(session, value)
    return await tenant_by_id(session, tenant_id)


async def bump_token_version(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    await session.execute(
        update(Membership)
        .where(Membership.tenant_id == tenant_id, Membership.user_id == user_id)
        .values(token_version=Membership.token_version + 1, updated_at=func.now())
    )


async def lock_owners(session: AsyncSession, tenant_id: uuid.UUID) -> list[uuid.UUID]:
    """Lock the tenant's owner memberships, so concurrent demotions and removals of owners
    serialise and the last-owner rule cannot be raced past."""
    rows = await session.execute(
        select(Membership.user_id)
        .where(Membership.tenant_id == tenant_id, Membership.role == Role.OWNER.value)
        .order_by(Membership.user_id)
        .with_for_update()
    )
    return list(rows.scalars())


async def members_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    limit: int,
    after: Sequence[Any] | None,
) -> list[tuple[Membership, User]]:
    """In joining order: the key is ``(created_at, user_id)``."""
    query = keyset(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.tenant_id == tenant_id),
        [Membership.created_at, Membership.user_id],
        after,
        limit=limit,
    )
    return [(m, u) for m, u in await session.execute(query)]


async def refresh_token_for_update(
    session: AsyncSession, token_id: uuid.UUID
) -> RefreshToken | None:
    return (
        await session.execute(
            select(RefreshToken).where(RefreshToken.id == token_id).with_for_update()
        )
    ).scalar_one_or_none()


async def revoke_refresh_family(
    session: AsyncSession, tenant_id: uuid.UUID, family_id: uuid.UUID, at: datetime
) -> None:
    await session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.tenant_id == tenant_id,
            RefreshToken.family_id == family_id,
            RefreshToken.revoked_at.is_(None),
        )
        .values(revoked_at=at)
    )


async def revoke_refresh_tokens_of_member(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, at: datetime
) -> None:
    await session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.tenant_id == tenant_id,
            RefreshToken.user_id == user_id,
            RefreshToken.revoked_at.is_(None),
        )
        .values(revoked_at=at)
    )


async def api_key_by_id(session: AsyncSession, key_id: uuid.UUID) -> ApiKey | None:
    return await session.get(ApiKey, key_id)


async def api_keys_page(
    session: AsyncSession, tenant_id: uuid.UUID, *, limit: int, after: Sequence[Any] | None
) -> list[ApiKey]:
    """Newest first (ids are time-ordered UUIDv7s): the key is ``(id,)``, descending."""
    query = keyset(
        select(ApiKey).where(ApiKey.tenant_id == tenant_id),
        [ApiKey.id],
        after,
        limit=limit,
        descending=True,
    )
    return list((await session.execute(query)).scalars())


async def touch_api_key(session: AsyncSession, key_id: uuid.UUID, at: datetime) -> None:
    await session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=at))


async def audit_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    limit: int,
    after: Sequence[Any] | None,
    action: str | None,
    actor_id: uuid.UUID | None,
) -> list[AuditEvent]:
    """Newest first: the key is ``(id,)``, descending."""
    query = select(AuditEvent).where(AuditEvent.tenant_id == tenant_id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    if actor_id is not None:
        query = query.where(AuditEvent.actor_id == actor_id)
    query = keyset(query, [AuditEvent.id], after, limit=limit, descending=True)
    return list((await session.execute(query)).scalars())


# Invitations


async def invitation_by_id(
    session: AsyncSession, invitation_id: uuid.UUID, *, for_update: bool = False
) -> Invitation | None:
    query = select(Invitation).where(Invitation.id == invitation_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def open_invitation(
    session: AsyncSession, tenant_id: uuid.UUID, email: str
) -> Invitation | None:
    """The invitation of ``email`` not yet accepted or revoked (at most one), locked."""
    return (
        await session.execute(
            select(Invitation)
            .where(
                Invitation.tenant_id == tenant_id,
                Invitation.email == email,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
            )
            .with_for_update()
        )
    ).scalar_one_or_none()


async def invitations_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    limit: int,
    after: Sequence[Any] | None,
    state: str | None,
    now: datetime,
) -> list[Invitation]:
    """Newest first: the key is ``(id,)``, descending."""
    query = keyset(
        select(Invitation).where(Invitation.tenant_id == tenant_id),
        [Invitation.id],
        after,
        limit=limit,
        descending=True,
    )
    open_ = Invitation.accepted_at.is_(None) & Invitation.revoked_at.is_(None)
    if state == "pending":
        query = query.where(open_, Invitation.expires_at > now)
    elif state == "expired":
        query = query.where(open_, Invitation.expires_at <= now)
    elif state == "accepted":
        query = query.where(Invitation.accepted_at.is_not(None))
    elif state == "revoked":
        query = query.where(Invitation.revoked_at.is_not(None))
    return list((await session.execute(query)).scalars())


# Password resets (the transaction acts as the user: set_user)


async def password_reset_for_update(
    session: AsyncSession, reset_id: uuid.UUID
) -> PasswordReset | None:
    return (
        await session.execute(
            select(PasswordReset).where(PasswordReset.id == reset_id).with_for_update()
        )
    ).scalar_one_or_none()


async def close_password_resets(session: AsyncSession, user_id: uuid.UUID, at: datetime) -> None:
    """Every open reset of the user is used up (a new one replaces them; a used one
    takes the others with it)."""
    await session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user_id, PasswordReset.used_at.is_(None))
        .values(used_at=at)
    )


def add(session: AsyncSession, *rows: Any) -> None:
    session.add_all(rows)


# For the job scheduler (identity.public.tenant_ids)


async def tenant_ids(session: AsyncSession) -> list[uuid.UUID]:
    return list((await session.execute(select(Tenant.id).order_by(Tenant.id))).scalars())


# For the service desk (identity.public.members_with_roles)


async def members_with_roles(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    roles: list[str],
    user_ids: list[uuid.UUID] | None,
    *,
    limit: int | None = None,
    after: Sequence[Any] | None = None,
) -> list[tuple[uuid.UUID, str, str, str]]:
    """(user_id, email, full_name, role) of the tenant's active members with one of
    ``roles`` (among ``user_ids`` when given), by name: the key is ``(full_name, id)``;
    a page of ``limit`` after ``after`` when ``limit`` is given."""
    query = (
        select(User.id, User.email, User.full_name, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.tenant_id == tenant_id,
            Membership.role.in_(roles),
            User.is_active.is_(True),
        )
    )
    if user_ids is not None:
        query = query.where(User.id.in_(user_ids))
    if limit is not None:
        query = keyset(query, [User.full_name, User.id], after, limit=limit)
    else:
        query = query.order_by(User.full_name, User.id)
    return [(row[0], row[1], row[2], row[3]) for row in await session.execute(query)]


def member_ids_with_roles(
    tenant_id: uuid.UUID | ColumnElement[uuid.UUID], roles: list[str]
) -> Select[uuid.UUID]:
    """``user_id`` of the tenant's active members with one of ``roles``, as SQL to join."""
    return (
        select(Membership.user_id)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.tenant_id == tenant_id,
            Membership.role.in_(roles),
            User.is_active.is_(True),
        )
    )


async def tenant_id_by_public_slug(session: AsyncSession, slug: str) -> uuid.UUID | None:
    """The id of the tenant with this slug, for a transaction without a tenant (the public
    help pages): the ``tenants_found_by_slug`` policy (0014) shows exactly that row."""
    await session.execute(
        text("SELECT set_config('app.lookup_tenant_slug', :slug, true)"), {"slug": slug}
    )
    found = await session.execute(select(Tenant.id).where(Tenant.slug == slug))
    return found.scalar_one_or_none()
