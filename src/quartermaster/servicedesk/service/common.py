"""What the ticket use cases share: keys, reads, the change events, lookups."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.events import emit
from quartermaster.core.markdown import to_html
from quartermaster.servicedesk.errors import TicketClosed, TicketNotFound
from quartermaster.servicedesk.events import TicketChanged, TicketEvents
from quartermaster.servicedesk.models import Contact, Ticket
from quartermaster.servicedesk.repository import tickets as ticket_rows
from quartermaster.servicedesk.schemas import TICKET_PREFIX, ContactRead, TicketRead
from quartermaster.servicedesk.service.indexing import index_opened, index_tickets
from quartermaster.servicedesk.service.sla import sla_read

KEY_PATTERN = re.compile(r"\[" + re.escape(TICKET_PREFIX) + r"(\d{1,18})\]", re.IGNORECASE)


def ticket_key(number: int) -> str:
    return f"{TICKET_PREFIX}{number}"


def contact_read(contact: Contact) -> ContactRead:
    return ContactRead(
        id=contact.id, email=contact.email, name=contact.name, created_at=contact.created_at
    )


def ticket_read(ticket: Ticket, contact: Contact, now: datetime) -> TicketRead:
    return TicketRead(
        id=ticket.id,
        number=ticket.number,
        key=ticket_key(ticket.number),
        subject=ticket.subject,
        description=ticket.description,
        description_html=to_html(ticket.description),
        status=ticket.status,
        priority=ticket.priority,
        channel=ticket.channel,
        team_id=ticket.team_id,
        assignee_id=ticket.assignee_id,
        requester=contact_read(contact),
        tags=list(ticket.tags),
        custom_fields=ticket.custom_fields,
        product_ids=list(ticket.product_ids),
        sla=sla_read(ticket, now),
        merged_into_id=ticket.merged_into_id,
        closed_at=ticket.closed_at,
        version=ticket.version,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
    )


def changed_payload(ticket: Ticket, previous_status: str | None = None) -> TicketChanged:
    return TicketChanged(
        id=ticket.id,
        number=ticket.number,
        key=ticket_key(ticket.number),
        subject=ticket.subject,
        status=ticket.status,
        priority=ticket.priority,
        team_id=ticket.team_id,
        assignee_id=ticket.assignee_id,
        requester_id=ticket.requester_id,
        breached_at=ticket.breached_at,
        version=ticket.version,
        updated_at=ticket.updated_at,
        previous_status=previous_status,
        merged_into_id=ticket.merged_into_id,
    )


# The changes that alter what a ticket is found by (an assignment does not).
_REINDEXED = frozenset(
    {
        TicketEvents.CREATED,
        TicketEvents.UPDATED,
        TicketEvents.STATUS_CHANGED,
        TicketEvents.MERGED,
    }
)


async def emit_changed(
    session: AsyncSession, ticket: Ticket, event_type: str, previous_status: str | None = None
) -> None:
    """The ticket's change event, and its search document renewed in the same transaction."""
    await emit(session, ticket.tenant_id, event_type, changed_payload(ticket, previous_status))
    if event_type in _REINDEXED:
        await index_tickets(session, ticket.tenant_id, [ticket])


async def emit_opened(session: AsyncSession, ticket: Ticket, requester: Contact) -> None:
    """``servicedesk.ticket.created``, and the new ticket's search document (from what its
    opener has: nothing is read), in the same transaction."""
    await emit(session, ticket.tenant_id, TicketEvents.CREATED, changed_payload(ticket))
    await index_opened(session, ticket, requester)


async def ticket_for_write(
    session: AsyncSession, tenant_id: uuid.UUID, ticket_id: uuid.UUID, *, what: str | None = None
) -> Ticket:
    """The ticket locked for a change (404 when not this tenant's); with ``what``, a
    closed ticket is refused (409 naming the change)."""
    ticket = await ticket_rows.ticket_by_id(session, tenant_id, ticket_id, lock=True)
    if ticket is None:
        raise TicketNotFound
    if what is not None and ticket.status == "closed":
        raise TicketClosed(what)
    return ticket


async def requester_of(session: AsyncSession, ticket: Ticket) -> Contact:
    contacts = await ticket_rows.contacts_by_ids(session, ticket.tenant_id, [ticket.requester_id])
    return contacts[ticket.requester_id]


def touch(ticket: Ticket, now: datetime) -> None:
    ticket.version += 1
    ticket.updated_at = now
