"""First accounts without the HTTP API: `qm create-user` and `qm seed-demo`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from quartermaster.core.db import Database, set_lookup_email, set_user
from quartermaster.core.security import PasswordHasher
from quartermaster.identity import repository
from quartermaster.identity.errors import EmailTaken
from quartermaster.identity.models import Membership
from quartermaster.identity.permissions import Role
from quartermaster.identity.principal import Principal
from quartermaster.identity.service.audit import Actions, record
from quartermaster.identity.service.auth import create_tenant, create_user

DEMO_ORGANIZATION = "Acme Supplies"
DEMO_EMAIL = "demo@example.com"


@dataclass(frozen=True)
class CreatedAccount:
    email: str
    organization: str
    tenant_slug: str
    role: Role


async def create_account(
    database: Database,
    hasher: PasswordHasher,
    *,
    email: str,
    password: str,
    full_name: str,
    organization: str,
    role: Role = Role.OWNER,
) -> CreatedAccount:
    """A new user and a new organization in which they have ``role``; raises EmailTaken
    if the e-mail address is registered. Same rules as sign-up (password policy)."""
    async with database.transaction() as session:
        user = await create_user(
            session, hasher, email=email, full_name=full_name, password=password
        )
        tenant = await create_tenant(session, organization)
        await set_user(session, user.id)
        repository.add(session, Membership(tenant_id=tenant.id, user_id=user.id, role=role.value))
        record(
            session,
            tenant_id=tenant.id,
            action=Actions.TENANT_CREATED,
            target=("tenant", tenant.id),
            details={"name": tenant.name, "slug": tenant.slug, "via": "cli"},
        )
        return CreatedAccount(
            email=user.email, organization=tenant.name, tenant_slug=tenant.slug, role=role
        )


async def seed_demo(
    database: Database, hasher: PasswordHasher, *, password: str
) -> CreatedAccount | None:
    """The demo organization and its owner; None if the demo account already exists."""
    try:
        return await create_account(
            database,
            hasher,
            email=DEMO_EMAIL,
            password=password,
            full_name="Demo Owner",
            organization=DEMO_ORGANIZATION,
        )
    except EmailTaken:
        return None


async def demo_principal(database: Database) -> Principal | None:
    """The demo owner acting in the demo organization, for writing its demo data through
    the services (`qm seed-demo`); None when demo@example.com does not exist or is not an
    owner of an organization named "Acme Supplies"."""
    async with database.transaction() as session:
        await set_lookup_email(session, DEMO_EMAIL)
        user = await repository.user_by_email(session, DEMO_EMAIL)
        if user is None:
            return None
        await set_user(session, user.id)
        for membership, tenant in await repository.memberships_of_user(session, user.id):
            if tenant.name == DEMO_ORGANIZATION and membership.role == Role.OWNER.value:
                return Principal(
                    kind="user", id=user.id, tenant_id=tenant.id, role=Role.OWNER, label=user.email
                )
    return None


async def add_demo_members(
    database: Database, owner: Principal, people: list[tuple[str, str, Role]]
) -> list[uuid.UUID]:
    """Members of the owner's organization for demo data (``(email, full name, role)``),
    without passwords (they cannot log in until one is set; no invitation is sent); people
    already members are kept as they are. Returns their user ids in the order given."""
    hasher = PasswordHasher(time_cost=1, memory_kib=1024)  # no passwords: never hashes
    ids = []
    async with database.transaction(owner.tenant_id) as session:
        await set_user(session, owner.id)
        for email, full_name, role in people:
            await set_lookup_email(session, email)
            user = await repository.user_by_email(session, email)
            if user is None:
                user = await create_user(
                    session, hasher, email=email, full_name=full_name, password=None
                )
            if await repository.membership(session, owner.tenant_id, user.id) is None:
                repository.add(
                    session,
                    Membership(tenant_id=owner.tenant_id, user_id=user.id, role=role.value),
                )
                await session.flush()
                record(
                    session,
                    tenant_id=owner.tenant_id,
                    action=Actions.MEMBER_ADDED,
                    actor=owner,
                    target=("user", user.id),
                    details={"email": email, "role": role.value, "via": "seed-demo"},
                )
            ids.append(user.id)
    return ids
