"""The identity module's surface for other modules and the CLI."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.identity import repository
from quartermaster.identity.bootstrap import (
    DEMO_EMAIL,
    DEMO_ORGANIZATION,
    CreatedAccount,
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
from quartermaster.identity.permissions import Permission, Role
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
