"""Service desk tables. Every one is tenant-owned (forced RLS, migration 0013) and refers to
its neighbours with composite ``(tenant_id, …)`` foreign keys, so a row can only ever point
into its own tenant. Users (agents) and products belong to other modules: their ids are
held here and checked through ``identity.public`` and ``catalog.public``."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.orm import Mapped, mapped_column

from quartermaster.core.db import Base, IdMixin, TimestampMixin

STATUSES = ("new", "open", "pending", "resolved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
STRATEGIES = ("manual", "round_robin", "load_balanced")
FIELD_TYPES = ("text", "number", "select", "date")
LINK_KINDS = ("relates_to", "duplicates", "blocks")
AUTHOR_KINDS = ("agent", "requester", "system")
CHANNELS = ("api", "email")


def _tenant_fk() -> Any:
    return mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))


def _known(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _fk(columns: list[str], table: str, name: str, ondelete: str | None = None) -> Any:
    return ForeignKeyConstraint(
        ["tenant_id", *columns],
        [f"{table}.tenant_id", f"{table}.id"],
        name=name,
        ondelete=ondelete,
    )


class SlaPolicy(IdMixin, TimestampMixin, Base):
    """First-response and resolution targets per priority, on a business-hours calendar
    (time zone, weekly hours, holidays). One policy per tenant may be the default."""

    __tablename__ = "sla_policies"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        Index(
            "uq_sla_policies_tenant_id_lower_name",
            "tenant_id",
            func.lower(text("name")),
            unique=True,
        ),
        Index(
            "uq_sla_policies_tenant_id_default",
            "tenant_id",
            unique=True,
            postgresql_where=text("is_default"),
        ),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    tenant_id: Mapped[uuid.UUID] = _tenant_fk()
    name: Mapped[str] = mapped_column(String(200))
    time_zone: Mapped[str] = mapped_column(String(64))
    # {"mon": ["09:00-17:00"], …}: weekday → local intervals.
    weekly_hours: Mapped[dict[str, Any]]
    holidays: Mapped[list[date]] = mapped_column(ARRAY(Date), server_default=text("'{}'"))
    # {"urgent": {"first_response_minutes": 30, "resolution_minutes": 240}, …}
    targets: Mapped[dict[str, Any]]
    is_default: Mapped[bool] = mapped_column(server_default=text("false"))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))


class Team(IdMixin, TimestampMixin, Base):
    __tablename__ = "teams"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        Index("uq_teams_tenant_id_lower_name", "tenant_id", func.lower(text("name")), unique=True),
        # Tickets without a team (e-mail, API) go to the default team.
        Index(
            "uq_teams_tenant_id_default",
            "tenant_id",
            unique=True,
            postgresql_where=text("is_default"),
        ),
        _fk(["sla_policy_id"], "sla_policies", "fk_teams_tenant_id_sla_policy_id_sla_policies"),
        CheckConstraint(_known("assignment_strategy", STRATEGIES), name="strategy_known"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    tenant_id: Mapped[uuid.UUID] = _tenant_fk()
    name: Mapped[str] = mapped_column(String(200))
    assignment_strategy: Mapped[str] = mapped_column(String(20))
    sla_policy_id: Mapped[uuid.UUID | None]
    is_default: Mapped[bool] = mapped_column(server_default=text("false"))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))


class TeamMember(Base):
    """An agent in a team; ``last_assigned_at`` orders the round robin."""

    __tablename__ = "team_members"
    __table_args__ = (
        _fk(["team_id"], "teams", "fk_team_members_tenant_id_team_id_teams", "CASCADE"),
        Index("ix_team_members_tenant_id_user_id", "tenant_id", "user_id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    team_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    last_assigned_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class AgentStatus(Base):
    """An agent marked away is skipped by automatic assignment."""

    __tablename__ = "agent_statuses"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    is_away: Mapped[bool] = mapped_column(server_default=text("false"))
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Contact(IdMixin, TimestampMixin, Base):
    """A requester: created the first time an address is seen (API or e-mail)."""

    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        Index("uq_contacts_tenant_id_email", "tenant_id", "email", unique=True),
    )

    tenant_id: Mapped[uuid.UUID] = _tenant_fk()
    email: Mapped[str] = mapped_column(String(320))  # stored lower-cased
    name: Mapped[str] = mapped_column(String(200))


class TicketField(IdMixin, Base):
    """A per-tenant custom field definition that ``tickets.custom_fields`` follows."""

    __tablename__ = "ticket_fields"
    __table_args__ = (
        UniqueConstraint("tenant_id", "key"),
        CheckConstraint(_known("type", FIELD_TYPES), name="type_known"),
    )

    tenant_id: Mapped[uuid.UUID] = _tenant_fk()
    key: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20))
    options: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    required: Mapped[bool] = mapped_column(server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class TicketCounter(Base):
    """The tenant's last ticket number. Taken with an upsert that locks the row until the
    transaction ends, so numbers are sequential and a rolled-back creation leaves no gap."""

    __tablename__ = "ticket_counters"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    last_number: Mapped[int] = mapped_column(BigInteger)


class Ticket(IdMixin, TimestampMixin, Base):
    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        UniqueConstraint("tenant_id", "number"),
        _fk(["team_id"], "teams", "fk_tickets_tenant_id_team_id_teams"),
        _fk(["requester_id"], "contacts", "fk_tickets_tenant_id_requester_id_contacts"),
        _fk(["sla_policy_id"], "sla_policies", "fk_tickets_tenant_id_sla_policy_id_sla_policies"),
        _fk(["merged_into_id"], "tickets", "fk_tickets_tenant_id_merged_into_id_tickets"),
        CheckConstraint(_known("status", STATUSES), name="status_known"),
        CheckConstraint(_known("priority", PRIORITIES), name="priority_known"),
        CheckConstraint(_known("channel", CHANNELS), name="channel_known"),
        CheckConstraint("jsonb_typeof(custom_fields) = 'object'", name="custom_fields_object"),
        CheckConstraint("version >= 1", name="version_positive"),
        Index("ix_tickets_tenant_id_created_at_id", "tenant_id", "created_at", "id"),
        Index("ix_tickets_tenant_id_updated_at_id", "tenant_id", "updated_at", "id"),
        Index("ix_tickets_tenant_id_status", "tenant_id", "status"),
        Index("ix_tickets_tenant_id_assignee_id_status", "tenant_id", "assignee_id", "status"),
        Index("ix_tickets_tenant_id_team_id", "tenant_id", "team_id"),
        Index("ix_tickets_tenant_id_requester_id", "tenant_id", "requester_id"),
        Index("ix_tickets_tags", "tags", postgresql_using="gin"),
        Index("ix_tickets_product_ids", "product_ids", postgresql_using="gin"),
        # The breach job's question: running clocks not yet marked.
        Index(
            "ix_tickets_tenant_id_unbreached",
            "tenant_id",
            "resolution_due_at",
            postgresql_where=text("breached_at IS NULL AND status <> 'closed'"),
        ),
    )

    tenant_id: Mapped[uuid.UUID] = _tenant_fk()
    number: Mapped[int] = mapped_column(BigInteger)
    subject: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, server_default=text("''"))
    status: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))
    team_id: Mapped[uuid.UUID | None]
    assignee_id: Mapped[uuid.UUID | None]
    requester_id: Mapped[uuid.UUID]
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    custom_fields: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    product_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(PG_UUID(as_uuid=True)), server_default=text("'{}'")
    )
    # SLA: the policy chosen at creation (team's, else the default), the clocks' due
    # dates, what stopped them, and the business time spent pending (added to the target).
    sla_policy_id: Mapped[uuid.UUID | None]
    first_response_due_at: Mapped[datetime | None]
    resolution_due_at: Mapped[datetime | None]
    first_responded_at: Mapped[datetime | None]
    resolution_started_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    breached_at: Mapped[datetime | None]
    sla_paused_at: Mapped[datetime | None]
    response_paused_seconds: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    resolution_paused_seconds: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    merged_into_id: Mapped[uuid.UUID | None]
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))


class TicketComment(IdMixin, Base):
    __tablename__ = "ticket_comments"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        _fk(["ticket_id"], "tickets", "fk_ticket_comments_tenant_id_ticket_id_tickets"),
        _fk(["contact_id"], "contacts", "fk_ticket_comments_tenant_id_contact_id_contacts"),
        CheckConstraint(_known("author_kind", AUTHOR_KINDS), name="author_kind_known"),
        CheckConstraint(_known("channel", CHANNELS), name="channel_known"),
        Index("ix_ticket_comments_tenant_id_ticket_id_id", "tenant_id", "ticket_id", "id"),
    )

    tenant_id: Mapped[uuid.UUID] = _tenant_fk()
    ticket_id: Mapped[uuid.UUID]
    author_kind: Mapped[str] = mapped_column(String(20))
    author_user_id: Mapped[uuid.UUID | None]
    contact_id: Mapped[uuid.UUID | None]
    body: Mapped[str] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(server_default=text("false"))
    channel: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class TicketAttachment(IdMixin, Base):
    """A file under ``<data dir>/servicedesk/attachments/<tenant>/<id>``; the name is the
    sanitised one the client gave, the content type the sniffed one."""

    __tablename__ = "ticket_attachments"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        _fk(["ticket_id"], "tickets", "fk_ticket_attachments_tenant_id_ticket_id_tickets"),
        _fk(
            ["comment_id"],
            "ticket_comments",
            "fk_ticket_attachments_tenant_id_comment_id_ticket_comments",
        ),
        CheckConstraint("size >= 0", name="size_not_negative"),
        Index("ix_ticket_attachments_tenant_id_ticket_id", "tenant_id", "ticket_id"),
    )

    tenant_id: Mapped[uuid.UUID] = _tenant_fk()
    ticket_id: Mapped[uuid.UUID]
    comment_id: Mapped[uuid.UUID | None]
    file_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    internal: Mapped[bool] = mapped_column(server_default=text("false"))
    created_by: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class TicketLink(IdMixin, Base):
    __tablename__ = "ticket_links"
    __table_args__ = (
        UniqueConstraint("tenant_id", "ticket_id", "other_ticket_id"),
        _fk(["ticket_id"], "tickets", "fk_ticket_links_tenant_id_ticket_id_tickets"),
        _fk(["other_ticket_id"], "tickets", "fk_ticket_links_tenant_id_other_ticket_id_tickets"),
        CheckConstraint(_known("kind", LINK_KINDS), name="kind_known"),
        CheckConstraint("ticket_id <> other_ticket_id", name="not_self"),
        Index("ix_ticket_links_tenant_id_other_ticket_id", "tenant_id", "other_ticket_id"),
    )

    tenant_id: Mapped[uuid.UUID] = _tenant_fk()
    ticket_id: Mapped[uuid.UUID]
    other_ticket_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(20))
    created_by: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class TicketReservation(Base):
    """Stock reserved for a ticket (RMA) through inventory's public API; the reservation's
    state lives in inventory, this row remembers which ticket it serves."""

    __tablename__ = "ticket_reservations"
    __table_args__ = (
        _fk(["ticket_id"], "tickets", "fk_ticket_reservations_tenant_id_ticket_id_tickets"),
        Index("ix_ticket_reservations_tenant_id_ticket_id", "tenant_id", "ticket_id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    reservation_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    ticket_id: Mapped[uuid.UUID]
    product_id: Mapped[uuid.UUID]
    location_id: Mapped[uuid.UUID]
    quantity: Mapped[Decimal] = mapped_column(Numeric())
    created_by: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class CsatSurvey(IdMixin, Base):
    """One rating request per resolution. The link's secret is an HMAC of the id (nothing
    secret is stored); ``answered_at`` makes it single-use."""

    __tablename__ = "csat_surveys"
    __table_args__ = (
        _fk(["ticket_id"], "tickets", "fk_csat_surveys_tenant_id_ticket_id_tickets"),
        CheckConstraint("score IS NULL OR score BETWEEN 1 AND 5", name="score_range"),
        Index("ix_csat_surveys_tenant_id_ticket_id", "tenant_id", "ticket_id"),
        Index("ix_csat_surveys_tenant_id_answered_at", "tenant_id", "answered_at"),
    )

    tenant_id: Mapped[uuid.UUID] = _tenant_fk()
    ticket_id: Mapped[uuid.UUID]
    team_id: Mapped[uuid.UUID | None]
    agent_id: Mapped[uuid.UUID | None]
    score: Mapped[int | None] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    answered_at: Mapped[datetime | None]


class EmailMessage(IdMixin, Base):
    """Every Message-ID of a ticket's conversation, inbound and outbound: a reply is
    threaded by looking its In-Reply-To / References up here; a message delivered twice
    (same Message-ID) is recognised and not turned into a second comment."""

    __tablename__ = "email_messages"
    __table_args__ = (
        UniqueConstraint("tenant_id", "message_id"),
        _fk(["ticket_id"], "tickets", "fk_email_messages_tenant_id_ticket_id_tickets"),
        CheckConstraint("direction IN ('inbound', 'outbound')", name="direction_known"),
        Index("ix_email_messages_tenant_id_ticket_id", "tenant_id", "ticket_id"),
    )

    tenant_id: Mapped[uuid.UUID] = _tenant_fk()
    ticket_id: Mapped[uuid.UUID]
    comment_id: Mapped[uuid.UUID | None]
    message_id: Mapped[str] = mapped_column(String(998))
    direction: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
