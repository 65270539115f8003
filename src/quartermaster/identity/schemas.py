"""Request and response bodies of the identity API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, EmailStr, Field, StringConstraints, model_validator

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
    tenant: str | None = Field(
        default=None, min_length=1, max_length=80, description="The organization's slug or id"
    )
    tenant_id: uuid.UUID | None = Field(default=None, description="Deprecated: use 'tenant'")

    @model_validator(mode="after")
    def _one_of(self) -> Self:
        if (self.tenant is None) == (self.tenant_id is None):
            raise ValueError("give exactly one of 'tenant' (slug or id) and 'tenant_id'")
        return self

    @property
    def target(self) -> str:
        return self.tenant if self.tenant is not None else str(self.tenant_id)


class InvitationCreate(Strict):
    email: EmailStr
    role: Role


class InvitationTokenIn(Strict):
    token: str = Field(min_length=1, max_length=512)


class InvitationAccept(Strict):
    token: str = Field(min_length=1, max_length=512)
    password: str = Field(
        min_length=1,
        max_length=MAX_PASSWORD_LENGTH,
        description="A new password (a new account), or the account's current one",
    )
    full_name: Name | None = Field(
        default=None, description="Required when the e-mail address has no account yet"
    )


class PasswordChange(Strict):
    current_password: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)
    new_password: Password


class PasswordResetRequest(Strict):
    email: EmailStr


class PasswordResetConfirm(Strict):
    token: str = Field(min_length=1, max_length=512)
    new_password: Password


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


class LoginOut(TokenPair):
    tenant: TenantRead = Field(description="The organization these tokens act in")


class SignupOut(LoginOut):
    user: UserRead


class PasswordResetRequested(BaseModel):
    detail: str


InvitationState = Literal["pending", "accepted", "expired", "revoked"]


class InvitationRead(BaseModel):
    id: uuid.UUID
    email: str
    role: Role
    state: InvitationState
    invited_by: uuid.UUID | None
    invited_by_label: str | None
    created_at: datetime
    expires_at: datetime
    last_sent_at: datetime
    send_count: int
    accepted_at: datetime | None
    revoked_at: datetime | None


class InvitationPreview(BaseModel):
    """What the invitee sees before accepting (only with the invitation's token)."""

    organization: TenantRead
    email: str
    role: Role
    invited_by: str | None
    expires_at: datetime
    account_exists: bool = Field(
        description="true: accept with the account's current password; false: choose one "
        "(and give full_name)"
    )


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
