"""The identity module's surface for other modules and the CLI."""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.db import set_tenant
from quartermaster.identity import repository
from quartermaster.identity.bootstrap import (
    DEMO_EMAIL,
    DEMO_ORGANIZATION,
    CreatedAccount,
    add_demo_members,
    create_account,
    demo_principal,
    seed_demo,
)
from quartermaster.identity.dependencies import (
    Authenticated,
    Credential,
    authenticate,
    authenticate_token,
    ensure_current,
    require,
)
from quartermaster.identity.errors import EmailTaken, Forbidden, Unauthenticated, WeakPassword
from quartermaster.identity.permissions import Permission, Role, permissions_of
from quartermaster.identity.principal import Principal

__all__ = [
    "DEMO_EMAIL",
    "DEMO_ORGANIZATION",
    "Authenticated",
    "CreatedAccount",
    "Credential",
    "EmailTaken",
    "Forbidden",
    "Permission",
    "Principal",
    "Role",
    "Unauthenticated",
    "WeakPassword",
    "add_demo_members",
    "authenticate",
    "authenticate_token",
    "create_account",
    "demo_principal",
    "ensure_current",
    "require",
    "seed_demo",
]


# For the job scheduler (jobs module)


async def tenant_ids(session: AsyncSession) -> list[uuid.UUID]:
    """Every tenant the session may see, oldest first: all of them for the owner role in a
    transaction that set ``app.all_tenants`` (the job scheduler, see the 0010_jobs
    migration); otherwise only those row-level security shows (the scoped tenant)."""
    return await repository.tenant_ids(session)


__all__ += ["tenant_ids"]


# For the service desk: agents are members whose role carries a permission


@dataclass(frozen=True)
class MemberRef:
    id: uuid.UUID
    email: str
    full_name: str
    role: Role


async def members_with_permission(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    permission: Permission,
    user_ids: Iterable[uuid.UUID] | None = None,
) -> dict[uuid.UUID, MemberRef]:
    """The tenant's active members whose role grants ``permission`` (among ``user_ids`` when
    given; other tenants' users are absent), ordered by name."""
    roles = [role.value for role in Role if permission in permissions_of(role)]
    ids = None if user_ids is None else list(dict.fromkeys(user_ids))
    rows = await repository.members_with_roles(session, tenant_id, roles, ids)
    return {
        user_id: MemberRef(id=user_id, email=email, full_name=name, role=Role(role))
        for user_id, email, name, role in rows
    }


async def members_with_permission_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    permission: Permission,
    *,
    limit: int,
    after: Sequence[Any] | None,
) -> list[MemberRef]:
    """A page of :func:`members_with_permission`: by name, the keyset ``(full_name, id)``
    after ``after`` (None: from the first), ``limit`` members."""
    roles = [role.value for role in Role if permission in permissions_of(role)]
    rows = await repository.members_with_roles(
        session, tenant_id, roles, None, limit=limit, after=after
    )
    return [
        MemberRef(id=user_id, email=email, full_name=name, role=Role(role))
        for user_id, email, name, role in rows
    ]


def member_ids_with_permission(
    tenant_id: uuid.UUID | ColumnElement[uuid.UUID], permission: Permission
) -> Select[uuid.UUID]:
    """``user_id`` of the tenant's active members whose role grants ``permission``, as a
    SQL selectable other modules may join or filter with (``IN``), without naming identity's
    tables. ``tenant_id`` may be a bound parameter, for a statement built once."""
    roles = [role.value for role in Role if permission in permissions_of(role)]
    return repository.member_ids_with_roles(tenant_id, roles)


async def tenant_exists(session: AsyncSession, tenant_id: uuid.UUID) -> bool:
    """Whether the tenant the session is scoped to (``tenant_id``) exists."""
    return await repository.tenant_by_id(session, tenant_id) is not None


__all__ += [
    "MemberRef",
    "member_ids_with_permission",
    "members_with_permission",
    "members_with_permission_page",
    "tenant_exists",
]


# For the knowledge base's public help pages (no login)


async def enter_public_tenant(session: AsyncSession, slug: str) -> uuid.UUID | None:
    """Scope the transaction to the tenant with this slug and return its id, or None (and
    no scope) when there is none. Only the slug's own row is looked up, and every query
    after this runs under that tenant's row-level security like any request."""
    tenant_id = await repository.tenant_id_by_public_slug(session, slug)
    if tenant_id is not None:
        await set_tenant(session, tenant_id)
    return tenant_id


__all__ += ["enter_public_tenant"]


# For operator commands (qm search-reindex): a tenant named by slug or id


async def tenant_by_slug_or_id(session: AsyncSession, value: str) -> tuple[uuid.UUID, str] | None:
    """(id, slug) of the tenant named by slug or id, among those the transaction may see
    (every tenant in the owner's transaction that set ``app.all_tenants``)."""
    tenant = await repository.tenant_by_slug_or_id(session, value)
    return (tenant.id, tenant.slug) if tenant is not None else None


__all__ += ["tenant_by_slug_or_id"]
