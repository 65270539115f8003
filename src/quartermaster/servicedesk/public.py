"""The service desk's surface for other modules (search) and the application layer."""

from __future__ import annotations

from quartermaster.servicedesk.events import SlaBreached, TicketChanged, TicketEvents
from quartermaster.servicedesk.service.indexing import searchable_tickets
from quartermaster.servicedesk.service.search import TicketDocument, ticket_document

__all__ = [
    "SlaBreached",
    "TicketChanged",
    "TicketDocument",
    "TicketEvents",
    "searchable_tickets",
    "ticket_document",
]
