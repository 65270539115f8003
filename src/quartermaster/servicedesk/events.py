"""The events the service desk publishes (through the outbox, in the changing transaction).

Every ticket change is a ``servicedesk.ticket.*`` event, and an agent marked away or back
a ``servicedesk.agent.updated`` one, which the realtime module carries on the
``tickets:updates`` channel. Payloads hold what a list needs to update a row and
never a comment's body (clients fetch it; the search module fetches the document through
``servicedesk.public``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel


class TicketEvents:
    CREATED = "servicedesk.ticket.created"
    UPDATED = "servicedesk.ticket.updated"
    STATUS_CHANGED = "servicedesk.ticket.status_changed"
    ASSIGNED = "servicedesk.ticket.assigned"
    COMMENTED = "servicedesk.ticket.commented"
    ATTACHED = "servicedesk.ticket.attached"
    MERGED = "servicedesk.ticket.merged"
    LINKED = "servicedesk.ticket.linked"
    UNLINKED = "servicedesk.ticket.unlinked"
    RESERVED = "servicedesk.ticket.reserved"
    SLA_BREACHED = "servicedesk.ticket.sla_breached"
    RATED = "servicedesk.ticket.rated"


class AgentEvents:
    UPDATED = "servicedesk.agent.updated"


class AgentChanged(BaseModel):
    """An agent marked away (skipped by assignment) or back, and by whom."""

    user_id: uuid.UUID
    is_away: bool
    changed_by: uuid.UUID


class TicketChanged(BaseModel):
    """The ticket as a list shows it, after the change."""

    id: uuid.UUID
    number: int
    key: str
    subject: str
    status: str
    priority: str
    team_id: uuid.UUID | None
    assignee_id: uuid.UUID | None
    requester_id: uuid.UUID
    breached_at: datetime | None
    version: int
    updated_at: datetime
    # status_changed: where from; merged: the surviving ticket
    previous_status: str | None = None
    merged_into_id: uuid.UUID | None = None


class TicketCommented(BaseModel):
    id: uuid.UUID
    number: int
    comment_id: uuid.UUID
    author_kind: str
    internal: bool
    channel: str


class TicketAttached(BaseModel):
    id: uuid.UUID
    number: int
    attachment_id: uuid.UUID
    file_name: str
    internal: bool


class TicketLinked(BaseModel):
    """A link added (``linked``) or removed (``unlinked``) from ``id``'s page: the ticket at
    the other end shows it too, so both ids are named."""

    id: uuid.UUID
    number: int
    other_ticket_id: uuid.UUID
    kind: str


class TicketReserved(BaseModel):
    id: uuid.UUID
    number: int
    reservation_id: uuid.UUID
    product_id: uuid.UUID
    location_id: uuid.UUID
    quantity: str


class SlaBreached(BaseModel):
    id: uuid.UUID
    number: int
    breached_at: datetime
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    missed: list[str]  # first_response, resolution
    team_id: uuid.UUID | None
    assignee_id: uuid.UUID | None


class TicketRated(BaseModel):
    id: uuid.UUID
    number: int
    survey_id: uuid.UUID
    score: int
    team_id: uuid.UUID | None
    agent_id: uuid.UUID | None
