"""Every query of the mail outbox.

The sender's statements are guarded by the attempt number (``attempts``, raised by each
claim): the fencing token of one attempt. A write of an attempt that lost its lease —
the sweeper gave the message up or another attempt claimed it — matches no row.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from quartermaster.core.mail.models import MailMessage

SENDING = "sending"
QUEUED = "queued"


async def claim(
    session: AsyncSession, message_id: uuid.UUID, *, lease: timedelta, early: timedelta
) -> MailMessage | None:
    """Take a queued, due message for one attempt: ``status = 'sending'``, ``attempts + 1``
    (this attempt's token), a lease. None when it is not queued or not due (sent, given
    up, claimed by another attempt, or waiting for its retry time)."""
    statement = (
        update(MailMessage)
        .where(
            MailMessage.id == message_id,
            MailMessage.status == QUEUED,
            MailMessage.next_attempt_at <= func.now() + early,
        )
        .values(
            status=SENDING,
            attempts=MailMessage.attempts + 1,
            phase="envelope",
            lease_until=func.now() + lease,
            updated_at=func.now(),
        )
        .returning(MailMessage)
        .options(
            undefer(MailMessage.text_body),
            undefer(MailMessage.html_body),
            undefer(MailMessage.attachment_data),
        )
        .execution_options(populate_existing=True)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def enter_data_phase(
    session: AsyncSession, message_id: uuid.UUID, attempt: int, *, lease: timedelta
) -> bool:
    """Record that the message is about to be handed over (from here a lost connection
    means 'maybe delivered'); False if this attempt no longer holds the message."""
    result = await session.execute(
        update(MailMessage)
        .where(
            MailMessage.id == message_id,
            MailMessage.attempts == attempt,
            MailMessage.status == SENDING,
        )
        .values(phase="data", lease_until=func.now() + lease, updated_at=func.now())
        .returning(MailMessage.id)
    )
    return result.first() is not None


async def finish_attempt(
    session: AsyncSession, message_id: uuid.UUID, attempt: int, **values: Any
) -> bool:
    """Record how this attempt ended (sent, failed, uncertain, or queued for a retry).
    A message the sweeper marked uncertain meanwhile still takes the real outcome."""
    result = await session.execute(
        update(MailMessage)
        .where(
            MailMessage.id == message_id,
            MailMessage.attempts == attempt,
            MailMessage.status.in_((SENDING, "uncertain")),
        )
        .values(phase=None, lease_until=None, updated_at=func.now(), **values)
        .returning(MailMessage.id)
    )
    return result.first() is not None


async def recover_lapsed(
    session: AsyncSession, *, max_attempts: int
) -> list[tuple[uuid.UUID, uuid.UUID | None, uuid.UUID | None, str]]:
    """Messages whose attempt lost its lease (its worker died or stalled): before the
    hand-over nothing can have been delivered, so they are queued again (or fail after
    ``max_attempts``); during it, delivery is unknown, so they become ``uncertain`` for
    an operator. Needs a role that sees every row (the owner's policies, 0011)."""
    in_data = MailMessage.phase == "data"
    new_status = case(
        (in_data, "uncertain"),
        (MailMessage.attempts - MailMessage.series_start >= max_attempts, "failed"),
        else_=QUEUED,
    )
    result = await session.execute(
        update(MailMessage)
        .where(MailMessage.status == SENDING, MailMessage.lease_until < func.now())
        .values(
            status=new_status,
            last_error=case(
                (
                    in_data,
                    "The sender stopped while handing the message over, so it may or may "
                    "not have been delivered; it is not sent again on its own (`qm mail "
                    "retry` sends it again, `qm mail cancel` gives it up).",
                ),
                else_="The sender stopped before handing the message over; queued again.",
            ),
            phase=None,
            lease_until=None,
            next_attempt_at=func.now(),
            updated_at=func.now(),
        )
        .returning(MailMessage.id, MailMessage.tenant_id, MailMessage.account_user_id, new_status)
    )
    return [(r[0], r[1], r[2], r[3]) for r in result.all()]


async def due(
    session: AsyncSession, *, limit: int
) -> list[tuple[uuid.UUID, uuid.UUID | None, uuid.UUID | None]]:
    """Queued messages whose time has come (owner role: every tenant), oldest first."""
    result = await session.execute(
        select(MailMessage.id, MailMessage.tenant_id, MailMessage.account_user_id)
        .where(MailMessage.status == QUEUED, MailMessage.next_attempt_at <= func.now())
        .order_by(MailMessage.next_attempt_at)
        .limit(limit)
    )
    return [(r[0], r[1], r[2]) for r in result.all()]


async def page(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID | None,
    limit: int,
    before_id: uuid.UUID | None = None,
    status: str | None = None,
    kind: str | None = None,
) -> list[MailMessage]:
    """Newest first. ``tenant_id`` None lists whatever the role sees (the owner: all)."""
    query = select(MailMessage).order_by(MailMessage.id.desc()).limit(limit)
    if tenant_id is not None:
        query = query.where(MailMessage.tenant_id == tenant_id)
    if before_id is not None:
        query = query.where(MailMessage.id < before_id)
    if status is not None:
        query = query.where(MailMessage.status == status)
    if kind is not None:
        query = query.where(MailMessage.kind == kind)
    return list((await session.execute(query)).scalars())


async def one(
    session: AsyncSession, message_id: uuid.UUID, *, tenant_id: uuid.UUID | None
) -> MailMessage | None:
    query = (
        select(MailMessage)
        .where(MailMessage.id == message_id)
        .options(undefer(MailMessage.text_body), undefer(MailMessage.html_body))
    )
    if tenant_id is not None:
        query = query.where(MailMessage.tenant_id == tenant_id)
    return (await session.execute(query)).scalar_one_or_none()


async def locked_status(session: AsyncSession, message_id: uuid.UUID) -> str | None:
    """The message's status, its row locked for an operator's decision; None if absent."""
    return (
        await session.execute(
            select(MailMessage.status).where(MailMessage.id == message_id).with_for_update()
        )
    ).scalar_one_or_none()


async def change(session: AsyncSession, message_id: uuid.UUID, **values: Any) -> None:
    await session.execute(
        update(MailMessage)
        .where(MailMessage.id == message_id)
        .values(updated_at=func.now(), **values)
    )


def now() -> Any:
    return func.now()


def seconds_from_now(seconds: float) -> Any:
    return func.now() + timedelta(seconds=seconds)
