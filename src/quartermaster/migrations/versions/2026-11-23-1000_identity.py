"""Identity: tenants, users, memberships, refresh tokens, API keys, audit events; RLS.

Tenants and users are global tables, still under forced RLS: a tenant row is visible in
its own transactions and to its members; a user row to itself, to the tenants it belongs
to, and to a transaction that looks it up by e-mail (login, invitations).

Revision ID: 0002_identity
Revises: 0001_baseline
Create Date: 2026-11-23 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

from quartermaster.core.tenancy import (
    CURRENT_TENANT,
    CURRENT_USER,
    LOOKUP_EMAIL,
    enable_forced_rls,
    isolate_by_tenant,
)

revision: str = "0002_identity"
down_revision: str | None = "0001_baseline"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE_CHECK = "role IN ('viewer', 'staff', 'manager', 'admin', 'owner')"


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    ]


def _tenant_fk() -> sa.Column[object]:
    return sa.Column(
        "tenant_id",
        UUID(as_uuid=True),
        sa.ForeignKey("tenants.id", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("slug", sa.String(80), nullable=False, unique=True),
        *_timestamps(),
    )
    op.create_table(
        "users",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.Text()),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True)),
        *_timestamps(),
        sa.CheckConstraint("email = lower(btrim(email))", name="email_normalized"),
    )
    op.create_table(
        "memberships",
        sa.Column(
            "tenant_id",
            UUID(as_uuid=True),
            sa.ForeignKey("tenants.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "user_id",
            UUID(as_uuid=True),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("role", sa.String(20), nullable=False),
        *_timestamps(),
        sa.CheckConstraint(ROLE_CHECK, name="role_known"),
    )
    op.create_index("ix_memberships_user_id", "memberships", ["user_id"])
    op.create_table(
        "refresh_tokens",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        _tenant_fk(),
        sa.Column(
            "user_id",
            UUID(as_uuid=True),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("family_id", UUID(as_uuid=True), nullable=False),
        sa.Column("token_digest", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    )
    op.create_index(
        "ix_refresh_tokens_tenant_id_family_id", "refresh_tokens", ["tenant_id", "family_id"]
    )
    op.create_table(
        "api_keys",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        _tenant_fk(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("key_digest", sa.String(64), nullable=False),
        sa.Column("hint", sa.String(8), nullable=False),
        sa.Column("created_by", UUID(as_uuid=True), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("expires_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(ROLE_CHECK, name="role_known"),
    )
    op.create_index("ix_api_keys_tenant_id_created_at", "api_keys", ["tenant_id", "created_at"])
    op.create_table(
        "audit_events",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        _tenant_fk(),
        sa.Column(
            "occurred_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("action", sa.String(80), nullable=False),
        sa.Column("actor_type", sa.String(20), nullable=False),
        sa.Column("actor_id", UUID(as_uuid=True)),
        sa.Column("actor_label", sa.String(320)),
        sa.Column("target_type", sa.String(40)),
        sa.Column("target_id", UUID(as_uuid=True)),
        sa.Column("ip", sa.String(64)),
        sa.Column("user_agent", sa.String(400)),
        sa.Column("details", JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
    )
    op.create_index("ix_audit_events_tenant_id_id", "audit_events", ["tenant_id", "id"])

    for table in ("refresh_tokens", "api_keys", "audit_events"):
        isolate_by_tenant(table)

    # Memberships: the tenant's own; the current user's in every tenant are readable
    # (switching) but, being a separate SELECT policy, not deletable from another tenant.
    isolate_by_tenant("memberships")
    op.execute(
        "CREATE POLICY own_memberships_readable ON memberships FOR SELECT "
        f"USING (user_id = {CURRENT_USER})"
    )
    # Tenants: the current one; those the current user belongs to are readable only.
    enable_forced_rls("tenants")
    op.execute(
        "CREATE POLICY tenant_isolation ON tenants "
        f"USING (id = {CURRENT_TENANT}) WITH CHECK (id = {CURRENT_TENANT})"
    )
    op.execute(
        "CREATE POLICY member_tenants_readable ON tenants FOR SELECT "
        "USING (EXISTS (SELECT 1 FROM memberships m "
        f"WHERE m.tenant_id = tenants.id AND m.user_id = {CURRENT_USER}))"
    )
    # Users are global accounts: readable by themselves, by the tenants they belong to, and
    # by a transaction looking up exactly their e-mail (login, adding a member); created
    # only under such a lookup or as themselves; changed only by themselves; never deleted
    # through the application role. A tenant can therefore never alter an account that
    # other tenants share.
    enable_forced_rls("users")
    op.execute(
        "CREATE POLICY users_readable ON users FOR SELECT "
        f"USING (id = {CURRENT_USER} OR email = {LOOKUP_EMAIL} OR EXISTS (SELECT 1 FROM "
        f"memberships m WHERE m.user_id = users.id AND m.tenant_id = {CURRENT_TENANT}))"
    )
    op.execute(
        "CREATE POLICY users_insertable ON users FOR INSERT "
        f"WITH CHECK (id = {CURRENT_USER} OR email = {LOOKUP_EMAIL})"
    )
    op.execute(
        "CREATE POLICY users_self_updatable ON users FOR UPDATE "
        f"USING (id = {CURRENT_USER}) WITH CHECK (id = {CURRENT_USER})"
    )


def downgrade() -> None:
    # These policies read memberships, so they go before it does.
    op.execute("DROP POLICY member_tenants_readable ON tenants")
    op.execute("DROP POLICY tenant_isolation ON tenants")
    op.execute("DROP POLICY users_readable ON users")
    for table in ("audit_events", "api_keys", "refresh_tokens", "memberships", "users", "tenants"):
        op.drop_table(table)
