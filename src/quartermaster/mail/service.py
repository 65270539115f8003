"""The mail API's use cases: read the organization's outbox; retry or cancel a message."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.mail import (
    MailMessage,
    cancel_message,
    get_message,
    list_messages,
    retry_message,
)
from quartermaster.core.pagination import (
    Page,
    PageParams,
)
from quartermaster.identity.public import Principal
from quartermaster.mail.schemas import MailDetail, MailRead, MailStatus


def _read(row: MailMessage) -> MailRead:
    return MailRead(
        id=row.id,
        kind=row.kind,
        status=row.status,
        from_address=row.from_address,
        reply_to=row.reply_to,
        to=row.to_addresses,
        cc=row.cc_addresses,
        bcc=row.bcc_addresses,
        subject=row.subject,
        message_id=row.message_id,
        related_type=row.related_type,
        related_id=row.related_id,
        confidential=row.confidential,
        attempts=row.attempts,
        last_error=row.last_error,
        refused=row.refused,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        sent_at=row.sent_at,
    )


async def outbox_page(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    *,
    status: MailStatus | None,
    kind: str | None,
) -> Page[MailRead]:
    """The organization's mail, newest first."""
    after = page.after(uuid.UUID)
    rows, next_cursor = page.next_page(
        await list_messages(
            session,
            tenant_id=principal.tenant_id,
            limit=page.fetch,
            before_id=after[0] if after else None,
            status=status,
            kind=kind,
        ),
        lambda message: [message.id],
    )
    items = [_read(row) for row in rows]
    return Page[MailRead](items=items, next_cursor=next_cursor)


async def outbox_message(
    session: AsyncSession, principal: Principal, message_id: uuid.UUID
) -> MailDetail:
    """One message; the body of a confidential one (a sign-in or invitation link) is
    withheld: whoever reads the outbox must not be able to use the link."""
    row = await get_message(session, message_id, tenant_id=principal.tenant_id)
    hidden = row.confidential
    return MailDetail(
        **_read(row).model_dump(),
        headers=row.headers,
        text_body=None if hidden else row.text_body,
        html_body=None if hidden else row.html_body,
        attachments=row.attachments,
    )


async def retry(session: AsyncSession, principal: Principal, message_id: uuid.UUID) -> MailDetail:
    await get_message(session, message_id, tenant_id=principal.tenant_id)  # 404 if not ours
    await retry_message(session, message_id)
    return await outbox_message(session, principal, message_id)


async def cancel(session: AsyncSession, principal: Principal, message_id: uuid.UUID) -> MailDetail:
    await get_message(session, message_id, tenant_id=principal.tenant_id)
    await cancel_message(session, message_id)
    return await outbox_message(session, principal, message_id)
