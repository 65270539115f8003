"""Sending one queued message, at most once; the sweeper that recovers lost attempts.

The rule (docs/architecture.md, "Mail"):

1. **Claim** in a committed transaction: ``queued`` → ``sending``, ``attempts + 1`` (the
   attempt's fencing token), a lease of QM_MAIL_LEASE_SECONDS. A message that is not
   queued, or not yet due, is left alone: duplicate deliveries of the job do nothing.
2. **Envelope**: connect, STARTTLS, authenticate, MAIL FROM, RCPT TO. Nothing can have
   been delivered yet, so any failure here is retried with exponential backoff (a 5xx
   refusal fails the message for good). A message some recipients refused goes to the
   others; the refusals are recorded and those recipients are not tried again (a retry
   would repeat the message to everyone who got it).
3. **Hand-over**: the attempt records ``phase = 'data'`` (fenced: an attempt that lost
   its lease stops here, sending nothing), then sends DATA and the message.
4. **Outcome** (fenced): ``sent`` with the server's reply; a refusal of the message
   (4xx: retried, 5xx: failed) means it was not taken; but a connection lost or timed
   out during the hand-over leaves delivery unknown: the message becomes ``uncertain``
   and is never sent again on its own — an operator checks and decides (`qm mail retry`
   or `qm mail cancel`).

A worker that dies mid-attempt leaves ``sending`` with a lapsed lease; the sweeper
(every minute) queues it again if it died before the hand-over and marks it
``uncertain`` if it died during it. So a message is delivered at most once unless an
operator chooses otherwise, and at least once while the server keeps answering.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.db import Database, set_user
from quartermaster.core.mail import store
from quartermaster.core.mail.message import MailAttachment, address_domain, render
from quartermaster.core.mail.models import MailMessage
from quartermaster.core.mail.outbox import MailOwner, QueuedMail
from quartermaster.core.mail.smtp import MailFailure, Outcome, SmtpConfig, SmtpSession
from quartermaster.core.settings import Settings

log = structlog.stdlib.get_logger(__name__)

MAX_RETRY_DELAY = 3600.0
# A retry may come back a moment before its time by the database's clock.
EARLY = timedelta(seconds=2)
SWEEP_BATCH = 500


@dataclass(frozen=True)
class MailDelivery:
    """What the sender needs from the settings."""

    smtp: SmtpConfig | None
    default_from: str
    lease: timedelta
    max_attempts: int
    backoff_seconds: float

    @classmethod
    def from_settings(cls, settings: Settings) -> MailDelivery:
        url = settings.smtp_url.get_secret_value() if settings.smtp_url else None
        return cls(
            smtp=SmtpConfig.from_url(url, timeout=settings.mail_timeout_seconds) if url else None,
            default_from=settings.mail_from,
            lease=timedelta(seconds=settings.mail_lease_seconds),
            max_attempts=settings.mail_max_attempts,
            backoff_seconds=settings.mail_retry_backoff_seconds,
        )

    def retry_delay(self, attempt: int) -> float:
        return float(min(self.backoff_seconds * 2 ** max(attempt - 1, 0), MAX_RETRY_DELAY))


class RetryLater(Exception):
    """The attempt failed without delivering; the message is queued again for ``delay``
    seconds from now (the caller schedules the next attempt)."""

    def __init__(self, delay: float, reason: str) -> None:
        super().__init__(reason)
        self.delay = delay


@asynccontextmanager
async def _owned_by(database: Database, owner: MailOwner) -> AsyncIterator[AsyncSession]:
    """A transaction in the message owner's scope: its tenant, or the account itself."""
    async with database.transaction(owner.tenant_id) as session:
        if owner.account_user_id is not None:
            await set_user(session, owner.account_user_id)
        yield session


def _attachments(row: MailMessage) -> list[MailAttachment]:
    data = row.attachment_data or []
    return [
        MailAttachment(
            filename=meta["filename"], content=content, content_type=meta["content_type"]
        )
        for meta, content in zip(row.attachments, data, strict=True)
    ]


async def deliver(database: Database, delivery: MailDelivery, queued: QueuedMail) -> str:
    """One attempt at one message (see the module's rule). Returns what became of it:
    ``sent``, ``failed``, ``uncertain``, or ``skipped`` (not queued or not due: nothing
    was done). Raises :class:`RetryLater` when it was queued again for a later attempt."""
    if delivery.smtp is None:
        return "skipped"  # no server configured: it waits, listed as queued
    owner = queued.owner
    async with _owned_by(database, owner) as session:
        row = await store.claim(session, queued.message_id, lease=delivery.lease, early=EARLY)
    if row is None:
        return "skipped"
    attempt = row.attempts
    bound = log.bind(mail_id=str(row.id), kind=row.kind, attempt=attempt)
    if attempt - row.series_start > delivery.max_attempts:
        await _finish(
            database,
            owner,
            row.id,
            attempt,
            status="failed",
            last_error=(row.last_error or "Gave up after the maximum number of attempts."),
        )
        return "failed"
    sender = row.from_address or delivery.default_from
    rendered = render(
        sender=sender,
        to=row.to_addresses,
        cc=row.cc_addresses,
        bcc=row.bcc_addresses,
        reply_to=row.reply_to,
        subject=row.subject,
        text=row.text_body,
        html=row.html_body,
        headers=row.headers,
        message_id=row.message_id,
        date=row.created_at,
        attachments=_attachments(row),
    )
    session_smtp = SmtpSession(delivery.smtp, local_hostname=address_domain(sender))
    try:
        envelope = await session_smtp.open_envelope(
            rendered.sender, rendered.recipients, smtputf8=rendered.smtputf8
        )
        async with _owned_by(database, owner) as session:
            still_mine = await store.enter_data_phase(
                session, row.id, attempt, lease=delivery.lease
            )
        if not still_mine:
            await session_smtp.abandon()
            bound.warning("mail_attempt_superseded")
            return "skipped"
        reply = await session_smtp.send_data(rendered.data)
    except MailFailure as failure:
        await session_smtp.close()
        return await _failed(
            database, delivery, owner, row.id, (attempt, row.series_start), failure, bound
        )
    await session_smtp.close()
    await _finish(
        database,
        owner,
        row.id,
        attempt,
        status="sent",
        sent_at=store.now(),
        smtp_response=reply[:1000],
        refused=envelope.refused or None,
        last_error=None,
    )
    bound.info("mail_sent", recipients=len(envelope.accepted), refused=len(envelope.refused))
    return "sent"


async def _failed(
    database: Database,
    delivery: MailDelivery,
    owner: MailOwner,
    message_id: uuid.UUID,
    attempt_and_series: tuple[int, int],
    failure: MailFailure,
    bound: structlog.stdlib.BoundLogger,
) -> str:
    attempt, series = attempt_and_series
    if failure.outcome is Outcome.UNKNOWN:
        await _finish(
            database, owner, message_id, attempt, status="uncertain", last_error=failure.reason
        )
        bound.error("mail_delivery_uncertain", reason=failure.reason)
        return "uncertain"
    if failure.outcome is Outcome.NOT_DELIVERED_RETRY and attempt < delivery.max_attempts + series:
        delay = delivery.retry_delay(attempt - series)
        await _finish(
            database,
            owner,
            message_id,
            attempt,
            status=store.QUEUED,
            next_attempt_at=store.seconds_from_now(delay),
            last_error=failure.reason,
        )
        bound.warning("mail_retry", reason=failure.reason, delay=delay)
        raise RetryLater(delay, failure.reason)
    await _finish(database, owner, message_id, attempt, status="failed", last_error=failure.reason)
    bound.warning("mail_failed", reason=failure.reason)
    return "failed"


async def _finish(
    database: Database,
    owner: MailOwner,
    message_id: uuid.UUID,
    attempt: int,
    **values: object,
) -> None:
    async with _owned_by(database, owner) as session:
        recorded = await store.finish_attempt(session, message_id, attempt, **values)
    if not recorded:
        log.warning("mail_outcome_not_recorded", mail_id=str(message_id), attempt=attempt)


async def sweep(owner_database: Database, delivery: MailDelivery) -> list[QueuedMail]:
    """Recover attempts that lost their lease (queued again before the hand-over,
    ``uncertain`` during it) and return every queued message that is due, for the caller
    to hand to the queue (handing over one that is already queued is harmless). Runs as
    the owner role, which sees every tenant's and account's messages."""
    async with owner_database.transaction() as session:
        lapsed = await store.recover_lapsed(session, max_attempts=delivery.max_attempts)
        due = await store.due(session, limit=SWEEP_BATCH) if delivery.smtp else []
    for message_id, tenant_id, user_id, status in lapsed:
        log.warning(
            "mail_attempt_lapsed",
            mail_id=str(message_id),
            tenant_id=str(tenant_id) if tenant_id else None,
            account_user_id=str(user_id) if user_id else None,
            now=status,
        )
    return [
        QueuedMail(
            owner=MailOwner(tenant_id=tenant_id, account_user_id=user_id), message_id=message_id
        )
        for message_id, tenant_id, user_id in due
    ]
