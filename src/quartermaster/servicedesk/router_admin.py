"""Service desk HTTP API, configuration and the outside world: /teams, /agents,
/sla-policies, /ticket-fields, /csat (the requester's rating link, without login) and
/inbound (e-mail from a provider's webhook; the tenant's inbound address)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from quartermaster.core.concurrency import IfMatch, etag
from quartermaster.core.db import SessionDep
from quartermaster.core.deps import SettingsDep
from quartermaster.core.pagination import Page, PageParamsDep
from quartermaster.core.responses import CONFLICT, NOT_FOUND, STALE
from quartermaster.core.urls import API
from quartermaster.servicedesk.errors import ApiKeyRequired, TooLarge
from quartermaster.servicedesk.params import (
    AttachmentStoreDep,
    DeskAdmin,
    MailingSessionDep,
    TicketsRead,
    TicketsWrite,
)
from quartermaster.servicedesk.schemas import (
    AgentRead,
    AgentUpdate,
    BoundedDatetime,
    CsatAnswer,
    CsatGroup,
    CsatResults,
    CsatView,
    InboundAddress,
    InboundResult,
    SlaPolicyCreate,
    SlaPolicyRead,
    SlaPolicyUpdate,
    TeamCreate,
    TeamRead,
    TeamUpdate,
    TicketFieldCreate,
    TicketFieldRead,
)
from quartermaster.servicedesk.service import csat, fields, inbound, sla, teams
from quartermaster.servicedesk.smtp import inbound_address

teams_router = APIRouter(prefix="/teams", tags=["teams"])
agents_router = APIRouter(prefix="/agents", tags=["teams"])
sla_router = APIRouter(prefix="/sla-policies", tags=["sla-policies"])
fields_router = APIRouter(prefix="/ticket-fields", tags=["ticket-fields"])
csat_router = APIRouter(prefix="/csat", tags=["csat"])
# The ratings' results beside the other reports (not under /csat/{token}).
csat_reports_router = APIRouter(prefix="/reports", tags=["reports"])
inbound_router = APIRouter(prefix="/inbound", tags=["inbound"])


# Teams and agents


@teams_router.get("", response_model=Page[TeamRead], summary="Teams, by name")
async def list_teams(
    principal: TicketsRead, session: SessionDep, page: PageParamsDep
) -> Page[TeamRead]:
    return await teams.list_teams(session, principal, page)


@teams_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=TeamRead,
    summary="Create a team (members, assignment strategy, SLA policy)",
    responses=CONFLICT,
)
async def create_team(
    data: TeamCreate, principal: DeskAdmin, session: SessionDep, response: Response
) -> TeamRead:
    team = await teams.create_team(session, principal, data)
    response.headers["Location"] = f"{API}/teams/{team.id}"
    response.headers["ETag"] = etag(team.version)
    return team


@teams_router.get("/{team_id}", response_model=TeamRead, summary="A team", responses=NOT_FOUND)
async def get_team(
    team_id: uuid.UUID, principal: TicketsRead, session: SessionDep, response: Response
) -> TeamRead:
    team = await teams.get_team(session, principal, team_id)
    response.headers["ETag"] = etag(team.version)
    return team


@teams_router.patch(
    "/{team_id}",
    response_model=TeamRead,
    summary="Change a team",
    responses={**NOT_FOUND, **CONFLICT, **STALE},
)
async def update_team(
    team_id: uuid.UUID,
    data: TeamUpdate,
    principal: DeskAdmin,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> TeamRead:
    team = await teams.update_team(session, principal, team_id, data, if_match)
    response.headers["ETag"] = etag(team.version)
    return team


@agents_router.get(
    "", response_model=Page[AgentRead], summary="Agents (members with tickets:write), by name"
)
async def list_agents(
    principal: TicketsRead, session: SessionDep, page: PageParamsDep
) -> Page[AgentRead]:
    return await teams.list_agents(session, principal, page)


@agents_router.patch(
    "/{user_id}",
    response_model=AgentRead,
    summary="Mark an agent away (skipped by assignment) or back: yourself, anyone as a manager",
    responses=NOT_FOUND,
)
async def update_agent(
    user_id: uuid.UUID, data: AgentUpdate, principal: TicketsWrite, session: SessionDep
) -> AgentRead:
    return await teams.update_agent(session, principal, user_id, data)


# SLA policies


@sla_router.get("", response_model=Page[SlaPolicyRead], summary="SLA policies, by name")
async def list_policies(
    principal: TicketsRead, session: SessionDep, page: PageParamsDep
) -> Page[SlaPolicyRead]:
    return await sla.list_policies(session, principal, page)


@sla_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=SlaPolicyRead,
    summary="Create an SLA policy (targets per priority on a business-hours calendar)",
    responses=CONFLICT,
)
async def create_policy(
    data: SlaPolicyCreate, principal: DeskAdmin, session: SessionDep, response: Response
) -> SlaPolicyRead:
    policy = await sla.create_policy(session, principal, data)
    response.headers["Location"] = f"{API}/sla-policies/{policy.id}"
    response.headers["ETag"] = etag(policy.version)
    return policy


@sla_router.get(
    "/{policy_id}", response_model=SlaPolicyRead, summary="An SLA policy", responses=NOT_FOUND
)
async def get_policy(
    policy_id: uuid.UUID, principal: TicketsRead, session: SessionDep, response: Response
) -> SlaPolicyRead:
    policy = await sla.get_policy(session, principal, policy_id)
    response.headers["ETag"] = etag(policy.version)
    return policy


@sla_router.patch(
    "/{policy_id}",
    response_model=SlaPolicyRead,
    summary="Change an SLA policy (for tickets created or re-prioritised afterwards)",
    responses={**NOT_FOUND, **CONFLICT, **STALE},
)
async def update_policy(
    policy_id: uuid.UUID,
    data: SlaPolicyUpdate,
    principal: DeskAdmin,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> SlaPolicyRead:
    policy = await sla.update_policy(session, principal, policy_id, data, if_match)
    response.headers["ETag"] = etag(policy.version)
    return policy


# Custom fields


@fields_router.get("", response_model=Page[TicketFieldRead], summary="Custom ticket fields, by key")
async def list_fields(
    principal: TicketsRead, session: SessionDep, page: PageParamsDep
) -> Page[TicketFieldRead]:
    return await fields.list_fields(session, principal, page)


@fields_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=TicketFieldRead,
    summary="Define a custom ticket field (text, number, select, date)",
    responses=CONFLICT,
)
async def create_field(
    data: TicketFieldCreate, principal: DeskAdmin, session: SessionDep, response: Response
) -> TicketFieldRead:
    field = await fields.create_field(session, principal, data)
    response.headers["Location"] = f"{API}/ticket-fields/{field.id}"
    return field


@fields_router.delete(
    "/{field_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a custom field definition (tickets keep their values)",
    responses=NOT_FOUND,
)
async def delete_field(field_id: uuid.UUID, principal: DeskAdmin, session: SessionDep) -> Response:
    await fields.delete_field(session, principal, field_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# CSAT


@csat_reports_router.get(
    "/csat", response_model=CsatResults, summary="Ratings per team or per agent"
)
async def csat_results(
    principal: TicketsRead,
    session: SessionDep,
    group_by: Annotated[CsatGroup, Query()] = CsatGroup.TEAM,
    answered_from: Annotated[BoundedDatetime | None, Query(alias="from")] = None,
    answered_to: Annotated[BoundedDatetime | None, Query(alias="to")] = None,
) -> CsatResults:
    return await csat.results(session, principal, group_by, answered_from, answered_to)


@csat_router.get(
    "/{token}",
    response_model=CsatView,
    summary="The requester's view behind a rating link (no login)",
    responses=NOT_FOUND,
)
async def view_survey(token: str, session: SessionDep, settings: SettingsDep) -> CsatView:
    return await csat.view_survey(session, settings.secret_key.get_secret_value(), token)


@csat_router.post(
    "/{token}",
    response_model=CsatView,
    summary="Rate the support received, once (no login)",
    responses={**NOT_FOUND, **CONFLICT},
)
async def answer_survey(
    token: str, data: CsatAnswer, session: SessionDep, settings: SettingsDep
) -> CsatView:
    return await csat.answer_survey(session, settings.secret_key.get_secret_value(), token, data)


# Inbound e-mail


async def _read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLarge("message", limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge("message", limit)
        chunks.append(chunk)
    return b"".join(chunks)


@inbound_router.post(
    "/email",
    response_model=InboundResult,
    summary="Receive one e-mail (raw RFC 822) from a mail provider's webhook",
    responses={403: {"description": "Not an API key"}, 413: {"description": "Too large"}},
    openapi_extra={
        "requestBody": {
            "required": True,
            # Sent as message/rfc822 or application/octet-stream: the raw message either way.
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def receive_email(
    request: Request,
    principal: TicketsWrite,
    session: MailingSessionDep,
    settings: SettingsDep,
    store: AttachmentStoreDep,
) -> InboundResult:
    if principal.kind != "api_key":
        raise ApiKeyRequired
    raw = await _read_limited(request, settings.inbound_email_max_bytes)
    return await inbound.receive_email(
        session,
        principal.tenant_id,
        raw,
        store=store,
        max_attachment_bytes=settings.servicedesk_max_attachment_bytes,
    )


@inbound_router.get(
    "/address", response_model=InboundAddress, summary="Where the organization's mail goes"
)
async def address(
    principal: TicketsRead, request: Request, settings: SettingsDep
) -> InboundAddress:
    port = getattr(request.app.state, "inbound_smtp_port", None)
    return InboundAddress(
        address=inbound_address(principal.tenant_id, settings.inbound_email_domain),
        smtp_enabled=port is not None,
        smtp_port=port,
    )
