"""Tickets in the search index: each change to what a ticket is found by (created, edited,
public comment, status, merge) renews its document in the same transaction, so it is
findable by the next request. Internal notes are never indexed."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.markdown import plain_text, to_html
from quartermaster.search.public import SearchDocument, index_documents, index_new_documents
from quartermaster.servicedesk.models import Contact, Ticket
from quartermaster.servicedesk.repository import conversation as conversation_rows
from quartermaster.servicedesk.repository import tickets as ticket_rows
from quartermaster.servicedesk.schemas import TICKET_PREFIX

TICKET_PERMISSION = "tickets:read"
_DEFERRED = "quartermaster.servicedesk.deferred_search_index"
_BATCH = 500


def _document(ticket: Ticket, requester: Contact | None, comments: list[str]) -> SearchDocument:
    # The words of the Markdown, as the ticket shows them (the same cached rendering as
    # its description_html), so snippets carry no ** or link targets.
    parts = [plain_text(to_html(text)) for text in (ticket.description, *comments)]
    if requester is not None:
        parts.append(f"{requester.name} {requester.email}")
    return SearchDocument(
        type="ticket",
        id=ticket.id,
        title=ticket.subject,
        identifiers=[f"{TICKET_PREFIX}{ticket.number}", str(ticket.number)],
        body="\n\n".join(parts),
        url=f"/tickets/{ticket.id}",
        permission=TICKET_PERMISSION,
        updated_at=ticket.updated_at,
    )


async def search_documents(
    session: AsyncSession, tenant_id: uuid.UUID, tickets: list[Ticket]
) -> list[SearchDocument]:
    """Tickets as search documents: subject; identifiers QM-1042 and 1042; body the
    description, the public comments and the requester. Three queries per batch."""
    if not tickets:
        return []
    ids = [ticket.id for ticket in tickets]
    contacts = await ticket_rows.contacts_by_ids(
        session, tenant_id, list({ticket.requester_id for ticket in tickets})
    )
    comments = await conversation_rows.public_comment_bodies(session, tenant_id, ids)
    return [
        _document(ticket, contacts.get(ticket.requester_id), comments.get(ticket.id, []))
        for ticket in tickets
    ]


async def index_tickets(session: AsyncSession, tenant_id: uuid.UUID, tickets: list[Ticket]) -> None:
    """(Re)index tickets in the caller's transaction: findable by the next request (or, in
    a transaction that deferred indexing, at its ``flush_indexing``)."""
    deferred = session.info.get(_DEFERRED)
    if isinstance(deferred, set):
        deferred.update(ticket.id for ticket in tickets)
        return
    await index_documents(session, tenant_id, await search_documents(session, tenant_id, tickets))


async def index_opened(session: AsyncSession, ticket: Ticket, requester: Contact) -> None:
    """Index a ticket opened in this transaction from what its opener has (no comment
    yet), as a new document: one statement, no reads."""
    deferred = session.info.get(_DEFERRED)
    if isinstance(deferred, set):
        deferred.add(ticket.id)
        return
    await index_new_documents(session, ticket.tenant_id, [_document(ticket, requester, [])])


def defer_indexing(session: AsyncSession) -> None:
    """For bulk writers (the demo seed): collect the tickets changed in this transaction
    and index each once, set-wise, at ``flush_indexing`` (which must run before commit)."""
    session.info.setdefault(_DEFERRED, set())


async def flush_indexing(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    deferred = session.info.pop(_DEFERRED, None)
    if not deferred:
        return
    ids = sorted(deferred)
    for start in range(0, len(ids), _BATCH):
        tickets = await ticket_rows.tickets_by_ids(session, tenant_id, ids[start : start + _BATCH])
        await index_tickets(session, tenant_id, list(tickets.values()))


async def searchable_tickets(
    session: AsyncSession, tenant_id: uuid.UUID, after: uuid.UUID | None, limit: int
) -> list[SearchDocument]:
    """A page of the tenant's tickets as search documents, in id order (``qm
    search-reindex``); the next page starts after the last document's id."""
    tickets = await ticket_rows.tickets_after(session, tenant_id, after, limit)
    return await search_documents(session, tenant_id, tickets)
