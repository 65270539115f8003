"""Who is calling: a user in one of their tenants, or an API key of a tenant."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from quartermaster.identity.permissions import Permission, Role, permissions_of


@dataclass(frozen=True)
class Principal:
    kind: Literal["user", "api_key"]
    id: uuid.UUID  # the user's id, or the API key's id
    tenant_id: uuid.UUID
    role: Role
    label: str  # e-mail or key name, for the audit log
    version: int = 0  # a user's token version (memberships.token_version) when issued

    @property
    def permissions(self) -> frozenset[Permission]:
        return permissions_of(self.role)

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def user_id(self) -> uuid.UUID | None:
        return self.id if self.kind == "user" else None
