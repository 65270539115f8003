"""Members of a tenant: list, change role, remove. (People become members by accepting
an invitation: service/invitations.py.)

Rules: nobody grants a role above their own or manages a member whose role is above
their own; the last owner can be neither demoted nor removed. A changed role or a removal
revokes the member's access tokens at once (token version) and, for a removal, their
refresh tokens in this organization.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.clock import utcnow
from quartermaster.core.deps import ClientInfo
from quartermaster.core.pagination import (
    Page,
    PageParams,
)
from quartermaster.identity import repository
from quartermaster.identity.errors import LastOwner, MemberNotFound, RoleAboveOwn
from quartermaster.identity.models import Membership, User
from quartermaster.identity.permissions import Role
from quartermaster.identity.principal import Principal
from quartermaster.identity.schemas import MemberRead
from quartermaster.identity.service.audit import Actions, record


def _member_read(membership: Membership, user: User) -> MemberRead:
    return MemberRead(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        role=Role(membership.role),
        joined_at=membership.created_at,
    )


def ensure_may_grant(actor: Principal, role: Role) -> None:
    if role > actor.role:
        raise RoleAboveOwn(role.value, actor.role.value)


async def list_members(
    session: AsyncSession, principal: Principal, page: PageParams
) -> Page[MemberRead]:
    rows, next_cursor = page.next_page(
        await repository.members_page(
            session, principal.tenant_id, limit=page.fetch, after=page.after(datetime, uuid.UUID)
        ),
        lambda row: [row[0].created_at, row[0].user_id],
    )
    items = [_member_read(m, u) for m, u in rows]
    return Page[MemberRead](items=items, next_cursor=next_cursor)


async def _target_membership(
    session: AsyncSession, actor: Principal, user_id: uuid.UUID
) -> tuple[Membership, User]:
    # Owners first, then the target, in every transaction: two owners changing each other
    # would otherwise lock the same two rows in opposite orders and deadlock.
    await repository.lock_owners(session, actor.tenant_id)
    membership = await repository.membership(session, actor.tenant_id, user_id, for_update=True)
    user = await repository.user_by_id(session, user_id) if membership else None
    if membership is None or user is None:
        raise MemberNotFound
    current = Role(membership.role)
    if current > actor.role:
        raise RoleAboveOwn(current.value, actor.role.value)
    return membership, user


async def _ensure_not_last_owner(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    owners = await repository.lock_owners(session, tenant_id)
    if len(owners) <= 1:
        raise LastOwner


async def change_role(
    session: AsyncSession,
    client: ClientInfo,
    actor: Principal,
    user_id: uuid.UUID,
    role: Role,
) -> MemberRead:
    ensure_may_grant(actor, role)
    membership, user = await _target_membership(session, actor, user_id)
    previous = Role(membership.role)
    if previous == role:
        return _member_read(membership, user)
    if previous is Role.OWNER:
        await _ensure_not_last_owner(session, actor.tenant_id)
    membership.role = role.value
    membership.token_version += 1  # tokens with the old role stop working at once
    membership.updated_at = utcnow()
    await session.flush()
    record(
        session,
        tenant_id=actor.tenant_id,
        action=Actions.MEMBER_ROLE_CHANGED,
        actor=actor,
        target=("user", user.id),
        client=client,
        details={"email": user.email, "from": previous.value, "to": role.value},
    )
    return _member_read(membership, user)


async def remove_member(
    session: AsyncSession, client: ClientInfo, actor: Principal, user_id: uuid.UUID
) -> None:
    """Remove the membership (the user account stays: it may belong to other tenants) and
    revoke the member's refresh tokens here, so no new access token is issued."""
    membership, user = await _target_membership(session, actor, user_id)
    if Role(membership.role) is Role.OWNER:
        await _ensure_not_last_owner(session, actor.tenant_id)
    await session.delete(membership)
    await repository.revoke_refresh_tokens_of_member(session, actor.tenant_id, user.id, utcnow())
    await session.flush()
    record(
        session,
        tenant_id=actor.tenant_id,
        action=Actions.MEMBER_REMOVED,
        actor=actor,
        target=("user", user.id),
        client=client,
        details={"email": user.email, "role": membership.role},
    )
