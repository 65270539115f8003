"""Accounts: outbound mail (the core mail port), invitations, password resets, token versions.

- ``mail_messages``: the outbox of e-mails (core/mail). A message belongs to a tenant
  (``tenant_id``, under the usual tenant policy) or, for mail about an account itself (a
  password reset, which concerns no organization), to that account (``account_user_id``,
  visible only to a transaction acting as that user). Exactly one of the two is set. The
  owner role — the one that runs migrations, and the worker's scheduler role — may read
  and update every row (``TO CURRENT_USER``, as the relay's policies of 0009): the mail
  sweeper finds lapsed leases and lost enqueues across tenants, and ``qm mail list``
  shows an operator what went out. The application role stays bound.
- ``invitations``: an organization's invitation of an e-mail address, accepted by the
  person before they become a member (tenant-owned).
- ``password_resets``: single-use reset tokens of an account (global, like ``users``:
  visible only to a transaction acting as that user).
- ``memberships.token_version``: access tokens carry it; removing a member, changing a
  role or a password bumps it, so the very next request with an older token is refused.
  ``qm_enter_member`` scopes a transaction to (tenant, user) and returns the version in
  one round trip (it replaces the tenant ``set_config`` that starts every request).
- ``users.last_tenant_id``: the organization a user last logged in to or switched to, the
  default of a login that names none.

Revision ID: 0011_accounts
Revises: 0010_jobs
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, BYTEA, JSONB, UUID

from quartermaster.core.tenancy import CURRENT_USER, enable_forced_rls, isolate_by_tenant

revision: str = "0011_accounts"
down_revision: str | None = "0010_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE_CHECK = "role IN ('viewer', 'staff', 'manager', 'admin', 'owner')"
MAIL_STATUSES = ("queued", "sending", "sent", "failed", "uncertain", "cancelled")
MAIL_PHASES = ("envelope", "data")
ACCOUNT_MAIL = f"tenant_id IS NULL AND account_user_id = {CURRENT_USER}"
# (policy, command, clauses) for the owner role: the sweeper and `qm mail`.
MAIL_OWNER_POLICIES = (
    ("mail_operator_select", "SELECT", "USING (true)"),
    ("mail_operator_update", "UPDATE", "USING (true) WITH CHECK (true)"),
)

ENTER_MEMBER = """
CREATE FUNCTION qm_enter_member(p_tenant uuid, p_user uuid) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    -- Transaction-local, like core.db.set_tenant; then the membership under that scope.
    PERFORM set_config('app.tenant_id', p_tenant::text, true),
            set_config('app.user_id', p_user::text, true);
    RETURN (SELECT m.token_version FROM public.memberships m
            WHERE m.tenant_id = p_tenant AND m.user_id = p_user);
END
$$
"""


def _now(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "mail_messages",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("tenant_id", UUID(as_uuid=True), sa.ForeignKey("tenants.id", ondelete="CASCADE")),
        sa.Column(
            "account_user_id",
            UUID(as_uuid=True),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
        ),
        sa.Column("kind", sa.String(80), nullable=False),
        sa.Column("related_type", sa.String(40)),
        sa.Column("related_id", UUID(as_uuid=True)),
        sa.Column("from_address", sa.String(998)),
        sa.Column("reply_to", sa.String(998)),
        sa.Column("to_addresses", ARRAY(sa.Text()), nullable=False),
        sa.Column("cc_addresses", ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("bcc_addresses", ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text()),
        sa.Column("headers", JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("message_id", sa.String(998), nullable=False),
        sa.Column("attachments", JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False),
        sa.Column("attachment_data", ARRAY(BYTEA())),
        sa.Column("confidential", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("status", sa.String(20), server_default=sa.text("'queued'"), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        # An operator's retry starts a new series of attempts from here (attempts stays
        # monotonic: it is the fencing token).
        sa.Column("series_start", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("phase", sa.String(20)),
        sa.Column("lease_until", sa.DateTime(timezone=True)),
        _now("next_attempt_at"),
        sa.Column("last_error", sa.Text()),
        sa.Column("refused", JSONB()),
        sa.Column("smtp_response", sa.Text()),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        _now("created_at"),
        _now("updated_at"),
        sa.CheckConstraint("(tenant_id IS NULL) <> (account_user_id IS NULL)", name="one_owner"),
        sa.CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in MAIL_STATUSES) + ")", name="status_known"
        ),
        sa.CheckConstraint(
            "phase IN (" + ", ".join(f"'{p}'" for p in MAIL_PHASES) + ")", name="phase_known"
        ),
        sa.CheckConstraint("cardinality(to_addresses) > 0", name="has_recipient"),
    )
    op.create_index("ix_mail_messages_tenant_id_id", "mail_messages", ["tenant_id", "id"])
    op.create_index("ix_mail_messages_account_user_id", "mail_messages", ["account_user_id", "id"])
    op.create_index(
        "ix_mail_messages_pending",
        "mail_messages",
        ["next_attempt_at"],
        postgresql_where=sa.text("status IN ('queued', 'sending')"),
    )
    # The tenant policy (as every tenant-owned table), then the account's own messages.
    isolate_by_tenant("mail_messages")
    op.execute(
        f"CREATE POLICY account_mail ON mail_messages USING ({ACCOUNT_MAIL}) "
        f"WITH CHECK ({ACCOUNT_MAIL})"
    )
    for name, command, clauses in MAIL_OWNER_POLICIES:
        op.execute(
            f"CREATE POLICY {name} ON mail_messages AS PERMISSIVE FOR {command} "
            f"TO CURRENT_USER {clauses}"
        )

    op.create_table(
        "invitations",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "tenant_id",
            UUID(as_uuid=True),
            sa.ForeignKey("tenants.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("invited_by", UUID(as_uuid=True), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("invited_by_label", sa.String(320)),
        sa.Column("token_digest", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True)),
        sa.Column(
            "accepted_by", UUID(as_uuid=True), sa.ForeignKey("users.id", ondelete="SET NULL")
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("send_count", sa.Integer(), server_default=sa.text("1"), nullable=False),
        _now("last_sent_at"),
        _now("created_at"),
        _now("updated_at"),
        sa.CheckConstraint(ROLE_CHECK, name="role_known"),
        sa.CheckConstraint("email = lower(btrim(email))", name="email_normalized"),
    )
    op.create_index("ix_invitations_tenant_id_id", "invitations", ["tenant_id", "id"])
    # At most one open invitation per address and organization.
    op.create_index(
        "uq_invitations_tenant_id_email_open",
        "invitations",
        ["tenant_id", "email"],
        unique=True,
        postgresql_where=sa.text("accepted_at IS NULL AND revoked_at IS NULL"),
    )
    isolate_by_tenant("invitations")

    op.create_table(
        "password_resets",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "user_id",
            UUID(as_uuid=True),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("token_digest", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
        sa.Column("requested_ip", sa.String(64)),
        _now("created_at"),
    )
    op.create_index("ix_password_resets_user_id", "password_resets", ["user_id"])
    enable_forced_rls("password_resets")
    op.execute(
        "CREATE POLICY own_password_resets ON password_resets "
        f"USING (user_id = {CURRENT_USER}) WITH CHECK (user_id = {CURRENT_USER})"
    )

    op.add_column(
        "memberships",
        sa.Column("token_version", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column(
        "users",
        sa.Column(
            "last_tenant_id",
            UUID(as_uuid=True),
            sa.ForeignKey(
                "tenants.id", ondelete="SET NULL", name="fk_users_last_tenant_id_tenants"
            ),
        ),
    )
    op.execute(ENTER_MEMBER)


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS qm_enter_member(uuid, uuid)")
    op.drop_constraint("fk_users_last_tenant_id_tenants", "users", type_="foreignkey")
    op.drop_column("users", "last_tenant_id")
    op.drop_column("memberships", "token_version")
    op.drop_table("password_resets")
    op.drop_table("invitations")
    op.drop_table("mail_messages")
