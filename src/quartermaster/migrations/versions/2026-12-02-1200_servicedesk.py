"""Service desk: teams, agents, contacts, custom fields, SLA policies, tickets (numbered per
tenant), comments, attachments, links, RMA reservations, CSAT surveys, e-mail threading.

Every table is tenant-owned under forced RLS; references between them are composite
``(tenant_id, …)`` foreign keys onto ``UNIQUE (tenant_id, id)``. Ticket numbers come from
``ticket_counters`` (one row per tenant, taken with an upsert whose row lock lasts until
the creating transaction ends: sequential, and gap-free because a rollback undoes it).

Revision ID: 0013_servicedesk
Revises: 0016_ops
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from quartermaster.core.tenancy import isolate_by_tenant

revision: str = "0013_servicedesk"
down_revision: str | None = "0016_ops"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("new", "open", "pending", "resolved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
STRATEGIES = ("manual", "round_robin", "load_balanced")
FIELD_TYPES = ("text", "number", "select", "date")
LINK_KINDS = ("relates_to", "duplicates", "blocks")
AUTHOR_KINDS = ("agent", "requester", "system")
CHANNELS = ("api", "email")

TABLES = (
    "sla_policies",
    "teams",
    "team_members",
    "agent_statuses",
    "contacts",
    "ticket_fields",
    "ticket_counters",
    "tickets",
    "ticket_comments",
    "ticket_attachments",
    "ticket_links",
    "ticket_reservations",
    "csat_surveys",
    "email_messages",
)


def _known(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _id() -> sa.Column[object]:
    return sa.Column("id", UUID(as_uuid=True), primary_key=True)


def _tenant(primary_key: bool = False) -> sa.Column[object]:
    return sa.Column(
        "tenant_id",
        UUID(as_uuid=True),
        sa.ForeignKey("tenants.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
    )


def _now(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def _at(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True))


def _uuid(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, UUID(as_uuid=True), nullable=nullable)


def _fk(
    table: str, columns: list[str], target: str, ondelete: str | None = None
) -> sa.ForeignKeyConstraint:
    name = f"fk_{table}_tenant_id_{'_'.join(columns)}_{target}"
    return sa.ForeignKeyConstraint(
        ["tenant_id", *columns],
        [f"{target}.tenant_id", f"{target}.id"],
        name=name,
        ondelete=ondelete,
    )


def _version() -> sa.Column[object]:
    return sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "sla_policies",
        _id(),
        _tenant(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("weekly_hours", JSONB(), nullable=False),
        sa.Column("holidays", ARRAY(sa.Date()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("targets", JSONB(), nullable=False),
        sa.Column("is_default", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        _version(),
        _now("created_at"),
        _now("updated_at"),
        sa.UniqueConstraint("tenant_id", "id", name="uq_sla_policies_tenant_id_id"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
    )
    op.create_index(
        "uq_sla_policies_tenant_id_lower_name",
        "sla_policies",
        ["tenant_id", sa.text("lower(name)")],
        unique=True,
    )
    op.create_index(
        "uq_sla_policies_tenant_id_default",
        "sla_policies",
        ["tenant_id"],
        unique=True,
        postgresql_where=sa.text("is_default"),
    )

    op.create_table(
        "teams",
        _id(),
        _tenant(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("assignment_strategy", sa.String(20), nullable=False),
        _uuid("sla_policy_id"),
        sa.Column("is_default", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        _version(),
        _now("created_at"),
        _now("updated_at"),
        sa.UniqueConstraint("tenant_id", "id", name="uq_teams_tenant_id_id"),
        _fk("teams", ["sla_policy_id"], "sla_policies"),
        sa.CheckConstraint(_known("assignment_strategy", STRATEGIES), name="strategy_known"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
    )
    op.create_index(
        "uq_teams_tenant_id_lower_name", "teams", ["tenant_id", sa.text("lower(name)")], unique=True
    )
    op.create_index(
        "uq_teams_tenant_id_default",
        "teams",
        ["tenant_id"],
        unique=True,
        postgresql_where=sa.text("is_default"),
    )

    op.create_table(
        "team_members",
        _tenant(primary_key=True),
        sa.Column("team_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("user_id", UUID(as_uuid=True), primary_key=True),
        _at("last_assigned_at"),
        _now("created_at"),
        _fk("team_members", ["team_id"], "teams", "CASCADE"),
    )
    op.create_index("ix_team_members_tenant_id_user_id", "team_members", ["tenant_id", "user_id"])

    op.create_table(
        "agent_statuses",
        _tenant(primary_key=True),
        sa.Column("user_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("is_away", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        _now("updated_at"),
    )

    op.create_table(
        "contacts",
        _id(),
        _tenant(),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        _now("created_at"),
        _now("updated_at"),
        sa.UniqueConstraint("tenant_id", "id", name="uq_contacts_tenant_id_id"),
    )
    op.create_index("uq_contacts_tenant_id_email", "contacts", ["tenant_id", "email"], unique=True)

    op.create_table(
        "ticket_fields",
        _id(),
        _tenant(),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("options", ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("required", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        _now("created_at"),
        sa.UniqueConstraint("tenant_id", "key", name="uq_ticket_fields_tenant_id_key"),
        sa.CheckConstraint(_known("type", FIELD_TYPES), name="type_known"),
    )

    op.create_table(
        "ticket_counters",
        _tenant(primary_key=True),
        sa.Column("last_number", sa.BigInteger(), nullable=False),
    )

    op.create_table(
        "tickets",
        _id(),
        _tenant(),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("description", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("priority", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        _uuid("team_id"),
        _uuid("assignee_id"),
        _uuid("requester_id", nullable=False),
        sa.Column("tags", ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("custom_fields", JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column(
            "product_ids", ARRAY(UUID(as_uuid=True)), server_default=sa.text("'{}'"), nullable=False
        ),
        _uuid("sla_policy_id"),
        _at("first_response_due_at"),
        _at("resolution_due_at"),
        _at("first_responded_at"),
        sa.Column("resolution_started_at", sa.DateTime(timezone=True), nullable=False),
        _at("resolved_at"),
        _at("closed_at"),
        _at("breached_at"),
        _at("sla_paused_at"),
        sa.Column(
            "response_paused_seconds", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column(
            "resolution_paused_seconds",
            sa.BigInteger(),
            server_default=sa.text("0"),
            nullable=False,
        ),
        _uuid("merged_into_id"),
        _version(),
        _now("created_at"),
        _now("updated_at"),
        sa.UniqueConstraint("tenant_id", "id", name="uq_tickets_tenant_id_id"),
        sa.UniqueConstraint("tenant_id", "number", name="uq_tickets_tenant_id_number"),
        _fk("tickets", ["team_id"], "teams"),
        _fk("tickets", ["requester_id"], "contacts"),
        _fk("tickets", ["sla_policy_id"], "sla_policies"),
        _fk("tickets", ["merged_into_id"], "tickets"),
        sa.CheckConstraint(_known("status", STATUSES), name="status_known"),
        sa.CheckConstraint(_known("priority", PRIORITIES), name="priority_known"),
        sa.CheckConstraint(_known("channel", CHANNELS), name="channel_known"),
        sa.CheckConstraint("jsonb_typeof(custom_fields) = 'object'", name="custom_fields_object"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
    )
    for name, columns in (
        ("ix_tickets_tenant_id_created_at_id", ["tenant_id", "created_at", "id"]),
        ("ix_tickets_tenant_id_updated_at_id", ["tenant_id", "updated_at", "id"]),
        ("ix_tickets_tenant_id_status", ["tenant_id", "status"]),
        ("ix_tickets_tenant_id_assignee_id_status", ["tenant_id", "assignee_id", "status"]),
        ("ix_tickets_tenant_id_team_id", ["tenant_id", "team_id"]),
        ("ix_tickets_tenant_id_requester_id", ["tenant_id", "requester_id"]),
    ):
        op.create_index(name, "tickets", columns)
    op.create_index("ix_tickets_tags", "tickets", ["tags"], postgresql_using="gin")
    op.create_index("ix_tickets_product_ids", "tickets", ["product_ids"], postgresql_using="gin")
    op.create_index(
        "ix_tickets_tenant_id_unbreached",
        "tickets",
        ["tenant_id", "resolution_due_at"],
        postgresql_where=sa.text("breached_at IS NULL AND status <> 'closed'"),
    )

    op.create_table(
        "ticket_comments",
        _id(),
        _tenant(),
        _uuid("ticket_id", nullable=False),
        sa.Column("author_kind", sa.String(20), nullable=False),
        _uuid("author_user_id"),
        _uuid("contact_id"),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("internal", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        _now("created_at"),
        sa.UniqueConstraint("tenant_id", "id", name="uq_ticket_comments_tenant_id_id"),
        _fk("ticket_comments", ["ticket_id"], "tickets"),
        _fk("ticket_comments", ["contact_id"], "contacts"),
        sa.CheckConstraint(_known("author_kind", AUTHOR_KINDS), name="author_kind_known"),
        sa.CheckConstraint(_known("channel", CHANNELS), name="channel_known"),
    )
    op.create_index(
        "ix_ticket_comments_tenant_id_ticket_id_id",
        "ticket_comments",
        ["tenant_id", "ticket_id", "id"],
    )

    op.create_table(
        "ticket_attachments",
        _id(),
        _tenant(),
        _uuid("ticket_id", nullable=False),
        _uuid("comment_id"),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(200), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("internal", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        _uuid("created_by"),
        _now("created_at"),
        sa.UniqueConstraint("tenant_id", "id", name="uq_ticket_attachments_tenant_id_id"),
        _fk("ticket_attachments", ["ticket_id"], "tickets"),
        _fk("ticket_attachments", ["comment_id"], "ticket_comments"),
        sa.CheckConstraint("size >= 0", name="size_not_negative"),
    )
    op.create_index(
        "ix_ticket_attachments_tenant_id_ticket_id",
        "ticket_attachments",
        ["tenant_id", "ticket_id"],
    )

    op.create_table(
        "ticket_links",
        _id(),
        _tenant(),
        _uuid("ticket_id", nullable=False),
        _uuid("other_ticket_id", nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        _uuid("created_by"),
        _now("created_at"),
        sa.UniqueConstraint(
            "tenant_id",
            "ticket_id",
            "other_ticket_id",
            name="uq_ticket_links_tenant_id_ticket_id_other_ticket_id",
        ),
        _fk("ticket_links", ["ticket_id"], "tickets"),
        _fk("ticket_links", ["other_ticket_id"], "tickets"),
        sa.CheckConstraint(_known("kind", LINK_KINDS), name="kind_known"),
        sa.CheckConstraint("ticket_id <> other_ticket_id", name="not_self"),
    )
    op.create_index(
        "ix_ticket_links_tenant_id_other_ticket_id",
        "ticket_links",
        ["tenant_id", "other_ticket_id"],
    )

    op.create_table(
        "ticket_reservations",
        _tenant(primary_key=True),
        sa.Column("reservation_id", UUID(as_uuid=True), primary_key=True),
        _uuid("ticket_id", nullable=False),
        _uuid("product_id", nullable=False),
        _uuid("location_id", nullable=False),
        sa.Column("quantity", sa.Numeric(), nullable=False),
        _uuid("created_by"),
        _now("created_at"),
        _fk("ticket_reservations", ["ticket_id"], "tickets"),
    )
    op.create_index(
        "ix_ticket_reservations_tenant_id_ticket_id",
        "ticket_reservations",
        ["tenant_id", "ticket_id"],
    )

    op.create_table(
        "csat_surveys",
        _id(),
        _tenant(),
        _uuid("ticket_id", nullable=False),
        _uuid("team_id"),
        _uuid("agent_id"),
        sa.Column("score", sa.SmallInteger()),
        sa.Column("comment", sa.Text()),
        _now("created_at"),
        _at("answered_at"),
        _fk("csat_surveys", ["ticket_id"], "tickets"),
        sa.CheckConstraint("score IS NULL OR score BETWEEN 1 AND 5", name="score_range"),
    )
    op.create_index(
        "ix_csat_surveys_tenant_id_ticket_id", "csat_surveys", ["tenant_id", "ticket_id"]
    )
    op.create_index(
        "ix_csat_surveys_tenant_id_answered_at", "csat_surveys", ["tenant_id", "answered_at"]
    )

    op.create_table(
        "email_messages",
        _id(),
        _tenant(),
        _uuid("ticket_id", nullable=False),
        _uuid("comment_id"),
        sa.Column("message_id", sa.String(998), nullable=False),
        sa.Column("direction", sa.String(10), nullable=False),
        _now("created_at"),
        sa.UniqueConstraint(
            "tenant_id", "message_id", name="uq_email_messages_tenant_id_message_id"
        ),
        _fk("email_messages", ["ticket_id"], "tickets"),
        sa.CheckConstraint("direction IN ('inbound', 'outbound')", name="direction_known"),
    )
    op.create_index(
        "ix_email_messages_tenant_id_ticket_id", "email_messages", ["tenant_id", "ticket_id"]
    )

    for table in TABLES:
        isolate_by_tenant(table)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
