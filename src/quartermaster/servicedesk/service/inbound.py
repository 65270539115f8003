"""E-mail in: one message becomes a ticket or a reply on one.

Threading, first match wins: a Message-ID of the ticket's conversation in
``In-Reply-To`` / ``References`` (inbound messages and what the desk sent), then
``[QM-1042]`` in the subject; a merged ticket's thread continues on the ticket it was
merged into. A reply to a closed ticket opens a new ticket linked to it.

Machines are never answered: a loop (our own marker) is dropped; an auto-reply or bounce
is kept as a comment when it threads onto a ticket (without reopening it) and dropped
otherwise, so out-of-office replies never open tickets. The same Message-ID delivered
twice is recognised (``duplicate``), also when both deliveries race: the message is
processed in a savepoint and the loser's work is rolled back.
"""

from __future__ import annotations

import io
import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.clock import utcnow
from quartermaster.core.ids import new_id
from quartermaster.servicedesk import repository
from quartermaster.servicedesk.errors import InvalidEmail
from quartermaster.servicedesk.files import AttachmentStore
from quartermaster.servicedesk.mailparse import InboundMessage, UnreadableMessage, parse_message
from quartermaster.servicedesk.models import Ticket, TicketLink
from quartermaster.servicedesk.repository import conversation as conversation_rows
from quartermaster.servicedesk.repository import tickets as ticket_rows
from quartermaster.servicedesk.schemas import (
    InboundResult,
    RequesterIn,
    TicketCreate,
)
from quartermaster.servicedesk.service import notifications
from quartermaster.servicedesk.service.common import KEY_PATTERN, ticket_key
from quartermaster.servicedesk.service.conversation import record_comment, store_attachment
from quartermaster.servicedesk.service.tickets import contact_for, open_ticket

MAX_MERGE_HOPS = 20


class _Duplicate(Exception):
    def __init__(self, ticket_id: uuid.UUID | None) -> None:
        self.ticket_id = ticket_id


async def _thread(
    session: AsyncSession, tenant_id: uuid.UUID, message: InboundMessage
) -> Ticket | None:
    ticket_id = await conversation_rows.ticket_for_message_ids(
        session, tenant_id, message.thread_ids
    )
    ticket = None
    if ticket_id is not None:
        ticket = await ticket_rows.ticket_by_id(session, tenant_id, ticket_id)
    if ticket is None:
        match = KEY_PATTERN.search(message.subject)
        if match is not None:
            ticket = await ticket_rows.ticket_by_number(session, tenant_id, int(match[1]))
    for _ in range(MAX_MERGE_HOPS):
        if ticket is None or ticket.merged_into_id is None:
            break
        ticket = await ticket_rows.ticket_by_id(session, tenant_id, ticket.merged_into_id)
    if ticket is None:
        return None
    return await ticket_rows.ticket_by_id(session, tenant_id, ticket.id, lock=True)


async def _attach(
    session: AsyncSession,
    store: AttachmentStore,
    ticket: Ticket,
    message: InboundMessage,
    max_bytes: int,
    comment_id: uuid.UUID | None,
) -> list[str]:
    """Keep the message's attachments; returns the names of those over the size limit."""
    comments = (
        await conversation_rows.comments_of(session, ticket.tenant_id, ticket.id)
        if comment_id is not None
        else []
    )
    comment = next((c for c in comments if c.id == comment_id), None)
    too_large = []
    for attachment in message.attachments:
        if len(attachment.content) > max_bytes:
            too_large.append(attachment.file_name or "attachment")
            continue
        await store_attachment(
            session,
            store,
            ticket,
            io.BytesIO(attachment.content),
            attachment.file_name,
            max_bytes=max_bytes,
            comment=comment,
        )
    return too_large


async def _process(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    message: InboundMessage,
    store: AttachmentStore,
    max_attachment_bytes: int,
    now: datetime,
) -> InboundResult:
    if message.machine_reason and message.machine_reason.startswith("loop"):
        return _ignored(message.machine_reason)
    if message.message_id and await conversation_rows.message_known(
        session, tenant_id, message.message_id
    ):
        known = await conversation_rows.ticket_for_message_ids(
            session, tenant_id, [message.message_id]
        )
        raise _Duplicate(known)
    ticket = await _thread(session, tenant_id, message)
    text = message.text or "(no text)"
    if ticket is not None and ticket.status != "closed":
        contact = await contact_for(
            session, tenant_id, RequesterIn(email=message.sender_email, name=message.sender_name)
        )
        comment = await record_comment(
            session,
            ticket,
            author_kind="requester",
            body=text,
            contact_id=contact.id,
            channel="email",
            reopen=message.machine_reason is None,
            now=now,
        )
        await _claim(session, tenant_id, ticket.id, comment.id, message)
        await _attach(session, store, ticket, message, max_attachment_bytes, comment.id)
        return InboundResult(
            outcome="threaded",
            ticket_id=ticket.id,
            ticket_key=ticket_key(ticket.number),
            comment_id=comment.id,
            reason=message.machine_reason,
        )
    if message.machine_reason:
        return _ignored(message.machine_reason)
    opened = await open_ticket(
        session,
        tenant_id,
        TicketCreate(
            subject=message.subject,
            description=text,
            requester=RequesterIn(email=message.sender_email, name=message.sender_name),
        ),
        channel="email",
        now=now,
    )
    if ticket is not None:  # a reply to a closed ticket: a new ticket, linked to it
        repository.add(
            session,
            TicketLink(
                id=new_id(),
                tenant_id=tenant_id,
                ticket_id=opened.ticket.id,
                other_ticket_id=ticket.id,
                kind="relates_to",
                created_at=now,
            ),
        )
        await session.flush()
    await _claim(session, tenant_id, opened.ticket.id, None, message)
    await _attach(session, store, opened.ticket, message, max_attachment_bytes, None)
    await notifications.acknowledge(session, opened.ticket, contact=opened.contact)
    return InboundResult(
        outcome="created",
        ticket_id=opened.ticket.id,
        ticket_key=ticket_key(opened.ticket.number),
        comment_id=None,
    )


def _ignored(reason: str) -> InboundResult:
    return InboundResult(
        outcome="ignored", ticket_id=None, ticket_key=None, comment_id=None, reason=reason
    )


async def _claim(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    ticket_id: uuid.UUID,
    comment_id: uuid.UUID | None,
    message: InboundMessage,
) -> None:
    if message.message_id is None:
        return
    claimed = await conversation_rows.claim_message_id(
        session,
        tenant_id,
        row_id=new_id(),
        ticket_id=ticket_id,
        comment_id=comment_id,
        message_id=message.message_id,
        direction="inbound",
    )
    if not claimed:  # another delivery of the same message committed meanwhile
        raise _Duplicate(
            await conversation_rows.ticket_for_message_ids(session, tenant_id, [message.message_id])
        )


async def receive_email(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    raw: bytes,
    *,
    store: AttachmentStore,
    max_attachment_bytes: int,
    envelope_sender: str | None = None,
    now: datetime | None = None,
) -> InboundResult:
    """Turn one raw message into a ticket or a reply (see the module docstring). The
    session must be scoped to ``tenant_id``; 422 ``invalid-email`` when it has no sender."""
    try:
        message = parse_message(raw, envelope_sender)
    except UnreadableMessage as exc:
        raise InvalidEmail(f"The message cannot be read: {exc}.") from exc
    try:
        async with session.begin_nested():
            return await _process(
                session, tenant_id, message, store, max_attachment_bytes, now or utcnow()
            )
    except _Duplicate as duplicate:
        known = None
        if duplicate.ticket_id is not None:
            known = await ticket_rows.ticket_by_id(session, tenant_id, duplicate.ticket_id)
        return InboundResult(
            outcome="duplicate",
            ticket_id=known.id if known else None,
            ticket_key=ticket_key(known.number) if known else None,
            comment_id=None,
            reason=f"{message.message_id} was received before",
        )
