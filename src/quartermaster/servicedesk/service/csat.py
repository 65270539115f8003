"""Customer satisfaction: one rating link per resolution, answered once, without login.

The link's token is ``qmc_`` + tenant id + survey id (hex, so the lookup runs under that
tenant's row-level security) + an HMAC-SHA256 of both under ``QM_SECRET_KEY``: nothing
secret is stored, agents can show the link again, and a forged or altered token is a 404.
Answering locks the survey row; a second answer is 409 ``csat-already-answered``, an
answer to an older resolution's link 409 ``csat-superseded``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.clock import utcnow
from quartermaster.core.db import set_tenant
from quartermaster.core.events import emit
from quartermaster.core.ids import new_id
from quartermaster.core.markdown import to_html
from quartermaster.core.pagination import Page, PageParams
from quartermaster.identity.public import Principal
from quartermaster.servicedesk import repository
from quartermaster.servicedesk.errors import (
    SurveyAnswered,
    SurveyNotFound,
    SurveySuperseded,
    TicketNotFound,
)
from quartermaster.servicedesk.events import TicketEvents, TicketRated
from quartermaster.servicedesk.models import CsatSurvey, Ticket
from quartermaster.servicedesk.repository import conversation as conversation_rows
from quartermaster.servicedesk.repository import teams as team_rows
from quartermaster.servicedesk.repository import tickets as ticket_rows
from quartermaster.servicedesk.schemas import (
    CsatAnswer,
    CsatGroup,
    CsatRead,
    CsatResultRow,
    CsatResults,
    CsatView,
    PublicComment,
)
from quartermaster.servicedesk.service.common import ticket_key
from quartermaster.servicedesk.service.teams import agents_among

TOKEN_PREFIX = "qmc_"  # noqa: S105 - a format prefix, not a secret
_TOKEN = re.compile(r"^qmc_([0-9a-f]{32})([0-9a-f]{32})([0-9a-f]{64})$")


def _signature(secret: str, tenant_id: uuid.UUID, survey_id: uuid.UUID) -> str:
    message = f"csat:{tenant_id.hex}:{survey_id.hex}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def survey_token(secret: str, tenant_id: uuid.UUID, survey_id: uuid.UUID) -> str:
    return f"{TOKEN_PREFIX}{tenant_id.hex}{survey_id.hex}{_signature(secret, tenant_id, survey_id)}"


def survey_url(base_url: str, token: str) -> str:
    """The web app's rating page (``/csat/{token}``, no login), which answers through
    ``/api/v1/csat/{token}``."""
    return f"{base_url.rstrip('/')}/csat/{token}"


@dataclass(frozen=True)
class SurveyKey:
    tenant_id: uuid.UUID
    survey_id: uuid.UUID


def read_token(secret: str, token: str) -> SurveyKey:
    """The survey a token names, or 404 when it is malformed or its signature is wrong."""
    match = _TOKEN.match(token)
    if match is None:
        raise SurveyNotFound
    tenant_id, survey_id = uuid.UUID(hex=match[1]), uuid.UUID(hex=match[2])
    if not hmac.compare_digest(match[3], _signature(secret, tenant_id, survey_id)):
        raise SurveyNotFound
    return SurveyKey(tenant_id, survey_id)


async def create_survey(session: AsyncSession, ticket: Ticket, now: datetime) -> CsatSurvey:
    """A rating request for this resolution, attributed to the ticket's team and agent."""
    survey = CsatSurvey(
        id=new_id(),
        tenant_id=ticket.tenant_id,
        ticket_id=ticket.id,
        team_id=ticket.team_id,
        agent_id=ticket.assignee_id,
        created_at=now,
    )
    repository.add(session, survey)
    await session.flush()
    return survey


def csat_read(survey: CsatSurvey, secret: str, base_url: str) -> CsatRead:
    token = survey_token(secret, survey.tenant_id, survey.id)
    return CsatRead(
        id=survey.id,
        ticket_id=survey.ticket_id,
        url=survey_url(base_url, token),
        score=survey.score,
        comment=survey.comment,
        created_at=survey.created_at,
        answered_at=survey.answered_at,
    )


async def surveys_of_ticket(
    session: AsyncSession,
    principal: Principal,
    ticket_id: uuid.UUID,
    page: PageParams,
    secret: str,
    base_url: str,
) -> Page[CsatRead]:
    """Oldest first (created_at, then id)."""
    tenant_id = principal.tenant_id
    if await ticket_rows.ticket_by_id(session, tenant_id, ticket_id) is None:
        raise TicketNotFound
    surveys, next_cursor = page.next_page(
        await conversation_rows.surveys_page(
            session, tenant_id, ticket_id, limit=page.fetch, after=page.after(datetime, uuid.UUID)
        ),
        lambda survey: [survey.created_at, survey.id],
    )
    items = [csat_read(s, secret, base_url) for s in surveys]
    return Page[CsatRead](items=items, next_cursor=next_cursor)


async def latest_survey_of_ticket(
    session: AsyncSession, principal: Principal, ticket_id: uuid.UUID, secret: str, base_url: str
) -> CsatRead | None:
    """The ticket's newest rating request (None: there is none)."""
    tenant_id = principal.tenant_id
    survey_id = await conversation_rows.latest_survey_id(session, tenant_id, ticket_id)
    if survey_id is None:
        return None
    survey = await conversation_rows.survey_by_id(session, tenant_id, survey_id)
    return csat_read(survey, secret, base_url) if survey is not None else None


async def _survey(
    session: AsyncSession, secret: str, token: str, *, lock: bool
) -> tuple[CsatSurvey, Ticket]:
    key = read_token(secret, token)
    await set_tenant(session, key.tenant_id)
    survey = await conversation_rows.survey_by_id(session, key.tenant_id, key.survey_id, lock=lock)
    if survey is None:
        raise SurveyNotFound
    ticket = await ticket_rows.ticket_by_id(session, key.tenant_id, survey.ticket_id)
    if ticket is None:
        raise SurveyNotFound
    return survey, ticket


async def view_survey(session: AsyncSession, secret: str, token: str) -> CsatView:
    """What the requester sees behind the link: the ticket and its public conversation.
    Internal notes are filtered in the query, not after it."""
    survey, ticket = await _survey(session, secret, token, lock=False)
    comments = await conversation_rows.comments_of(
        session, ticket.tenant_id, ticket.id, public_only=True
    )
    conversation = []
    if ticket.description:
        conversation.append(
            PublicComment(
                author="you", body_html=to_html(ticket.description), created_at=ticket.created_at
            )
        )
    conversation.extend(
        PublicComment(
            author="you" if c.author_kind == "requester" else "support",
            body_html=to_html(c.body),
            created_at=c.created_at,
        )
        for c in comments
        if c.author_kind != "system"
    )
    return CsatView(
        ticket_key=ticket_key(ticket.number),
        subject=ticket.subject,
        status=ticket.status,
        answered=survey.answered_at is not None,
        score=survey.score,
        conversation=conversation,
    )


async def answer_survey(
    session: AsyncSession,
    secret: str,
    token: str,
    data: CsatAnswer,
    *,
    now: datetime | None = None,
) -> CsatView:
    """Record the requester's rating, once; emits ``servicedesk.ticket.rated``."""
    survey, ticket = await _survey(session, secret, token, lock=True)
    if survey.answered_at is not None:
        raise SurveyAnswered
    latest = await conversation_rows.latest_survey_id(session, ticket.tenant_id, ticket.id)
    if latest != survey.id:
        raise SurveySuperseded
    survey.score = data.score
    survey.comment = data.comment
    survey.answered_at = now or utcnow()
    await session.flush()
    await emit(
        session,
        ticket.tenant_id,
        TicketEvents.RATED,
        TicketRated(
            id=ticket.id,
            number=ticket.number,
            survey_id=survey.id,
            score=data.score,
            team_id=survey.team_id,
            agent_id=survey.agent_id,
        ),
    )
    return await view_survey(session, secret, token)


def _ratio(part: Decimal, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (part / whole).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


async def results(
    session: AsyncSession,
    principal: Principal,
    group_by: CsatGroup,
    answered_from: datetime | None,
    answered_to: datetime | None,
) -> CsatResults:
    """Answered ratings per team or per agent: count, average, share of 4s and 5s."""
    tenant_id = principal.tenant_id
    rows = await conversation_rows.csat_groups(
        session,
        tenant_id,
        by_team=group_by is CsatGroup.TEAM,
        answered_from=answered_from,
        answered_to=answered_to,
    )
    ids = [row[0] for row in rows if row[0] is not None]
    if group_by is CsatGroup.TEAM:
        names = {t.id: t.name for t in await team_rows.teams(session, tenant_id)}
    else:
        names = {a.id: a.full_name for a in (await agents_among(session, tenant_id, ids)).values()}
    out = []
    for group_id, *counts in rows:
        responses = sum(counts)
        total = sum(score * count for score, count in enumerate(counts, start=1))
        out.append(
            CsatResultRow(
                id=group_id,
                name=names.get(group_id) if group_id is not None else None,
                responses=responses,
                average=_ratio(Decimal(total), responses),
                satisfied_percent=_ratio(Decimal(100 * (counts[3] + counts[4])), responses),
                distribution={str(score): count for score, count in enumerate(counts, start=1)},
            )
        )
    return CsatResults(
        group_by=group_by, answered_from=answered_from, answered_to=answered_to, rows=out
    )
