"""The identity module's surface for other modules and the CLI."""

from quartermaster.identity.bootstrap import (
    DEMO_EMAIL,
    DEMO_ORGANIZATION,
    CreatedAccount,
    create_account,
    seed_demo,
)
from quartermaster.identity.dependencies import Authenticated, authenticate, require
from quartermaster.identity.errors import EmailTaken, WeakPassword
from quartermaster.identity.permissions import Permission, Role
from quartermaster.identity.principal import Principal

__all__ = [
    "DEMO_EMAIL",
    "DEMO_ORGANIZATION",
    "Authenticated",
    "CreatedAccount",
    "EmailTaken",
    "Permission",
    "Principal",
    "Role",
    "WeakPassword",
    "authenticate",
    "create_account",
    "require",
    "seed_demo",
]
