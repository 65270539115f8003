"""The searchable document of a ticket, for the search module (through ``public``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.servicedesk.repository import conversation as conversation_rows
from quartermaster.servicedesk.repository import tickets as ticket_rows
from quartermaster.servicedesk.service.common import requester_of, ticket_key


@dataclass(frozen=True)
class TicketDocument:
    """What a ticket is found by: never an internal note."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    number: int
    key: str
    subject: str
    description: str
    public_comments: list[str]
    requester_name: str
    requester_email: str
    status: str
    updated_at: datetime


async def ticket_document(
    session: AsyncSession, tenant_id: uuid.UUID, ticket_id: uuid.UUID
) -> TicketDocument | None:
    ticket = await ticket_rows.ticket_by_id(session, tenant_id, ticket_id)
    if ticket is None:
        return None
    requester = await requester_of(session, ticket)
    comments = await conversation_rows.comments_of(session, tenant_id, ticket_id, public_only=True)
    return TicketDocument(
        id=ticket.id,
        tenant_id=tenant_id,
        number=ticket.number,
        key=ticket_key(ticket.number),
        subject=ticket.subject,
        description=ticket.description,
        public_comments=[c.body for c in comments if c.author_kind != "system"],
        requester_name=requester.name,
        requester_email=requester.email,
        status=ticket.status,
        updated_at=ticket.updated_at,
    )
