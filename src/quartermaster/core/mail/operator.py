"""An operator's (or an administrator's) view of the outbox and decisions on it."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.errors import Conflict, NotFound
from quartermaster.core.mail import store
from quartermaster.core.mail.models import MailMessage

RETRYABLE = ("uncertain", "failed", "cancelled")
CANCELLABLE = ("queued", "uncertain", "failed")


class MailNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No e-mail with this id here.", code="mail-not-found")


class MailStatusConflict(Conflict):
    def __init__(self, action: str, status: str, allowed: tuple[str, ...]) -> None:
        super().__init__(
            f"An e-mail that is {status} cannot be {action}; only one that is "
            f"{' or '.join(allowed)}.",
            code="mail-status-conflict",
        )


async def list_messages(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID | None,
    limit: int,
    before_id: uuid.UUID | None = None,
    status: str | None = None,
    kind: str | None = None,
) -> list[MailMessage]:
    """Newest first; ``tenant_id`` None: whatever the session's role sees."""
    return await store.page(
        session, tenant_id=tenant_id, limit=limit, before_id=before_id, status=status, kind=kind
    )


async def get_message(
    session: AsyncSession, message_id: uuid.UUID, *, tenant_id: uuid.UUID | None
) -> MailMessage:
    row = await store.one(session, message_id, tenant_id=tenant_id)
    if row is None:
        raise MailNotFound
    return row


async def retry_message(session: AsyncSession, message_id: uuid.UUID) -> None:
    """Queue an uncertain, failed or cancelled message again, with a fresh series of
    attempts. For an ``uncertain`` one, this is the decision to risk a duplicate."""
    status = await store.locked_status(session, message_id)
    if status is None:
        raise MailNotFound
    if status not in RETRYABLE:
        raise MailStatusConflict("retried", status, RETRYABLE)
    await store.change(
        session,
        message_id,
        status=store.QUEUED,
        series_start=MailMessage.attempts,
        next_attempt_at=store.now(),
        phase=None,
        lease_until=None,
    )


async def cancel_message(session: AsyncSession, message_id: uuid.UUID) -> None:
    status = await store.locked_status(session, message_id)
    if status is None:
        raise MailNotFound
    if status not in CANCELLABLE:
        raise MailStatusConflict("cancelled", status, CANCELLABLE)
    await store.change(session, message_id, status="cancelled", phase=None, lease_until=None)
