"""The one table of roles and what they may do."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    VIEWER = "viewer"
    STAFF = "staff"
    MANAGER = "manager"
    ADMIN = "admin"
    OWNER = "owner"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Role):
            return NotImplemented
        return self.rank >= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Role):
            return NotImplemented
        return self.rank > other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Role):
            return NotImplemented
        return self.rank <= other.rank

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Role):
            return NotImplemented
        return self.rank < other.rank


_RANKS = {role: rank for rank, role in enumerate(Role)}


class Permission(StrEnum):
    # viewer: read everything in the tenant
    TENANT_READ = "tenant:read"
    MEMBERS_READ = "members:read"
    CATALOG_READ = "catalog:read"
    INVENTORY_READ = "inventory:read"
    TICKETS_READ = "tickets:read"
    KNOWLEDGE_READ = "knowledge:read"
    # staff: day-to-day operations
    STOCK_WRITE = "stock:write"
    RESERVATIONS_WRITE = "reservations:write"
    TICKETS_WRITE = "tickets:write"
    # manager: master data
    CATALOG_WRITE = "catalog:write"
    PRICES_WRITE = "prices:write"
    WAREHOUSES_WRITE = "warehouses:write"
    KNOWLEDGE_WRITE = "knowledge:write"
    KNOWLEDGE_PUBLISH = "knowledge:publish"
    # admin: the organisation itself
    MEMBERS_WRITE = "members:write"
    API_KEYS_READ = "api_keys:read"
    API_KEYS_WRITE = "api_keys:write"
    SETTINGS_WRITE = "settings:write"
    AUDIT_READ = "audit:read"
    MAIL_READ = "mail:read"
    MAIL_WRITE = "mail:write"
    # owner
    TENANT_ADMIN = "tenant:admin"


_GRANTED_AT: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset(
        {
            Permission.TENANT_READ,
            Permission.MEMBERS_READ,
            Permission.CATALOG_READ,
            Permission.INVENTORY_READ,
            Permission.TICKETS_READ,
            Permission.KNOWLEDGE_READ,
        }
    ),
    Role.STAFF: frozenset(
        {Permission.STOCK_WRITE, Permission.RESERVATIONS_WRITE, Permission.TICKETS_WRITE}
    ),
    Role.MANAGER: frozenset(
        {
            Permission.CATALOG_WRITE,
            Permission.PRICES_WRITE,
            Permission.WAREHOUSES_WRITE,
            Permission.KNOWLEDGE_WRITE,
            Permission.KNOWLEDGE_PUBLISH,
        }
    ),
    Role.ADMIN: frozenset(
        {
            Permission.MEMBERS_WRITE,
            Permission.API_KEYS_READ,
            Permission.API_KEYS_WRITE,
            Permission.SETTINGS_WRITE,
            Permission.AUDIT_READ,
            Permission.MAIL_READ,
            Permission.MAIL_WRITE,
        }
    ),
    Role.OWNER: frozenset({Permission.TENANT_ADMIN}),
}

# Each role has its own permissions and those of every role below it.
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    role: frozenset().union(*(_GRANTED_AT[r] for r in Role if r <= role)) for role in Role
}


def permissions_of(role: Role) -> frozenset[Permission]:
    return ROLE_PERMISSIONS[role]
