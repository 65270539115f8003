"""Request and response bodies of the identity API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, EmailStr, Field, StringConstraints

from quartermaster.core.inputs import Timestamp
from quartermaster.core.schemas import Strict
from quartermaster.identity.permissions import Permission, Role

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Password = Annotated[str, Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)]


class SignupIn(Strict):
    organization: Name
    email: EmailStr
    password: Password
    full_name: Name


class RefreshIn(Strict):
    refresh_token: str = Field(min_length=1, max_length=512)


class SwitchTenantIn(Strict):
    tenant_id: uuid.UUID


class MemberCreate(Strict):
    email: EmailStr
    full_name: Name
    role: Role
    password: Password | None = None


class MemberUpdate(Strict):
    role: Role


class ApiKeyCreate(Strict):
    name: Name
    role: Role
    expires_at: Timestamp | None = None


class TenantRead(BaseModel):
    id: uuid.UUID
    name: str
    slug: str


class UserRead(BaseModel):
    id: uuid.UUID
    email: str
    full_name: str


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int = Field(description="Seconds until the access token expires")


class SignupOut(TokenPair):
    tenant: TenantRead
    user: UserRead


class MembershipRead(BaseModel):
    tenant: TenantRead
    role: Role


class ApiKeyIdentity(BaseModel):
    id: uuid.UUID
    name: str


class MeOut(BaseModel):
    user: UserRead | None = Field(description="The user, or null when calling with an API key")
    api_key: ApiKeyIdentity | None = None
    tenant: TenantRead
    role: Role
    permissions: list[Permission]
    memberships: list[MembershipRead]


class MemberRead(BaseModel):
    id: uuid.UUID
    email: str
    full_name: str
    role: Role
    joined_at: datetime


class ApiKeyRead(BaseModel):
    id: uuid.UUID
    name: str
    role: Role
    hint: str = Field(description="The key's last characters, to tell keys apart")
    created_by: uuid.UUID | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The secret; shown only in this response, stored only as a hash")


class AuditEventRead(BaseModel):
    id: uuid.UUID
    occurred_at: datetime
    action: str
    actor_type: str
    actor_id: uuid.UUID | None
    actor_label: str | None
    target_type: str | None
    target_id: uuid.UUID | None
    ip: str | None
    user_agent: str | None
    details: dict[str, Any]
