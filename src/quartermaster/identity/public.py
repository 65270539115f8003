"""The identity module's surface for other modules: who is calling and what they may do."""

from quartermaster.identity.dependencies import Authenticated, authenticate, require
from quartermaster.identity.permissions import Permission, Role
from quartermaster.identity.principal import Principal

__all__ = ["Authenticated", "Permission", "Principal", "Role", "authenticate", "require"]
