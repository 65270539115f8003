"""Queries on comments, attachments, e-mail Message-IDs and CSAT surveys."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.db import driver_connection
from quartermaster.core.pagination import keyset
from quartermaster.servicedesk.models import (
    CsatSurvey,
    EmailMessage,
    TicketAttachment,
    TicketComment,
)

# Comments


async def comments_of(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    ticket_id: uuid.UUID,
    *,
    public_only: bool = False,
) -> list[TicketComment]:
    """Oldest first (a merged ticket's messages keep their time)."""
    query = (
        select(TicketComment)
        .where(TicketComment.tenant_id == tenant_id, TicketComment.ticket_id == ticket_id)
        .order_by(TicketComment.created_at, TicketComment.id)
    )
    if public_only:
        query = query.where(TicketComment.internal.is_(False))
    return list((await session.execute(query)).scalars())


async def comments_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    ticket_id: uuid.UUID,
    *,
    limit: int,
    after: Sequence[Any] | None,
) -> list[TicketComment]:
    """Oldest first: the key is ``(created_at, id)``."""
    query = keyset(
        select(TicketComment).where(
            TicketComment.tenant_id == tenant_id, TicketComment.ticket_id == ticket_id
        ),
        [TicketComment.created_at, TicketComment.id],
        after,
        limit=limit,
    )
    return list((await session.execute(query)).scalars())


async def move_conversation(
    session: AsyncSession, tenant_id: uuid.UUID, source: uuid.UUID, target: uuid.UUID
) -> int:
    """Move comments, attachments and Message-IDs of ``source`` onto ``target``; returns the
    number of comments moved."""
    moved = await session.execute(
        update(TicketComment)
        .where(TicketComment.tenant_id == tenant_id, TicketComment.ticket_id == source)
        .values(ticket_id=target)
        .execution_options(synchronize_session=False)
    )
    for model in (TicketAttachment, EmailMessage):
        await session.execute(
            update(model)
            .where(model.tenant_id == tenant_id, model.ticket_id == source)
            .values(ticket_id=target)
            .execution_options(synchronize_session=False)
        )
    return int(getattr(moved, "rowcount", 0) or 0)


# Attachments


async def attachments_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    ticket_id: uuid.UUID,
    *,
    limit: int,
    after: Sequence[Any] | None,
) -> list[TicketAttachment]:
    """Oldest first: the key is ``(created_at, id)``."""
    query = keyset(
        select(TicketAttachment).where(
            TicketAttachment.tenant_id == tenant_id, TicketAttachment.ticket_id == ticket_id
        ),
        [TicketAttachment.created_at, TicketAttachment.id],
        after,
        limit=limit,
    )
    return list((await session.execute(query)).scalars())


async def attachments_of_comments(
    session: AsyncSession, tenant_id: uuid.UUID, comment_ids: list[uuid.UUID]
) -> list[TicketAttachment]:
    """The attachments of these comments, oldest first."""
    if not comment_ids:
        return []
    query = (
        select(TicketAttachment)
        .where(
            TicketAttachment.tenant_id == tenant_id,
            TicketAttachment.comment_id.in_(comment_ids),
        )
        .order_by(TicketAttachment.created_at, TicketAttachment.id)
    )
    return list((await session.execute(query)).scalars())


async def attachment_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, ticket_id: uuid.UUID, attachment_id: uuid.UUID
) -> TicketAttachment | None:
    query = select(TicketAttachment).where(
        TicketAttachment.tenant_id == tenant_id,
        TicketAttachment.ticket_id == ticket_id,
        TicketAttachment.id == attachment_id,
    )
    return (await session.execute(query)).scalar_one_or_none()


# E-mail threading


async def ticket_for_message_ids(
    session: AsyncSession, tenant_id: uuid.UUID, message_ids: list[str]
) -> uuid.UUID | None:
    """The ticket whose conversation holds one of ``message_ids`` (the most recent match
    when several tickets do)."""
    if not message_ids:
        return None
    query = (
        select(EmailMessage.ticket_id)
        .where(EmailMessage.tenant_id == tenant_id, EmailMessage.message_id.in_(message_ids))
        .order_by(EmailMessage.id.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


_CLAIM_MESSAGE_ID = """
INSERT INTO email_messages (id, tenant_id, ticket_id, comment_id, message_id, direction)
VALUES ($2, $1, $3, $4, $5, $6)
ON CONFLICT (tenant_id, message_id) DO NOTHING
RETURNING id
"""


async def claim_message_id(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    row_id: uuid.UUID,
    ticket_id: uuid.UUID,
    comment_id: uuid.UUID | None,
    message_id: str,
    direction: str,
) -> bool:
    """Record a Message-ID for a ticket; False when the tenant already has it (the same
    message delivered twice). A concurrent delivery waits on the unique index. Plain SQL
    (every opened ticket's acknowledgement claims one)."""
    connection = await driver_connection(session)
    claimed = await connection.fetchval(
        _CLAIM_MESSAGE_ID, tenant_id, row_id, ticket_id, comment_id, message_id, direction
    )
    return claimed is not None


async def message_ids_of(
    session: AsyncSession, tenant_id: uuid.UUID, ticket_id: uuid.UUID
) -> list[str]:
    """The Message-IDs of the ticket's conversation, oldest first."""
    query = (
        select(EmailMessage.message_id)
        .where(EmailMessage.tenant_id == tenant_id, EmailMessage.ticket_id == ticket_id)
        .order_by(EmailMessage.id)
    )
    return list((await session.execute(query)).scalars())


async def message_known(session: AsyncSession, tenant_id: uuid.UUID, message_id: str) -> bool:
    query = select(EmailMessage.id).where(
        EmailMessage.tenant_id == tenant_id, EmailMessage.message_id == message_id
    )
    return (await session.execute(query)).first() is not None


# CSAT


async def survey_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, survey_id: uuid.UUID, *, lock: bool = False
) -> CsatSurvey | None:
    query = select(CsatSurvey).where(CsatSurvey.tenant_id == tenant_id, CsatSurvey.id == survey_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def surveys_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    ticket_id: uuid.UUID,
    *,
    limit: int,
    after: Sequence[Any] | None,
) -> list[CsatSurvey]:
    """Oldest first: the key is ``(created_at, id)``."""
    query = keyset(
        select(CsatSurvey).where(
            CsatSurvey.tenant_id == tenant_id, CsatSurvey.ticket_id == ticket_id
        ),
        [CsatSurvey.created_at, CsatSurvey.id],
        after,
        limit=limit,
    )
    return list((await session.execute(query)).scalars())


async def latest_survey_id(
    session: AsyncSession, tenant_id: uuid.UUID, ticket_id: uuid.UUID
) -> uuid.UUID | None:
    query = (
        select(CsatSurvey.id)
        .where(CsatSurvey.tenant_id == tenant_id, CsatSurvey.ticket_id == ticket_id)
        .order_by(CsatSurvey.id.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def csat_groups(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    by_team: bool,
    answered_from: datetime | None,
    answered_to: datetime | None,
) -> list[tuple[uuid.UUID | None, int, int, int, int, int]]:
    """(team or agent id, responses with score 1, 2, 3, 4, 5) of answered surveys."""
    group = CsatSurvey.team_id if by_team else CsatSurvey.agent_id
    query = (
        select(
            group,
            *(func.count().filter(CsatSurvey.score == score) for score in range(1, 6)),
        )
        .where(CsatSurvey.tenant_id == tenant_id, CsatSurvey.answered_at.is_not(None))
        .group_by(group)
        .order_by(group)
    )
    if answered_from is not None:
        query = query.where(CsatSurvey.answered_at >= answered_from)
    if answered_to is not None:
        query = query.where(CsatSurvey.answered_at < answered_to)
    return [
        (row[0], int(row[1]), int(row[2]), int(row[3]), int(row[4]), int(row[5]))
        for row in await session.execute(query)
    ]


async def public_comment_bodies(
    session: AsyncSession, tenant_id: uuid.UUID, ticket_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    """The bodies of the public, non-system comments of several tickets, oldest first
    (what search indexes; internal notes never)."""
    query = (
        select(TicketComment.ticket_id, TicketComment.body)
        .where(
            TicketComment.tenant_id == tenant_id,
            TicketComment.ticket_id.in_(ticket_ids),
            TicketComment.internal.is_(False),
            TicketComment.author_kind != "system",
        )
        .order_by(TicketComment.created_at, TicketComment.id)
    )
    bodies: dict[uuid.UUID, list[str]] = {}
    for ticket_id, body in (await session.execute(query)).all():
        bodies.setdefault(ticket_id, []).append(body)
    return bodies
