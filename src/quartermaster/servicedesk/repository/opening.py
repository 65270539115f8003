"""The statements that open a ticket, as plain SQL on the session's driver connection.

Opening a ticket is the desk's hot path (the API, every inbound e-mail, the demo seed), so
like the ledger writer its statements skip what SQLAlchemy does per statement (building
it, its cache key, parameter and result processing, the unit of work): that was most of
the server's CPU per ticket. Each is a constant string asyncpg prepares once per
connection; they run in the session's transaction and tenant scope
(:func:`~quartermaster.core.db.driver_connection`), under row-level security.

A known requester's ticket takes three of them: what the opener reads
(:data:`_CONTEXT`), the round-robin choice (``teams.assign_next_in_rotation``), and the
number with the row (:data:`_INSERT_TICKET`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.db import driver_connection
from quartermaster.servicedesk.models import Contact, Ticket
from quartermaster.servicedesk.repository.tickets import FIRST_NUMBER

# The team (``$2``, else the default team), the SLA policy its tickets follow (its own,
# else the default), the tenant's custom field definitions and the requester's contact
# (``$3``, lower-cased) — every read of an opening, in one round trip. A LEFT JOIN from a
# single row, so a missing team, policy or contact is NULLs rather than no row.
_CONTEXT = """
SELECT t.id, t.assignment_strategy,
       p.id, p.version, p.time_zone, p.weekly_hours, p.holidays, p.targets,
       c.id, c.name, c.created_at, c.updated_at,
       (SELECT json_agg(json_build_array(f.key, f.type, f.options, f.required) ORDER BY f.key)
        FROM ticket_fields f WHERE f.tenant_id = $1)
FROM (SELECT 1) AS one
LEFT JOIN teams t
       ON t.tenant_id = $1 AND (t.id = $2::uuid OR ($2::uuid IS NULL AND t.is_default))
LEFT JOIN sla_policies p
       ON p.tenant_id = $1
      AND (p.id = t.sla_policy_id OR (t.sla_policy_id IS NULL AND p.is_default))
LEFT JOIN contacts c ON c.tenant_id = $1 AND c.email = $3
"""


@dataclass(frozen=True)
class TeamRef:
    tenant_id: uuid.UUID
    id: uuid.UUID
    assignment_strategy: str


@dataclass(frozen=True)
class PolicyRow:
    id: uuid.UUID
    version: int
    time_zone: str
    weekly_hours: dict[str, Any]
    holidays: list[date]
    targets: dict[str, Any]


@dataclass(frozen=True)
class FieldRow:
    key: str
    type: str
    options: list[str]
    required: bool


@dataclass(frozen=True)
class OpeningContext:
    team: TeamRef | None
    policy: PolicyRow | None
    fields: list[FieldRow]
    contact: Contact | None


def _contact(tenant_id: uuid.UUID, email: str, row: Sequence[Any]) -> Contact:
    # A value to read (requester, mail, search document), never added to the session.
    return Contact(
        id=row[0], tenant_id=tenant_id, email=email, name=row[1], created_at=row[2],
        updated_at=row[3],
    )  # fmt: skip


def _json(value: Any) -> Any:
    # JSON arrives as text on these connections (the dialect's codec).
    return json.loads(value) if isinstance(value, str) else value


async def opening_context(
    session: AsyncSession, tenant_id: uuid.UUID, team_id: uuid.UUID | None, email: str
) -> OpeningContext:
    connection = await driver_connection(session)
    row = await connection.fetchrow(_CONTEXT, tenant_id, team_id, email)
    team = TeamRef(tenant_id, row[0], row[1]) if row[0] is not None else None
    policy = (
        PolicyRow(row[2], row[3], row[4], _json(row[5]), list(row[6]), _json(row[7]))
        if row[2] is not None
        else None
    )
    contact = _contact(tenant_id, email, row[8:12]) if row[8] is not None else None
    fields = [FieldRow(*item) for item in _json(row[12]) or []]
    return OpeningContext(team, policy, fields, contact)


_INSERT_CONTACT = """
INSERT INTO contacts (id, tenant_id, email, name) VALUES ($2, $1, $3, $4)
ON CONFLICT (tenant_id, email) DO NOTHING
RETURNING id, name, created_at, updated_at
"""
_CONTACT = (
    "SELECT id, name, created_at, updated_at FROM contacts WHERE tenant_id = $1 AND email = $2"
)


async def create_contact(
    session: AsyncSession, tenant_id: uuid.UUID, contact_id: uuid.UUID, email: str, name: str
) -> Contact:
    """The contact for ``email`` (not found by the opening's read): created, or, when a
    concurrent opener created it first (it waited on the unique index), that one."""
    connection = await driver_connection(session)
    row = await connection.fetchrow(_INSERT_CONTACT, tenant_id, contact_id, email, name)
    if row is None:
        row = await connection.fetchrow(_CONTACT, tenant_id, email)
    return _contact(tenant_id, email, row)


# The tenant's next number and the ticket with it, in one statement. The counter upsert
# locks the counter row until the transaction ends: concurrent openers queue there, and a
# rollback takes the number back with the row (no gap).
_INSERT_TICKET = """
WITH numbered AS (
    INSERT INTO ticket_counters AS c (tenant_id, last_number) VALUES ($1, $2)
    ON CONFLICT (tenant_id) DO UPDATE SET last_number = c.last_number + 1
    RETURNING last_number
)
INSERT INTO tickets (id, tenant_id, number, subject, description, status, priority, channel,
    team_id, assignee_id, requester_id, tags, custom_fields, product_ids, sla_policy_id,
    first_response_due_at, resolution_due_at, resolution_started_at,
    response_paused_seconds, resolution_paused_seconds, version, created_at, updated_at)
SELECT $3, $1, numbered.last_number, $4, $5, $6, $7, $8, $9, $10, $11, $12::text[],
       $13::text::jsonb, $14::uuid[], $15, $16, $17, $18, 0, 0, 1, $19, $19
FROM numbered
RETURNING number
"""


async def insert_ticket(session: AsyncSession, ticket: Ticket) -> int:
    """Insert ``ticket`` (not in the session) under the tenant's next number; returns the
    number. Its clocks start at ``created_at``, nothing paused, version 1."""
    connection = await driver_connection(session)
    number = await connection.fetchval(
        _INSERT_TICKET,
        ticket.tenant_id,
        FIRST_NUMBER,
        ticket.id,
        ticket.subject,
        ticket.description,
        ticket.status,
        ticket.priority,
        ticket.channel,
        ticket.team_id,
        ticket.assignee_id,
        ticket.requester_id,
        ticket.tags,
        json.dumps(ticket.custom_fields, separators=(",", ":")),
        ticket.product_ids,
        ticket.sla_policy_id,
        ticket.first_response_due_at,
        ticket.resolution_due_at,
        ticket.resolution_started_at,
        ticket.created_at,
    )
    return int(number)
