"""Identity tables. Tenants and users are global; everything else is tenant-owned."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from quartermaster.core.db import Base, IdMixin, TimestampMixin
from quartermaster.identity.permissions import Role

ROLE_CHECK = "role IN (" + ", ".join(f"'{r.value}'" for r in Role) + ")"


class Tenant(IdMixin, TimestampMixin, Base):
    __tablename__ = "tenants"

    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "users"

    # Stored lower-cased and trimmed; unique across the deployment.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(server_default=text("true"))
    last_login_at: Mapped[datetime | None]
    # The organization last logged in to or switched to: a login naming none goes there.
    last_tenant_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("tenants.id", ondelete="SET NULL", name="fk_users_last_tenant_id_tenants")
    )


class Membership(TimestampMixin, Base):
    __tablename__ = "memberships"
    __table_args__ = (
        CheckConstraint(ROLE_CHECK, name="role_known"),
        Index("ix_memberships_user_id", "user_id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20))
    # Carried by access tokens; a removal, role change or password change raises it, so
    # older tokens stop working at the next request (qm_enter_member, 0011_accounts).
    token_version: Mapped[int] = mapped_column(server_default=text("0"))


class RefreshToken(IdMixin, Base):
    """One refresh token of a login session. Rotation makes a chain (a family); a rotated
    token presented again means it was copied, and the whole family is revoked."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (Index("ix_refresh_tokens_tenant_id_family_id", "tenant_id", "family_id"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    family_id: Mapped[uuid.UUID]
    token_digest: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    rotated_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))


class ApiKey(IdMixin, Base):
    __tablename__ = "api_keys"
    __table_args__ = (
        CheckConstraint(ROLE_CHECK, name="role_known"),
        Index("ix_api_keys_tenant_id_created_at", "tenant_id", "created_at"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    key_digest: Mapped[str] = mapped_column(String(64))
    # The last characters of the key, so people can tell their keys apart.
    hint: Mapped[str] = mapped_column(String(8))
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))


class AuditEvent(IdMixin, Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_tenant_id_id", "tenant_id", "id"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    occurred_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    action: Mapped[str] = mapped_column(String(80))
    actor_type: Mapped[str] = mapped_column(String(20))  # user | api_key | system
    actor_id: Mapped[uuid.UUID | None]
    # A snapshot (email or key name) so the log stays readable after the actor is gone.
    actor_label: Mapped[str | None] = mapped_column(String(320))
    target_type: Mapped[str | None] = mapped_column(String(40))
    target_id: Mapped[uuid.UUID | None]
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(400))
    details: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))


class Invitation(IdMixin, TimestampMixin, Base):
    """An organization's invitation of an e-mail address. The person accepts it (setting a
    password if the address has no account yet, proving they hold it otherwise) before
    they become a member; the inviter learns nothing about the account."""

    __tablename__ = "invitations"
    __table_args__ = (
        CheckConstraint(ROLE_CHECK, name="role_known"),
        CheckConstraint("email = lower(btrim(email))", name="email_normalized"),
        Index("ix_invitations_tenant_id_id", "tenant_id", "id"),
        Index(
            "uq_invitations_tenant_id_email_open",
            "tenant_id",
            "email",
            unique=True,
            postgresql_where=text("accepted_at IS NULL AND revoked_at IS NULL"),
        ),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(20))
    invited_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    invited_by_label: Mapped[str | None] = mapped_column(String(320))
    token_digest: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    accepted_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    revoked_at: Mapped[datetime | None]
    send_count: Mapped[int] = mapped_column(server_default=text("1"))
    last_sent_at: Mapped[datetime] = mapped_column(server_default=text("now()"))


class PasswordReset(IdMixin, Base):
    """A single-use, short-lived password reset of one account (global, like users)."""

    __tablename__ = "password_resets"
    __table_args__ = (Index("ix_password_resets_user_id", "user_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_digest: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    requested_ip: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
