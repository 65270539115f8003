"""Request and response bodies of the service desk API."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    EmailStr,
    Field,
    StringConstraints,
)

from quartermaster.core.schemas import Strict, StrictPatch

TICKET_PREFIX = "QM-"


def clean_text(value: str) -> str:
    """Text PostgreSQL can store: no NUL characters, no lone surrogates."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("contains characters that are not valid Unicode text") from exc
    return value


MIN_YEAR, MAX_YEAR = 1900, 2999


def _within_range(value: datetime) -> datetime:
    """Times far outside any ticket's life (year 1, 9999) cannot be stored or computed
    with; refused at the edge."""
    year = value.astimezone(UTC).year if MIN_YEAR < value.year < MAX_YEAR else value.year
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"must be between the years {MIN_YEAR} and {MAX_YEAR}")
    return value


def _within_years(value: date) -> date:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"must be between the years {MIN_YEAR} and {MAX_YEAR}")
    return value


BoundedDatetime = Annotated[AwareDatetime, AfterValidator(_within_range)]


def _tag(value: str) -> str:
    return value.lower()


Clean = AfterValidator(clean_text)
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), Clean]
Subject = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), Clean
]
Description = Annotated[str, StringConstraints(max_length=50_000), Clean]
Body = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50_000), Clean
]
TAG_PATTERN = r"^[\w][\w\-.:/]{0,49}$"
Tag = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=TAG_PATTERN),
    AfterValidator(_tag),
]
FieldKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Minutes = Annotated[int, Field(ge=1, le=366 * 24 * 60)]


class TicketStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class AssignmentStrategy(StrEnum):
    MANUAL = "manual"
    ROUND_ROBIN = "round_robin"
    LOAD_BALANCED = "load_balanced"


class FieldType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    SELECT = "select"
    DATE = "date"


class LinkKind(StrEnum):
    RELATES_TO = "relates_to"
    DUPLICATES = "duplicates"
    BLOCKS = "blocks"


class SlaState(StrEnum):
    """``breached``: a target was missed (marked once by the breach job); ``due_soon``: a
    running clock ends within the hour; ``paused``: pending; ``ok``: running with time
    left; ``met``: both clocks stopped in time; ``none``: no SLA policy applies."""

    NONE = "none"
    OK = "ok"
    DUE_SOON = "due_soon"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"


class SlaFilter(StrEnum):
    BREACHED = "breached"
    DUE_SOON = "due_soon"


class TicketSort(StrEnum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    NUMBER = "number"
    PRIORITY = "priority"
    RESOLUTION_DUE_AT = "resolution_due_at"


class SortOrder(StrEnum):
    ASC = "asc"
    DESC = "desc"


# SLA policies


class SlaTarget(Strict):
    first_response_minutes: Minutes | None = None
    resolution_minutes: Minutes | None = None


class SlaPolicyCreate(Strict):
    name: Name
    time_zone: Annotated[str, StringConstraints(min_length=1, max_length=64)] = "UTC"
    weekly_hours: dict[str, list[str]] = Field(
        description='Local business hours per weekday, e.g. {"mon": ["09:00-17:00"]}; '
        "weekdays mon … sun; a day without intervals has none"
    )
    holidays: list[Annotated[date, AfterValidator(_within_years)]] = Field(
        default_factory=list, max_length=1000
    )
    targets: dict[Priority, SlaTarget] = Field(
        description="Targets in business minutes per priority; a priority left out has none"
    )
    is_default: bool = Field(
        default=False, description="Used for tickets whose team has no policy of its own"
    )


class SlaPolicyUpdate(StrictPatch):
    name: Name | None = None
    time_zone: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    weekly_hours: dict[str, list[str]] | None = None
    holidays: list[Annotated[date, AfterValidator(_within_years)]] | None = Field(
        default=None, max_length=1000
    )
    targets: dict[Priority, SlaTarget] | None = None
    is_default: bool | None = None


class SlaPolicyRead(BaseModel):
    id: uuid.UUID
    name: str
    time_zone: str
    weekly_hours: dict[str, list[str]]
    holidays: list[date]
    targets: dict[str, SlaTarget]
    is_default: bool
    version: int
    created_at: datetime
    updated_at: datetime


# Teams and agents


class TeamCreate(Strict):
    name: Name
    assignment_strategy: AssignmentStrategy = AssignmentStrategy.MANUAL
    member_ids: list[uuid.UUID] = Field(default_factory=list, max_length=500)
    sla_policy_id: uuid.UUID | None = None
    is_default: bool = Field(
        default=False, description="Receives tickets created without a team (e-mail, API)"
    )


class TeamUpdate(StrictPatch):
    NULLABLE: ClassVar[frozenset[str]] = frozenset({"sla_policy_id"})

    name: Name | None = None
    assignment_strategy: AssignmentStrategy | None = None
    member_ids: list[uuid.UUID] | None = Field(
        default=None, max_length=500, description="Replaces the members"
    )
    sla_policy_id: uuid.UUID | None = None
    is_default: bool | None = None


class TeamMemberRead(BaseModel):
    user_id: uuid.UUID
    full_name: str
    email: str
    is_away: bool


class TeamRead(BaseModel):
    id: uuid.UUID
    name: str
    assignment_strategy: AssignmentStrategy
    sla_policy_id: uuid.UUID | None
    is_default: bool
    members: list[TeamMemberRead]
    version: int
    created_at: datetime
    updated_at: datetime


class AgentRead(BaseModel):
    user_id: uuid.UUID
    full_name: str
    email: str
    role: str
    is_away: bool
    open_tickets: int
    team_ids: list[uuid.UUID]


class AgentUpdate(Strict):
    is_away: bool


# Custom fields


class TicketFieldCreate(Strict):
    key: FieldKey
    label: Name
    type: FieldType
    options: list[Name] = Field(
        default_factory=list, max_length=200, description="The choices of a select field"
    )
    required: bool = False


class TicketFieldRead(BaseModel):
    id: uuid.UUID
    key: str
    label: str
    type: FieldType
    options: list[str]
    required: bool
    created_at: datetime


# Contacts


class RequesterIn(Strict):
    email: EmailStr
    name: Name | None = Field(default=None, description="Kept from the first time seen")


class ContactRead(BaseModel):
    id: uuid.UUID
    email: str
    name: str
    created_at: datetime


# Tickets


class ReserveIn(Strict):
    """Stock to reserve for the ticket (a replacement for an RMA)."""

    product_id: uuid.UUID
    location_id: uuid.UUID
    quantity: Decimal = Field(gt=0, max_digits=18, decimal_places=6, allow_inf_nan=False)


class TicketCreate(Strict):
    subject: Subject
    description: Description = Field(default="", description="Markdown")
    priority: Priority = Priority.NORMAL
    team_id: uuid.UUID | None = Field(default=None, description="Default: the default team")
    assignee_id: uuid.UUID | None = Field(
        default=None, description="Default: the team's assignment strategy"
    )
    requester: RequesterIn
    tags: list[Tag] = Field(default_factory=list, max_length=50)
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    product_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)
    reservations: list[ReserveIn] = Field(
        default_factory=list,
        max_length=20,
        description="Stock reserved in the same transaction (all or nothing)",
    )


class TicketUpdate(StrictPatch):
    NULLABLE: ClassVar[frozenset[str]] = frozenset({"team_id", "assignee_id"})

    subject: Subject | None = None
    description: Description | None = None
    priority: Priority | None = None
    team_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None
    tags: list[Tag] | None = Field(default=None, max_length=50)
    custom_fields: dict[str, Any] | None = Field(
        default=None, description="Merged into the ticket's; a key set to null is removed"
    )
    product_ids: list[uuid.UUID] | None = Field(default=None, max_length=100)


class SlaRead(BaseModel):
    policy_id: uuid.UUID | None
    state: SlaState
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    first_responded_at: datetime | None
    resolved_at: datetime | None
    breached_at: datetime | None
    paused_since: datetime | None


class TicketRead(BaseModel):
    id: uuid.UUID
    number: int
    key: str = Field(description="The human number, e.g. QM-1042")
    subject: str
    description: str
    description_html: str = Field(description="The Markdown description, sanitised HTML")
    status: TicketStatus
    priority: Priority
    channel: str
    team_id: uuid.UUID | None
    assignee_id: uuid.UUID | None
    requester: ContactRead
    tags: list[str]
    custom_fields: dict[str, Any]
    product_ids: list[uuid.UUID]
    sla: SlaRead
    merged_into_id: uuid.UUID | None
    closed_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class TicketReservationRead(BaseModel):
    reservation_id: uuid.UUID
    product_id: uuid.UUID
    location_id: uuid.UUID
    quantity: Decimal
    status: str = Field(description="active | fulfilled | released | expired")
    reference: str
    created_at: datetime


class LinkRead(BaseModel):
    id: uuid.UUID
    kind: LinkKind
    direction: str = Field(description="outgoing: this ticket → other; incoming: other → this")
    other_ticket_id: uuid.UUID
    other_key: str
    other_subject: str
    other_status: TicketStatus
    created_at: datetime


class TicketDetail(TicketRead):
    reservations: list[TicketReservationRead]
    links: list[LinkRead]
    allowed_transitions: list[TicketStatus] = Field(
        description="The statuses POST /transitions accepts from the current one"
    )


class TransitionIn(Strict):
    to: TicketStatus
    comment: Body | None = None
    internal: bool = Field(default=False, description="The comment is for agents only")


class CommentCreate(Strict):
    body: Body = Field(description="Markdown")
    internal: bool = Field(default=False, description="For agents only, never the requester")


class AttachmentRead(BaseModel):
    id: uuid.UUID
    ticket_id: uuid.UUID
    comment_id: uuid.UUID | None
    file_name: str
    content_type: str
    size: int
    sha256: str
    internal: bool
    created_at: datetime


class CommentRead(BaseModel):
    id: uuid.UUID
    ticket_id: uuid.UUID
    author_kind: str = Field(description="agent | requester | system")
    author_user_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    body: str
    body_html: str
    internal: bool
    channel: str
    attachments: list[AttachmentRead]
    created_at: datetime


class MergeIn(Strict):
    into: uuid.UUID = Field(description="The ticket that receives the conversation")


class LinkCreate(Strict):
    other_ticket_id: uuid.UUID
    kind: LinkKind = LinkKind.RELATES_TO


# CSAT


class CsatAnswer(Strict):
    score: int = Field(ge=1, le=5)
    comment: Annotated[str, StringConstraints(max_length=2000), Clean] | None = None


class PublicComment(BaseModel):
    author: str = Field(description="'you' or 'support'")
    body_html: str
    created_at: datetime


class CsatView(BaseModel):
    """What the requester sees behind the rating link: never an internal note."""

    ticket_key: str
    subject: str
    status: TicketStatus
    answered: bool
    score: int | None
    conversation: list[PublicComment]


class CsatRead(BaseModel):
    id: uuid.UUID
    ticket_id: uuid.UUID
    url: str = Field(description="The requester's single-use rating link")
    score: int | None
    comment: str | None
    created_at: datetime
    answered_at: datetime | None


class CsatGroup(StrEnum):
    TEAM = "team"
    AGENT = "agent"


class CsatResultRow(BaseModel):
    id: uuid.UUID | None = Field(description="The team or agent; null: none")
    name: str | None
    responses: int
    average: Decimal | None
    satisfied_percent: Decimal | None = Field(description="Scores of 4 and 5")
    distribution: dict[str, int] = Field(description="Responses per score 1 … 5")


class CsatResults(BaseModel):
    group_by: CsatGroup
    answered_from: datetime | None
    answered_to: datetime | None
    rows: list[CsatResultRow]


# Reports


class ReportInterval(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class TicketBucket(BaseModel):
    start: datetime
    created: int
    resolved: int
    first_responses: int = Field(description="Tickets first answered in the period")
    median_first_response_seconds: int | None = Field(
        description="Of the tickets first answered in the period: created to first answer"
    )
    median_resolution_seconds: int | None = Field(
        description="Of the tickets resolved in the period: created to resolved"
    )
    breaches: int
    csat_responses: int
    csat_average: Decimal | None


class TicketReport(BaseModel):
    interval: ReportInterval
    tz: str
    created_from: datetime
    created_to: datetime
    buckets: list[TicketBucket]


# Inbound e-mail


class InboundResult(BaseModel):
    outcome: str = Field(
        description="created | threaded | duplicate | ignored (auto-reply or loop)"
    )
    ticket_id: uuid.UUID | None
    ticket_key: str | None
    comment_id: uuid.UUID | None
    reason: str | None = None


class InboundAddress(BaseModel):
    address: str = Field(description="Mail sent (or forwarded) here opens tickets")
    smtp_enabled: bool
    smtp_port: int | None = Field(description="The SMTP listener's port, when it runs")
