"""Comments (public or internal) and attachments.

Internal comments (and attachments on them) are for agents: they are listed for agents
only and never reach anything the requester sees (the rating page, e-mail to the
requester, the search document). A public agent reply stops the first-response clock and
moves a ``new`` ticket to ``open``; a requester's reply reopens the conversation (pending
and resolved tickets go back to ``open``).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import BinaryIO

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.clock import utcnow
from quartermaster.core.events import emit
from quartermaster.core.ids import new_id
from quartermaster.core.markdown import to_html
from quartermaster.core.pagination import Page, PageParams
from quartermaster.identity.public import Principal
from quartermaster.servicedesk import repository
from quartermaster.servicedesk.errors import (
    AttachmentNotFound,
    CommentNotFound,
    TicketNotFound,
    TooLarge,
)
from quartermaster.servicedesk.events import TicketAttached, TicketCommented, TicketEvents
from quartermaster.servicedesk.files import (
    AttachmentStore,
    AttachmentTooLarge,
    sanitize_file_name,
)
from quartermaster.servicedesk.models import Ticket, TicketAttachment, TicketComment
from quartermaster.servicedesk.repository import conversation as conversation_rows
from quartermaster.servicedesk.repository import tickets as ticket_rows
from quartermaster.servicedesk.schemas import AttachmentRead, CommentCreate, CommentRead
from quartermaster.servicedesk.service import notifications
from quartermaster.servicedesk.service.common import emit_changed, ticket_for_write, touch
from quartermaster.servicedesk.service.indexing import index_tickets
from quartermaster.servicedesk.service.status import reopen_or_resume


def attachment_read(row: TicketAttachment) -> AttachmentRead:
    return AttachmentRead.model_validate(row, from_attributes=True)


def comment_read(comment: TicketComment, attachments: list[TicketAttachment]) -> CommentRead:
    return CommentRead(
        id=comment.id,
        ticket_id=comment.ticket_id,
        author_kind=comment.author_kind,
        author_user_id=comment.author_user_id,
        contact_id=comment.contact_id,
        body=comment.body,
        body_html=to_html(comment.body),
        internal=comment.internal,
        channel=comment.channel,
        attachments=[attachment_read(a) for a in attachments if a.comment_id == comment.id],
        created_at=comment.created_at,
    )


async def record_comment(
    session: AsyncSession,
    ticket: Ticket,
    *,
    author_kind: str,
    body: str,
    internal: bool = False,
    author_user_id: uuid.UUID | None = None,
    contact_id: uuid.UUID | None = None,
    channel: str = "api",
    reopen: bool = True,
    now: datetime | None = None,
) -> TicketComment:
    """Write a comment on a locked ticket and apply what it means for the ticket (first
    response; a requester's reply reopens, unless ``reopen`` is off: auto-replies);
    emits ``servicedesk.ticket.commented`` (and a status change)."""
    now = now or utcnow()
    comment = TicketComment(
        id=new_id(),
        tenant_id=ticket.tenant_id,
        ticket_id=ticket.id,
        author_kind=author_kind,
        author_user_id=author_user_id,
        contact_id=contact_id,
        body=body,
        internal=internal,
        channel=channel,
        created_at=now,
    )
    repository.add(session, comment)
    previous = ticket.status
    if author_kind == "agent" and not internal:
        if ticket.first_responded_at is None:
            ticket.first_responded_at = now
        if ticket.status == "new":
            ticket.status = "open"
    elif author_kind == "requester" and reopen and ticket.status in ("pending", "resolved"):
        await reopen_or_resume(session, ticket, now)
    touch(ticket, now)
    await session.flush()
    await emit(
        session,
        ticket.tenant_id,
        TicketEvents.COMMENTED,
        TicketCommented(
            id=ticket.id,
            number=ticket.number,
            comment_id=comment.id,
            author_kind=author_kind,
            internal=internal,
            channel=channel,
        ),
    )
    if ticket.status != previous:
        await emit_changed(session, ticket, TicketEvents.STATUS_CHANGED, previous)
    elif not internal:
        await index_tickets(session, ticket.tenant_id, [ticket])  # the new public words
    await notifications.mail_reply(session, ticket, comment)
    return comment


async def add_comment(
    session: AsyncSession, principal: Principal, ticket_id: uuid.UUID, data: CommentCreate
) -> CommentRead:
    """An agent's comment: public (a reply to the requester) or internal (a note)."""
    ticket = await ticket_for_write(session, principal.tenant_id, ticket_id, what="commenting")
    comment = await record_comment(
        session,
        ticket,
        author_kind="agent",
        body=data.body,
        internal=data.internal,
        author_user_id=principal.user_id,
    )
    return comment_read(comment, [])


async def list_comments(
    session: AsyncSession, principal: Principal, ticket_id: uuid.UUID, page: PageParams
) -> Page[CommentRead]:
    """Oldest first (created_at, then id), each with its attachments."""
    tenant_id = principal.tenant_id
    if await ticket_rows.ticket_by_id(session, tenant_id, ticket_id) is None:
        raise TicketNotFound
    comments, next_cursor = page.next_page(
        await conversation_rows.comments_page(
            session, tenant_id, ticket_id, limit=page.fetch, after=page.after(datetime, uuid.UUID)
        ),
        lambda comment: [comment.created_at, comment.id],
    )
    attachments = await conversation_rows.attachments_of_comments(
        session, tenant_id, [c.id for c in comments]
    )
    items = [comment_read(c, attachments) for c in comments]
    return Page[CommentRead](items=items, next_cursor=next_cursor)


# Attachments


async def store_attachment(
    session: AsyncSession,
    store: AttachmentStore,
    ticket: Ticket,
    source: BinaryIO,
    file_name: str | None,
    *,
    max_bytes: int,
    comment: TicketComment | None = None,
    internal: bool = False,
    created_by: uuid.UUID | None = None,
) -> TicketAttachment:
    """Store a file for the ticket (413 past ``max_bytes``, nothing kept) and its row;
    emits ``servicedesk.ticket.attached``. If the transaction fails later the file stays
    behind without a row (never the other way round)."""
    attachment_id = new_id()
    try:
        stored = await asyncio.to_thread(
            store.store, source, ticket.tenant_id, attachment_id, max_bytes=max_bytes
        )
    except AttachmentTooLarge as exc:
        raise TooLarge("attachment", max_bytes) from exc
    row = TicketAttachment(
        id=attachment_id,
        tenant_id=ticket.tenant_id,
        ticket_id=ticket.id,
        comment_id=comment.id if comment is not None else None,
        file_name=sanitize_file_name(file_name),
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        internal=comment.internal if comment is not None else internal,
        created_by=created_by,
        created_at=utcnow(),
    )
    repository.add(session, row)
    await session.flush()
    await emit(
        session,
        ticket.tenant_id,
        TicketEvents.ATTACHED,
        TicketAttached(
            id=ticket.id,
            number=ticket.number,
            attachment_id=row.id,
            file_name=row.file_name,
            internal=row.internal,
        ),
    )
    return row


async def upload_attachment(
    session: AsyncSession,
    principal: Principal,
    store: AttachmentStore,
    ticket_id: uuid.UUID,
    source: BinaryIO,
    file_name: str | None,
    *,
    max_bytes: int,
    comment_id: uuid.UUID | None,
    internal: bool,
) -> AttachmentRead:
    tenant_id = principal.tenant_id
    ticket = await ticket_for_write(session, tenant_id, ticket_id, what="attaching files")
    comment = None
    if comment_id is not None:
        comments = await conversation_rows.comments_of(session, tenant_id, ticket_id)
        comment = next((c for c in comments if c.id == comment_id), None)
        if comment is None:
            raise CommentNotFound
    row = await store_attachment(
        session,
        store,
        ticket,
        source,
        file_name,
        max_bytes=max_bytes,
        comment=comment,
        internal=internal,
        created_by=principal.user_id,
    )
    touch(ticket, row.created_at)
    await session.flush()
    return attachment_read(row)


async def list_attachments(
    session: AsyncSession, principal: Principal, ticket_id: uuid.UUID, page: PageParams
) -> Page[AttachmentRead]:
    """Oldest first (created_at, then id)."""
    tenant_id = principal.tenant_id
    if await ticket_rows.ticket_by_id(session, tenant_id, ticket_id) is None:
        raise TicketNotFound
    rows, next_cursor = page.next_page(
        await conversation_rows.attachments_page(
            session, tenant_id, ticket_id, limit=page.fetch, after=page.after(datetime, uuid.UUID)
        ),
        lambda attachment: [attachment.created_at, attachment.id],
    )
    return Page[AttachmentRead](items=[attachment_read(a) for a in rows], next_cursor=next_cursor)


async def attachment_for_download(
    session: AsyncSession, principal: Principal, ticket_id: uuid.UUID, attachment_id: uuid.UUID
) -> TicketAttachment:
    row = await conversation_rows.attachment_by_id(
        session, principal.tenant_id, ticket_id, attachment_id
    )
    if row is None:
        raise AttachmentNotFound
    return row
