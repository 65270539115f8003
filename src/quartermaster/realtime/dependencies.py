"""Authentication for live connections.

Browsers cannot set headers on a WebSocket or an ``EventSource``. An access token or API
key therefore comes as ``Authorization: Bearer …`` or, for WebSockets, as the subprotocol
list ``bearer, <token>`` (the server then selects ``bearer``) — never in the URL, where
proxies log it. ``?token=`` takes only a ticket (``realtime/tickets.py``: 30 s, one use,
from ``POST /api/v1/realtime/tickets``). Access tokens and API keys are checked by
identity; the short transaction used for that ends before the connection starts streaming.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, FastAPI, Query, Request, WebSocket
from redis.asyncio import Redis

from quartermaster.core.db import Database
from quartermaster.core.responses import can_refuse
from quartermaster.core.settings import Settings
from quartermaster.identity.public import (
    Credential,
    Forbidden,
    Permission,
    Unauthenticated,
    authenticate_token,
    ensure_current,
)
from quartermaster.realtime.tickets import is_ticket, redeem_ticket

SUBPROTOCOL = "bearer"
# Any member may open a live connection; each channel then needs its own permission.
CONNECT_PERMISSION = Permission.TENANT_READ


class Refused(Exception):
    def __init__(self, detail: str, code: str = "unauthenticated") -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code


NEEDS_CREDENTIAL = (
    "Authentication required: send an access token or API key as "
    "'Authorization: Bearer <token>' or (WebSocket) as the subprotocols 'bearer, <token>', "
    "or a ticket from POST /api/v1/realtime/tickets as ?token=<ticket>."
)


async def _credential(app: FastAPI, token: str | None, *, from_url: bool = False) -> Credential:
    """The credential of a header or subprotocol token (access token, API key or ticket),
    or of a URL's ``?token=``, which must be a ticket."""
    if not token:
        raise Refused(NEEDS_CREDENTIAL)
    database = app.state.database
    settings = app.state.settings
    redis = app.state.redis
    assert isinstance(database, Database)
    assert isinstance(settings, Settings)
    assert isinstance(redis, Redis)
    if from_url and not is_ticket(token):
        raise Refused(
            "?token= takes only a ticket (POST /api/v1/realtime/tickets, valid 30 s, once): "
            "an access token or API key in a URL ends up in proxies' logs. Send it as "
            "'Authorization: Bearer <token>' or as the subprotocols 'bearer, <token>'.",
            "ticket-required",
        )
    try:
        async with database.transaction() as session:
            if is_ticket(token):
                redeemed = await redeem_ticket(redis, token)
                if redeemed is None:
                    raise Unauthenticated(
                        "The ticket is unknown, expired or already used; get a new one.",
                        code="invalid-ticket",
                    )
                await ensure_current(session, redeemed.principal)
                credential = redeemed
            else:
                credential = await authenticate_token(
                    session, settings.secret_key.get_secret_value(), token
                )
    except Unauthenticated as exc:
        raise Refused(exc.detail, exc.code) from exc
    if not credential.principal.can(CONNECT_PERMISSION):
        raise Refused("This role may not open live connections.", "permission-denied")
    return credential


def _bearer(header: str | None) -> str | None:
    if header and header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None


@dataclass(frozen=True)
class SocketAuth:
    """The outcome of a WebSocket's authentication: the socket must be accepted first
    (with ``subprotocol``) so a refusal can be a close code (4401) the client can read."""

    credential: Credential | None
    subprotocol: str | None
    refusal: str = ""


async def authenticate_socket(websocket: WebSocket) -> SocketAuth:
    offered = [
        part.strip()
        for part in websocket.headers.get("sec-websocket-protocol", "").split(",")
        if part.strip()
    ]
    token: str | None = None
    subprotocol: str | None = None
    if offered and offered[0].lower() == SUBPROTOCOL:
        subprotocol = offered[0]
        token = offered[1] if len(offered) > 1 else None
    token = token or _bearer(websocket.headers.get("authorization"))
    in_url = websocket.query_params.get("token")
    try:
        credential = await _credential(
            websocket.app, token or in_url, from_url=token is None and in_url is not None
        )
    except Refused as exc:
        return SocketAuth(credential=None, subprotocol=subprotocol, refusal=exc.detail)
    return SocketAuth(credential=credential, subprotocol=subprotocol)


@can_refuse(401, 403)
async def authenticate_stream(
    request: Request,
    token: Annotated[
        str | None,
        Query(
            max_length=4096,
            description="A ticket from POST /api/v1/realtime/tickets (30 s, one use), for "
            "clients that cannot send headers. Never an access token or API key.",
        ),
    ] = None,
) -> Credential:
    header = _bearer(request.headers.get("authorization"))
    try:
        return await _credential(request.app, header or token, from_url=header is None)
    except Refused as exc:
        if exc.code == "permission-denied":
            raise Forbidden(exc.detail, code=exc.code) from exc
        raise Unauthenticated(exc.detail, code=exc.code) from exc


@can_refuse(401, 403)
async def authenticate_for_ticket(request: Request) -> Credential:
    """An access token or API key in the Authorization header (not a ticket: a ticket
    cannot buy another)."""
    header = _bearer(request.headers.get("authorization"))
    if header is not None and is_ticket(header):
        raise Unauthenticated(
            "A ticket cannot be exchanged for another; send an access token or API key.",
            code="ticket-not-accepted",
        )
    try:
        return await _credential(request.app, header)
    except Refused as exc:
        if exc.code == "permission-denied":
            raise Forbidden(exc.detail, code=exc.code) from exc
        raise Unauthenticated(exc.detail, code=exc.code) from exc


# The route check (tests/identity/test_route_permissions.py) recognises auth dependencies
# by this attribute: all authenticate, and need what any member has.
authenticate_socket.required_permission = CONNECT_PERMISSION  # type: ignore[attr-defined]
authenticate_stream.required_permission = CONNECT_PERMISSION  # type: ignore[attr-defined]
authenticate_for_ticket.required_permission = CONNECT_PERMISSION  # type: ignore[attr-defined]

SocketAuthDep = Annotated[SocketAuth, Depends(authenticate_socket)]
StreamCredential = Annotated[Credential, Depends(authenticate_stream)]
TicketBuyer = Annotated[Credential, Depends(authenticate_for_ticket)]
