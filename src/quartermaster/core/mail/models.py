"""The outbox of e-mails: one row per message, written in the caller's transaction."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index, LargeBinary, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, deferred, mapped_column

from quartermaster.core.db import Base, IdMixin


class MailMessage(IdMixin, Base):
    """An e-mail to send (or sent). Owned by a tenant, or — for mail about an account
    itself, such as a password reset — by that account (``account_user_id``); exactly
    one of the two is set (migration 0011_accounts, with the row-level security)."""

    __tablename__ = "mail_messages"
    __table_args__ = (
        Index("ix_mail_messages_tenant_id_id", "tenant_id", "id"),
        Index("ix_mail_messages_account_user_id", "account_user_id", "id"),
        Index(
            "ix_mail_messages_pending",
            "next_attempt_at",
            postgresql_where=text("status IN ('queued', 'sending')"),
        ),
    )

    tenant_id: Mapped[uuid.UUID | None]
    account_user_id: Mapped[uuid.UUID | None]
    kind: Mapped[str] = mapped_column(String(80))
    related_type: Mapped[str | None] = mapped_column(String(40))
    related_id: Mapped[uuid.UUID | None]
    from_address: Mapped[str | None] = mapped_column(String(998))
    reply_to: Mapped[str | None] = mapped_column(String(998))
    to_addresses: Mapped[list[str]] = mapped_column(ARRAY(Text()))
    cc_addresses: Mapped[list[str]] = mapped_column(ARRAY(Text()), server_default="{}")
    bcc_addresses: Mapped[list[str]] = mapped_column(ARRAY(Text()), server_default="{}")
    subject: Mapped[str] = mapped_column(Text())
    # Bodies and attachment bytes are loaded only when asked for (lists do not need them).
    text_body: Mapped[str] = deferred(mapped_column(Text()))
    html_body: Mapped[str | None] = deferred(mapped_column(Text()))
    headers: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    message_id: Mapped[str] = mapped_column(String(998))
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB(), server_default=text("'[]'::jsonb")
    )
    attachment_data: Mapped[list[bytes] | None] = deferred(mapped_column(ARRAY(LargeBinary())))
    confidential: Mapped[bool] = mapped_column(server_default=text("false"))
    status: Mapped[str] = mapped_column(String(20), server_default=text("'queued'"))
    attempts: Mapped[int] = mapped_column(server_default=text("0"))
    series_start: Mapped[int] = mapped_column(server_default=text("0"))
    phase: Mapped[str | None] = mapped_column(String(20))
    lease_until: Mapped[datetime | None]
    next_attempt_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    last_error: Mapped[str | None] = mapped_column(Text())
    refused: Mapped[dict[str, Any] | None]
    smtp_response: Mapped[str | None] = mapped_column(Text())
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    updated_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
