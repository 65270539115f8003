"""E-mail to the requester, through the core mail port (``core.mail.queue_mail``): queued
in the ticket's transaction, sent by the mail job after commit, retried, never twice.

- an **acknowledgement** when a ticket is opened (``Auto-Submitted: auto-replied``, RFC
  3834), never for a machine's message (those open no ticket);
- every **public agent reply** (never an internal note);
- the **CSAT rating link** when the ticket is resolved.

Every message carries a Message-ID the desk chose, recorded in ``email_messages``
(outbound) so the requester's reply threads back; ``In-Reply-To``/``References`` name the
conversation so far; ``Reply-To`` is the organization's inbound address; ``X-QM-Loop``
marks it as ours, so if it ever comes back in (a forwarding loop) it is dropped. The
subject carries ``[QM-1042]``.

Mail is sent only when the request (or SMTP session) says where links and replies go
(:func:`enable_requester_mail` puts a :class:`DeskMail` on the session); demo seeding and
jobs send nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.ids import new_id
from quartermaster.core.mail import InvalidMail, OutboundMail, queue_mail
from quartermaster.servicedesk.mailparse import LOOP_HEADER
from quartermaster.servicedesk.models import Contact, CsatSurvey, Ticket, TicketComment
from quartermaster.servicedesk.repository import conversation as conversation_rows
from quartermaster.servicedesk.service.common import requester_of, ticket_key
from quartermaster.servicedesk.service.csat import survey_token, survey_url

log = structlog.stdlib.get_logger(__name__)

ACKNOWLEDGEMENT = "servicedesk.acknowledgement"
REPLY = "servicedesk.reply"
CSAT = "servicedesk.csat"
_SESSION_KEY = "quartermaster.servicedesk.mail"
MAX_REFERENCES = 10


@dataclass(frozen=True)
class DeskMail:
    """Where the desk's mail points: the inbound domain (Reply-To, Message-IDs), the
    secret that signs rating links and the public base URL of those links."""

    domain: str
    secret: str
    base_url: str


def enable_requester_mail(session: AsyncSession, desk_mail: DeskMail) -> None:
    session.info[_SESSION_KEY] = desk_mail


def _desk_mail(session: AsyncSession) -> DeskMail | None:
    found = session.info.get(_SESSION_KEY)
    return found if isinstance(found, DeskMail) else None


def inbound_address(tenant_id: uuid.UUID, domain: str) -> str:
    return f"support+{tenant_id.hex}@{domain}"


async def _send(
    session: AsyncSession,
    desk_mail: DeskMail,
    ticket: Ticket,
    *,
    kind: str,
    text: str,
    automatic: bool,
    comment_id: uuid.UUID | None = None,
    contact: Contact | None = None,
    thread: list[str] | None = None,
) -> None:
    """Queue the mail; ``contact`` (the requester) and ``thread`` (the conversation's
    Message-IDs) are read unless the caller has them."""
    tenant_id = ticket.tenant_id
    if contact is None:
        contact = await requester_of(session, ticket)
    if thread is None:
        thread = await conversation_rows.message_ids_of(session, tenant_id, ticket.id)
    message_id = f"<qm.{new_id().hex}@{desk_mail.domain}>"
    headers = {LOOP_HEADER: tenant_id.hex}
    if automatic:
        headers["Auto-Submitted"] = "auto-replied"
    if thread:
        headers["In-Reply-To"] = thread[-1]
        headers["References"] = " ".join(thread[-MAX_REFERENCES:])
    try:
        await queue_mail(
            session,
            OutboundMail(
                to=[contact.email],
                subject=f"[{ticket_key(ticket.number)}] {ticket.subject}",
                text=text.format(name=contact.name),
                kind=kind,
                reply_to=inbound_address(tenant_id, desk_mail.domain),
                headers=headers,
                message_id=message_id,
                related=("ticket", ticket.id),
            ),
            tenant_id=tenant_id,
        )
    except InvalidMail as exc:  # an address mail cannot go to: the ticket still stands
        log.warning("requester_mail_skipped", ticket=ticket_key(ticket.number), reason=str(exc))
        return
    await conversation_rows.claim_message_id(
        session,
        tenant_id,
        row_id=new_id(),
        ticket_id=ticket.id,
        comment_id=comment_id,
        message_id=message_id,
        direction="outbound",
    )


def _literal(text: str) -> str:
    """Text that goes through ``str.format`` unchanged (only ``{name}`` is filled in)."""
    return text.replace("{", "{{").replace("}", "}}")


async def acknowledge(
    session: AsyncSession,
    ticket: Ticket,
    *,
    contact: Contact | None = None,
    thread: list[str] | None = None,
) -> None:
    """The acknowledgement of a new ticket. Its opener passes what it knows (the
    requester; an API ticket's thread is empty), which saves two reads per creation."""
    desk_mail = _desk_mail(session)
    if desk_mail is None:
        return
    text = (
        "Hello {name},\n\n"
        f"we received your request and opened ticket {ticket_key(ticket.number)}: "
        f"{_literal(ticket.subject)}\n\n"
        "Reply to this e-mail to add to it; keep the ticket number in the subject.\n"
    )
    await _send(
        session,
        desk_mail,
        ticket,
        kind=ACKNOWLEDGEMENT,
        text=text,
        automatic=True,
        contact=contact,
        thread=thread,
    )


async def mail_reply(session: AsyncSession, ticket: Ticket, comment: TicketComment) -> None:
    """A public agent reply, to the requester (an internal note never goes out)."""
    desk_mail = _desk_mail(session)
    if desk_mail is None or comment.internal or comment.author_kind != "agent":
        return
    await _send(
        session,
        desk_mail,
        ticket,
        kind=REPLY,
        text=_literal(comment.body),
        automatic=False,
        comment_id=comment.id,
    )


async def mail_rating_link(session: AsyncSession, ticket: Ticket, survey: CsatSurvey) -> None:
    desk_mail = _desk_mail(session)
    if desk_mail is None:
        return
    token = survey_token(desk_mail.secret, ticket.tenant_id, survey.id)
    url = survey_url(desk_mail.base_url, token)
    text = (
        "Hello {name},\n\n"
        f"ticket {ticket_key(ticket.number)} ({_literal(ticket.subject)}) is resolved.\n\n"
        f"How did we do? Rate our help from 1 to 5 (no login needed): {url}\n"
    )
    await _send(session, desk_mail, ticket, kind=CSAT, text=text, automatic=True)
