"""Service desk HTTP API: /tickets (and their conversation, links, stock), /contacts and
/reports/tickets. Configuration (/teams, /agents, /sla-policies, /ticket-fields), CSAT
and inbound e-mail are in ``router_admin``; ``routers`` lists them all."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Response, UploadFile, status
from fastapi.responses import FileResponse

from quartermaster.core.concurrency import IfMatch, etag
from quartermaster.core.db import SessionDep
from quartermaster.core.deps import SettingsDep
from quartermaster.core.pagination import Page, PageParamsDep
from quartermaster.core.responses import CONFLICT, NOT_FOUND, STALE, Responses
from quartermaster.core.urls import API
from quartermaster.inventory.public import IdempotentWriteDep
from quartermaster.servicedesk.errors import InvalidQuery
from quartermaster.servicedesk.params import (
    AttachmentStoreDep,
    MailingSessionDep,
    TicketsRead,
    TicketsWrite,
    link_base_url,
)
from quartermaster.servicedesk.repository.tickets import TicketFilter
from quartermaster.servicedesk.router_admin import (
    agents_router,
    csat_reports_router,
    csat_router,
    fields_router,
    inbound_router,
    sla_router,
    teams_router,
)
from quartermaster.servicedesk.schemas import (
    TAG_PATTERN,
    AttachmentRead,
    BoundedDatetime,
    Clean,
    CommentCreate,
    CommentRead,
    ContactRead,
    CsatRead,
    LinkCreate,
    MergeIn,
    Priority,
    ReportInterval,
    ReserveIn,
    SlaFilter,
    SortOrder,
    TicketCreate,
    TicketDetail,
    TicketRead,
    TicketReport,
    TicketSort,
    TicketStatus,
    TicketUpdate,
    TransitionIn,
)
from quartermaster.servicedesk.service import conversation, csat, reports, tickets, workflow

tickets_router = APIRouter(prefix="/tickets", tags=["tickets"])
contacts_router = APIRouter(prefix="/contacts", tags=["contacts"])
reports_router = APIRouter(prefix="/reports", tags=["reports"])

INVALID_TRANSITION: Responses = {409: {"description": "Not allowed from the ticket's status"}}


def _tagged(response: Response, ticket: TicketDetail) -> TicketDetail:
    response.headers["ETag"] = etag(ticket.version)
    return ticket


@tickets_router.get("", response_model=Page[TicketRead], summary="Tickets")
async def list_tickets(
    principal: TicketsRead,
    session: SessionDep,
    page: PageParamsDep,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Words of the subject, or the number (QM-1042 or 1042)",
        ),
        Clean,
    ] = None,
    status_: Annotated[list[TicketStatus] | None, Query(alias="status")] = None,
    priority: Annotated[list[Priority] | None, Query()] = None,
    team_id: Annotated[uuid.UUID | None, Query()] = None,
    assignee: Annotated[
        str | None,
        Query(
            max_length=36,
            description="An agent's user id, 'me' (the caller) or 'none' (unassigned)",
        ),
    ] = None,
    tag: Annotated[str | None, Query(max_length=50, pattern=TAG_PATTERN)] = None,
    product_id: Annotated[uuid.UUID | None, Query()] = None,
    requester_id: Annotated[uuid.UUID | None, Query()] = None,
    sla: Annotated[SlaFilter | None, Query(description="breached, or due within the hour")] = None,
    created_from: Annotated[BoundedDatetime | None, Query()] = None,
    created_to: Annotated[BoundedDatetime | None, Query()] = None,
    updated_from: Annotated[BoundedDatetime | None, Query()] = None,
    updated_to: Annotated[BoundedDatetime | None, Query()] = None,
    sort: Annotated[TicketSort, Query()] = TicketSort.CREATED_AT,
    order: Annotated[SortOrder, Query()] = SortOrder.DESC,
) -> Page[TicketRead]:
    assignee_id, unassigned = None, False
    if assignee == "none":
        unassigned = True
    elif assignee == "me":
        assignee_id = principal.user_id or uuid.UUID(int=0)  # an API key is nobody's
    elif assignee is not None:
        try:
            assignee_id = uuid.UUID(assignee)
        except ValueError as exc:
            raise InvalidQuery(
                "assignee", "Must be a user id, 'me' or 'none'.", "assignee"
            ) from exc
    where = TicketFilter(
        statuses=[s.value for s in status_] if status_ else None,
        priorities=[p.value for p in priority] if priority else None,
        team_id=team_id,
        assignee_id=assignee_id,
        unassigned=unassigned,
        tag=tag.strip().lower() if tag else None,
        product_id=product_id,
        requester_id=requester_id,
        sla=sla.value if sla else None,
        created_from=created_from,
        created_to=created_to,
        updated_from=updated_from,
        updated_to=updated_to,
        text=q.strip() or None if q else None,
    )
    return await tickets.list_tickets(
        session, principal, page, where, sort=sort, descending=order is SortOrder.DESC
    )


@tickets_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=TicketDetail,
    summary="Open a ticket (number, requester, assignment, SLA; optional stock reservations; "
    "Idempotency-Key supported)",
    responses=CONFLICT,
)
async def create_ticket(
    data: TicketCreate,
    principal: TicketsWrite,
    session: MailingSessionDep,
    once: IdempotentWriteDep,
) -> Response:
    """A retried creation with the same ``Idempotency-Key`` and body answers the first
    ticket again: no second ticket, number, reservation or acknowledgement."""
    return await once.respond(
        principal,
        data,
        status.HTTP_201_CREATED,
        lambda: workflow.create_ticket(session, principal, data),
        location=f"{API}/tickets/{{id}}",
        headers_of=lambda ticket: {"ETag": etag(ticket["version"])},
    )


@tickets_router.get(
    "/{ticket_id}", response_model=TicketDetail, summary="A ticket", responses=NOT_FOUND
)
async def get_ticket(
    ticket_id: uuid.UUID, principal: TicketsRead, session: SessionDep, response: Response
) -> TicketDetail:
    return _tagged(response, await tickets.get_ticket(session, principal, ticket_id))


@tickets_router.patch(
    "/{ticket_id}",
    response_model=TicketDetail,
    summary="Change a ticket (not its status: see transitions)",
    responses={**NOT_FOUND, **CONFLICT, **STALE},
)
async def update_ticket(
    ticket_id: uuid.UUID,
    data: TicketUpdate,
    principal: TicketsWrite,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> TicketDetail:
    ticket = await tickets.update_ticket(session, principal, ticket_id, data, if_match)
    return _tagged(response, ticket)


@tickets_router.post(
    "/{ticket_id}/transitions",
    response_model=TicketDetail,
    summary="Move a ticket to another status (with an optional comment)",
    responses={**NOT_FOUND, **INVALID_TRANSITION},
)
async def transition_ticket(
    ticket_id: uuid.UUID,
    data: TransitionIn,
    principal: TicketsWrite,
    session: MailingSessionDep,
    response: Response,
) -> TicketDetail:
    return _tagged(response, await workflow.transition(session, principal, ticket_id, data))


@tickets_router.get(
    "/{ticket_id}/comments",
    response_model=Page[CommentRead],
    summary="The conversation, oldest first (internal notes included: agents only)",
    responses=NOT_FOUND,
)
async def list_comments(
    ticket_id: uuid.UUID, principal: TicketsRead, session: SessionDep, page: PageParamsDep
) -> Page[CommentRead]:
    return await conversation.list_comments(session, principal, ticket_id, page)


@tickets_router.post(
    "/{ticket_id}/comments",
    status_code=status.HTTP_201_CREATED,
    response_model=CommentRead,
    summary="Reply to the requester, or add an internal note",
    responses={**NOT_FOUND, **CONFLICT},
)
async def add_comment(
    ticket_id: uuid.UUID, data: CommentCreate, principal: TicketsWrite, session: MailingSessionDep
) -> CommentRead:
    return await conversation.add_comment(session, principal, ticket_id, data)


@tickets_router.get(
    "/{ticket_id}/attachments",
    response_model=Page[AttachmentRead],
    summary="The ticket's files, oldest first",
    responses=NOT_FOUND,
)
async def list_attachments(
    ticket_id: uuid.UUID, principal: TicketsRead, session: SessionDep, page: PageParamsDep
) -> Page[AttachmentRead]:
    return await conversation.list_attachments(session, principal, ticket_id, page)


@tickets_router.post(
    "/{ticket_id}/attachments",
    status_code=status.HTTP_201_CREATED,
    response_model=AttachmentRead,
    summary="Attach a file (its type is sniffed from the content)",
    responses={**NOT_FOUND, **CONFLICT, 413: {"description": "Larger than the limit"}},
)
async def upload_attachment(
    ticket_id: uuid.UUID,
    principal: TicketsWrite,
    session: SessionDep,
    settings: SettingsDep,
    store: AttachmentStoreDep,
    response: Response,
    file: Annotated[UploadFile, File()],
    comment_id: Annotated[uuid.UUID | None, Form()] = None,
    internal: Annotated[bool, Form(description="Ignored with comment_id: the comment's")] = False,
) -> AttachmentRead:
    row = await conversation.upload_attachment(
        session,
        principal,
        store,
        ticket_id,
        file.file,
        file.filename,
        max_bytes=settings.servicedesk_max_attachment_bytes,
        comment_id=comment_id,
        internal=internal,
    )
    response.headers["Location"] = f"{API}/tickets/{ticket_id}/attachments/{row.id}"
    return row


@tickets_router.get(
    "/{ticket_id}/attachments/{attachment_id}",
    response_class=FileResponse,
    summary="Download a file",
    responses=NOT_FOUND,
)
async def download_attachment(
    ticket_id: uuid.UUID,
    attachment_id: uuid.UUID,
    principal: TicketsRead,
    session: SessionDep,
    store: AttachmentStoreDep,
) -> FileResponse:
    row = await conversation.attachment_for_download(session, principal, ticket_id, attachment_id)
    return FileResponse(
        store.path(row.tenant_id, row.id),
        media_type=row.content_type,
        filename=row.file_name,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private"},
    )


@tickets_router.post(
    "/{ticket_id}/merge",
    response_model=TicketDetail,
    summary="Merge this ticket into another (the conversation moves; this one closes)",
    responses={**NOT_FOUND, **CONFLICT},
)
async def merge_ticket(
    ticket_id: uuid.UUID,
    data: MergeIn,
    principal: TicketsWrite,
    session: SessionDep,
    response: Response,
) -> TicketDetail:
    return _tagged(response, await workflow.merge(session, principal, ticket_id, data.into))


@tickets_router.post(
    "/{ticket_id}/links",
    status_code=status.HTTP_201_CREATED,
    response_model=TicketDetail,
    summary="Link another ticket",
    responses={**NOT_FOUND, **CONFLICT},
)
async def add_link(
    ticket_id: uuid.UUID,
    data: LinkCreate,
    principal: TicketsWrite,
    session: SessionDep,
    response: Response,
) -> TicketDetail:
    return _tagged(response, await workflow.add_link(session, principal, ticket_id, data))


@tickets_router.delete(
    "/{ticket_id}/links/{link_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a link",
    responses=NOT_FOUND,
)
async def remove_link(
    ticket_id: uuid.UUID, link_id: uuid.UUID, principal: TicketsWrite, session: SessionDep
) -> Response:
    await workflow.remove_link(session, principal, ticket_id, link_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@tickets_router.post(
    "/{ticket_id}/reserve",
    status_code=status.HTTP_201_CREATED,
    response_model=TicketDetail,
    summary="Reserve stock for the ticket (RMA replacement), in one transaction "
    "(Idempotency-Key supported)",
    responses={
        **NOT_FOUND,
        409: {"description": "Insufficient stock, the ticket is closed, or a reused key"},
    },
)
async def reserve_stock(
    ticket_id: uuid.UUID,
    data: ReserveIn,
    principal: TicketsWrite,
    session: SessionDep,
    once: IdempotentWriteDep,
) -> Response:
    return await once.respond(
        principal,
        data,
        status.HTTP_201_CREATED,
        lambda: workflow.reserve(session, principal, ticket_id, data),
        headers_of=_reserved_headers,
    )


def _reserved_headers(ticket: dict[str, Any]) -> dict[str, str]:
    """The ticket's ETag and the new reservation's Location, from the response body (the
    first answer's, on a replay)."""
    newest = max(
        ticket["reservations"],
        key=lambda r: (datetime.fromisoformat(r["created_at"]), r["reservation_id"]),
    )
    return {
        "ETag": etag(ticket["version"]),
        "Location": f"{API}/stock/reservations/{newest['reservation_id']}",
    }


@tickets_router.get(
    "/{ticket_id}/csat",
    response_model=Page[CsatRead],
    summary="The ticket's rating requests, oldest first, with the requester's links",
    responses=NOT_FOUND,
)
async def ticket_csat(
    ticket_id: uuid.UUID,
    principal: TicketsRead,
    session: SessionDep,
    settings: SettingsDep,
    page: PageParamsDep,
) -> Page[CsatRead]:
    return await csat.surveys_of_ticket(
        session,
        principal,
        ticket_id,
        page,
        settings.secret_key.get_secret_value(),
        link_base_url(settings),
    )


# Contacts


@contacts_router.get("", response_model=Page[ContactRead], summary="Requesters")
async def list_contacts(
    principal: TicketsRead,
    session: SessionDep,
    page: PageParamsDep,
    email: Annotated[str | None, Query(max_length=320), Clean] = None,
) -> Page[ContactRead]:
    return await tickets.list_contacts(session, principal, page, email=email)


@contacts_router.get(
    "/{contact_id}", response_model=ContactRead, summary="A requester", responses=NOT_FOUND
)
async def get_contact(
    contact_id: uuid.UUID, principal: TicketsRead, session: SessionDep
) -> ContactRead:
    return await tickets.get_contact(session, principal, contact_id)


# Reports


@reports_router.get(
    "/tickets",
    response_model=TicketReport,
    summary="Tickets created and resolved, response times, breaches and CSAT per period",
    responses={422: {"description": "Parameters that do not make a report"}},
)
async def ticket_report(
    principal: TicketsRead,
    session: SessionDep,
    interval: Annotated[ReportInterval, Query()] = ReportInterval.DAY,
    tz: Annotated[
        str, Query(max_length=64, description="IANA time zone of the periods, e.g. Europe/Berlin")
    ] = "UTC",
    created_from: Annotated[
        BoundedDatetime | None, Query(alias="from", description="Default: 30 days before to")
    ] = None,
    created_to: Annotated[
        BoundedDatetime | None, Query(alias="to", description="Default: now")
    ] = None,
) -> TicketReport:
    return await reports.ticket_report(
        session,
        principal,
        interval=interval,
        tz=tz,
        created_from=created_from,
        created_to=created_to,
    )


routers: list[APIRouter] = [
    tickets_router,
    contacts_router,
    reports_router,
    teams_router,
    agents_router,
    sla_router,
    fields_router,
    csat_router,
    csat_reports_router,
    inbound_router,
]
