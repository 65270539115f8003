"""Response bodies of the mail API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

MailStatus = Literal["queued", "sending", "sent", "failed", "uncertain", "cancelled"]


class MailRead(BaseModel):
    id: uuid.UUID
    kind: str = Field(description="What the mail is for, e.g. identity.invitation")
    status: MailStatus = Field(
        description="queued → sending → sent | failed | uncertain (delivery unknown: an "
        "operator decides) | cancelled"
    )
    from_address: str | None = Field(description="null: QM_MAIL_FROM at send time")
    reply_to: str | None
    to: list[str]
    cc: list[str]
    bcc: list[str]
    subject: str
    message_id: str
    related_type: str | None
    related_id: uuid.UUID | None
    confidential: bool = Field(
        description="The body carries a secret (a sign-in or invitation link) and is not shown"
    )
    attempts: int
    last_error: str | None
    refused: dict[str, Any] | None = Field(description="Recipients the server refused")
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None


class MailAttachmentRead(BaseModel):
    filename: str
    content_type: str
    size: int


class MailDetail(MailRead):
    headers: dict[str, str]
    text_body: str | None = Field(description="null when the mail is confidential")
    html_body: str | None
    attachments: list[MailAttachmentRead]
