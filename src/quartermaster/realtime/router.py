"""Live endpoints: ``GET /api/v1/ws`` (WebSocket) and ``GET /api/v1/events/stream`` (SSE)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, WebSocket
from fastapi.responses import StreamingResponse
from starlette.requests import Request

from quartermaster.core.errors import AppError
from quartermaster.identity.public import Forbidden
from quartermaster.realtime.channels import refuse_channels
from quartermaster.realtime.dependencies import SocketAuthDep, StreamCredential, TicketBuyer
from quartermaster.realtime.feed import GOING_AWAY
from quartermaster.realtime.gateway import GatewayClosing, get_gateway
from quartermaster.realtime.schemas import MAX_CHANNELS_PER_MESSAGE, Since, TicketOut
from quartermaster.realtime.service import REFUSED, close_socket, event_stream, serve_socket
from quartermaster.realtime.tickets import issue_ticket

router = APIRouter(tags=["realtime"])


@router.post(
    "/realtime/tickets",
    status_code=201,
    response_model=TicketOut,
    summary="A one-use, 30-second ticket for ?token= on /ws and /events/stream",
    responses={401: {"description": "No valid access token or API key in the header"}},
)
async def create_ticket(request: Request, credential: TicketBuyer) -> TicketOut:
    """For browsers, which cannot put a header on a WebSocket or an EventSource: the
    ticket goes in the URL instead of the access token or API key."""
    settings = request.app.state.settings
    ticket = await issue_ticket(
        request.app.state.redis, credential, seconds=settings.realtime_ticket_seconds
    )
    return TicketOut(ticket=ticket.value, expires_in=ticket.expires_in)


@router.websocket("/ws")
async def live_socket(websocket: WebSocket, auth: SocketAuthDep) -> None:
    """Live events over a WebSocket. See README "Live updates" for the protocol."""
    # Accept before refusing, so the client sees the close code (4401), not a failed
    # handshake; select the 'bearer' subprotocol if the token came that way.
    await websocket.accept(subprotocol=auth.subprotocol)
    if auth.credential is None:
        await close_socket(websocket, REFUSED, auth.refusal)
        return
    gateway = get_gateway(websocket)
    try:
        await serve_socket(websocket, gateway, auth.credential)
    except GatewayClosing:
        await close_socket(websocket, GOING_AWAY, "the server is shutting down")


def _parse_last_event_id(value: str) -> Since:
    epoch, _, offset = value.partition(":")
    try:
        return Since(epoch=epoch, offset=offset)
    except ValueError as exc:
        raise AppError(
            422,
            "invalid-last-event-id",
            f"Last-Event-ID must be '<epoch>:<offset>' as sent in an event's id; got {value!r}.",
        ) from exc


@router.get(
    "/events/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def stream_events(
    request: Request,
    credential: StreamCredential,
    channels: Annotated[
        str, Query(description="Comma-separated channels, e.g. inventory:updates,stock:alerts")
    ],
    last_event_id: Annotated[
        str | None, Header(alias="Last-Event-ID", description="Resume after this event id.")
    ] = None,
    since: Annotated[
        str | None,
        Query(description="Resume after this event id (<epoch>:<offset>) on a first connect."),
    ] = None,
) -> StreamingResponse:
    """Live events as Server-Sent Events, for clients that cannot use WebSockets."""
    names = list(dict.fromkeys(name.strip() for name in channels.split(",") if name.strip()))
    if not names or len(names) > MAX_CHANNELS_PER_MESSAGE:
        raise AppError(
            422,
            "invalid-channels",
            f"Name between 1 and {MAX_CHANNELS_PER_MESSAGE} channels, comma-separated.",
        )
    refusal = refuse_channels(credential.principal, names)
    if refusal is not None:
        if refusal.unknown:
            raise AppError(422, "unknown-channel", refusal.detail)
        raise Forbidden(refusal.detail, code="permission-denied")
    resume_from = last_event_id or since
    position = _parse_last_event_id(resume_from) if resume_from else None
    gateway = get_gateway(request)
    if gateway.closing:
        raise AppError(503, "shutting-down", "The server is shutting down; reconnect shortly.")
    return StreamingResponse(
        event_stream(gateway, credential, names, position),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
