"""Members of a tenant: list, add (creating the user if new), change role, remove.

Rules: nobody grants a role above their own or manages a member whose role is above
their own; the last owner can be neither demoted nor removed.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.clock import utcnow
from quartermaster.core.db import set_lookup_email
from quartermaster.core.deps import ClientInfo
from quartermaster.core.pagination import (
    InvalidCursor,
    Page,
    PageParams,
)
from quartermaster.core.security import PasswordHasher
from quartermaster.identity import repository
from quartermaster.identity.errors import AlreadyMember, LastOwner, MemberNotFound, RoleAboveOwn
from quartermaster.identity.models import Membership, User
from quartermaster.identity.permissions import Role
from quartermaster.identity.principal import Principal
from quartermaster.identity.schemas import MemberCreate, MemberRead
from quartermaster.identity.service.audit import Actions, record
from quartermaster.identity.service.auth import create_user, normalize_email


def _member_read(membership: Membership, user: User) -> MemberRead:
    return MemberRead(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        role=Role(membership.role),
        joined_at=membership.created_at,
    )


def _ensure_may_grant(actor: Principal, role: Role) -> None:
    if role > actor.role:
        raise RoleAboveOwn(role.value, actor.role.value)


async def list_members(
    session: AsyncSession, principal: Principal, page: PageParams
) -> Page[MemberRead]:
    after: tuple[datetime, uuid.UUID] | None = None
    if page.cursor:
        joined, user_id = page.decode(str, str)
        try:
            after = (datetime.fromisoformat(str(joined)), uuid.UUID(str(user_id)))
        except ValueError as exc:
            raise InvalidCursor from exc
    rows = await repository.members_page(
        session, principal.tenant_id, limit=page.limit + 1, after=after
    )
    items = [_member_read(m, u) for m, u in rows[: page.limit]]
    next_cursor = None
    if len(rows) > page.limit:
        last = rows[page.limit - 1][0]
        next_cursor = page.encode([last.created_at.isoformat(), str(last.user_id)])
    return Page[MemberRead](items=items, next_cursor=next_cursor)


async def add_member(
    session: AsyncSession,
    hasher: PasswordHasher,
    client: ClientInfo,
    actor: Principal,
    data: MemberCreate,
) -> MemberRead:
    """Add a member by e-mail. An existing user keeps their name and password; a new
    user is created (without a password they cannot log in until one is set)."""
    _ensure_may_grant(actor, data.role)
    email = normalize_email(data.email)
    await set_lookup_email(session, email)
    user = await repository.user_by_email(session, email)
    if user is None:
        user = await create_user(
            session, hasher, email=email, full_name=data.full_name, password=data.password
        )
    elif await repository.membership(session, actor.tenant_id, user.id) is not None:
        raise AlreadyMember(email)
    membership = Membership(tenant_id=actor.tenant_id, user_id=user.id, role=data.role.value)
    repository.add(session, membership)
    await session.flush()
    await session.refresh(membership)
    record(
        session,
        tenant_id=actor.tenant_id,
        action=Actions.MEMBER_ADDED,
        actor=actor,
        target=("user", user.id),
        client=client,
        details={"email": email, "role": data.role.value},
    )
    return _member_read(membership, user)


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
    _ensure_may_grant(actor, role)
    membership, user = await _target_membership(session, actor, user_id)
    previous = Role(membership.role)
    if previous == role:
        return _member_read(membership, user)
    if previous is Role.OWNER:
        await _ensure_not_last_owner(session, actor.tenant_id)
    membership.role = role.value
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
