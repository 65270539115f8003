"""Queueing mail in the caller's transaction, and handing it to the sender after commit.

:func:`queue_mail` inserts a ``mail_messages`` row with the caller's other writes: the
mail exists exactly when the change it reports committed. Once (and only if) the
transaction commits, the engine's :class:`MailScheduler` (the job queue, attached by the
application and the worker at start-up) is asked to send it; a process that dies in
between loses nothing, since the mail sweeper hands every due message to the queue
again. Without a scheduler (a CLI command) the sweeper is the only way out.
"""

from __future__ import annotations

import asyncio
import json
import uuid
import weakref
from dataclasses import dataclass
from typing import Protocol

import structlog
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.orm import Session

from quartermaster.core.db import driver_connection
from quartermaster.core.ids import new_id
from quartermaster.core.mail.message import OutboundMail, checked, default_message_id

log = structlog.stdlib.get_logger(__name__)


@dataclass(frozen=True)
class MailOwner:
    """Whose message it is: a tenant's, or (mail about an account) an account's."""

    tenant_id: uuid.UUID | None = None
    account_user_id: uuid.UUID | None = None

    def __post_init__(self) -> None:
        if (self.tenant_id is None) == (self.account_user_id is None):
            raise ValueError("a mail belongs to a tenant or to an account, exactly one")

    def render(self) -> str:
        """For job arguments: ``t:<uuid>`` or ``u:<uuid>``."""
        if self.tenant_id is not None:
            return f"t:{self.tenant_id}"
        return f"u:{self.account_user_id}"

    @classmethod
    def parse(cls, value: str) -> MailOwner:
        kind, _, raw = value.partition(":")
        if kind == "t":
            return cls(tenant_id=uuid.UUID(raw))
        if kind == "u":
            return cls(account_user_id=uuid.UUID(raw))
        raise ValueError(f"not a mail owner: {value!r}")


@dataclass(frozen=True)
class QueuedMail:
    owner: MailOwner
    message_id: uuid.UUID


class MailScheduler(Protocol):
    """Gets committed mail to a sender (the jobs module's queue implements it)."""

    async def send_soon(self, mails: list[QueuedMail]) -> None: ...


@dataclass(frozen=True)
class _Attached:
    scheduler: MailScheduler
    default_from: str


_attached: weakref.WeakKeyDictionary[AsyncEngine, _Attached] = weakref.WeakKeyDictionary()
_PENDING = "quartermaster.mail_pending"
_in_flight: set[asyncio.Task[None]] = set()


def attach_mail_scheduler(
    engine: AsyncEngine, scheduler: MailScheduler, *, default_from: str
) -> None:
    """Mail queued on sessions of ``engine`` is handed to ``scheduler`` after commit;
    ``default_from`` (QM_MAIL_FROM) names the domain of generated Message-IDs."""
    _attached[engine] = _Attached(scheduler, default_from)


def _engine_of(session: AsyncSession) -> AsyncEngine | None:
    bind = session.bind
    engine = bind.engine if isinstance(bind, AsyncConnection) else bind
    return engine if isinstance(engine, AsyncEngine) else None


# Plain SQL on the session's connection (every opened ticket queues an acknowledgement):
# the row as MailMessage maps it, without a pass of the unit of work.
_INSERT_MAIL = """
INSERT INTO mail_messages (id, tenant_id, account_user_id, kind, related_type, related_id,
    from_address, reply_to, to_addresses, cc_addresses, bcc_addresses, subject, text_body,
    html_body, headers, message_id, attachments, attachment_data, confidential)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text[], $10::text[], $11::text[], $12, $13, $14,
    $15::text::jsonb, $16, $17::text::jsonb, $18::bytea[], $19)
"""


async def queue_mail(
    session: AsyncSession,
    mail: OutboundMail,
    *,
    tenant_id: uuid.UUID | None = None,
    account_user_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Queue ``mail`` in the session's transaction; returns the message's id.

    The message belongs to ``tenant_id`` (the transaction must be scoped to it) or, for
    mail about an account rather than an organization, to ``account_user_id`` (the
    transaction must act as that user: ``set_user``). It is sent once the transaction
    commits, retried while failures prove it was not delivered, and never sent twice.
    Raises :class:`InvalidMail` for an unusable address, header or attachment."""
    owner = MailOwner(tenant_id=tenant_id, account_user_id=account_user_id)
    mail = checked(mail)
    row_id = new_id()
    sender = mail.from_address
    engine = _engine_of(session)
    attached = _attached.get(engine) if engine is not None else None
    # The sender's domain, as the send will use it: a null sender is QM_MAIL_FROM.
    id_domain_from = sender or (attached.default_from if attached else "qm@localhost")
    # The caller's pending rows first, as when the row went through the unit of work.
    await session.flush()
    connection = await driver_connection(session)
    await connection.execute(
        _INSERT_MAIL,
        row_id,
        tenant_id,
        account_user_id,
        mail.kind,
        mail.related[0] if mail.related else None,
        mail.related[1] if mail.related else None,
        sender,
        mail.reply_to,
        list(mail.to),
        list(mail.cc),
        list(mail.bcc),
        mail.subject,
        mail.text,
        mail.html,
        json.dumps(dict(mail.headers)),
        mail.message_id or default_message_id(row_id, id_domain_from),
        json.dumps(
            [
                {"filename": a.filename, "content_type": a.media_type, "size": len(a.content)}
                for a in mail.attachments
            ]
        ),
        [a.content for a in mail.attachments] or None,
        mail.confidential,
    )
    if engine is not None:
        pending: list[tuple[AsyncEngine, QueuedMail]] = session.sync_session.info.setdefault(
            _PENDING, []
        )
        pending.append((engine, QueuedMail(owner=owner, message_id=row_id)))
    return row_id


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending: list[tuple[AsyncEngine, QueuedMail]] = session.info.pop(_PENDING, [])
    by_engine: dict[AsyncEngine, list[QueuedMail]] = {}
    for engine, mail in pending:
        by_engine.setdefault(engine, []).append(mail)
    for engine, mails in by_engine.items():
        attached = _attached.get(engine)
        if attached is None:
            continue  # the sweeper sends them
        task = asyncio.get_running_loop().create_task(_send_soon(attached.scheduler, mails))
        _in_flight.add(task)
        task.add_done_callback(_in_flight.discard)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


async def _send_soon(scheduler: MailScheduler, mails: list[QueuedMail]) -> None:
    try:
        await scheduler.send_soon(mails)
    except Exception as exc:  # the sweeper hands them over later
        log.warning(
            "mail_enqueue_failed",
            messages=[str(m.message_id) for m in mails],
            error=str(exc),
            detail="the mail sweeper will queue them again",
        )


async def wait_for_mail_enqueues() -> None:
    """Until every hand-over scheduled by a commit so far has been attempted (tests)."""
    while _in_flight:
        await asyncio.gather(*list(_in_flight), return_exceptions=True)
