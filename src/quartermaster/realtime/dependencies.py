"""Authentication for live connections.

Browsers cannot set headers on a WebSocket or an ``EventSource``, so besides
``Authorization: Bearer …`` a token may come as ``?token=…`` or, for WebSockets, as the
subprotocol list ``bearer, <token>`` (the server then selects ``bearer``). Access tokens
and API keys are checked by identity; the short transaction used for that ends before
the connection starts streaming.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, FastAPI, Query, Request, WebSocket

from quartermaster.core.db import Database
from quartermaster.core.settings import Settings
from quartermaster.identity.public import (
    Credential,
    Forbidden,
    Permission,
    Unauthenticated,
    authenticate_token,
)

SUBPROTOCOL = "bearer"
# Any member may open a live connection; each channel then needs its own permission.
CONNECT_PERMISSION = Permission.TENANT_READ


class Refused(Exception):
    def __init__(self, detail: str, code: str = "unauthenticated") -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code


async def _credential(app: FastAPI, token: str | None) -> Credential:
    if not token:
        raise Refused(
            "Authentication required: send an access token or API key as ?token=…, as the "
            "subprotocols 'bearer, <token>' or as 'Authorization: Bearer <token>'."
        )
    database = app.state.database
    settings = app.state.settings
    assert isinstance(database, Database)
    assert isinstance(settings, Settings)
    try:
        async with database.transaction() as session:
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
    token = (
        token
        or websocket.query_params.get("token")
        or _bearer(websocket.headers.get("authorization"))
    )
    try:
        credential = await _credential(websocket.app, token)
    except Refused as exc:
        return SocketAuth(credential=None, subprotocol=subprotocol, refusal=exc.detail)
    return SocketAuth(credential=credential, subprotocol=subprotocol)


async def authenticate_stream(
    request: Request,
    token: Annotated[
        str | None,
        Query(description="Access token or API key, for clients that cannot send headers."),
    ] = None,
) -> Credential:
    try:
        return await _credential(
            request.app, _bearer(request.headers.get("authorization")) or token
        )
    except Refused as exc:
        if exc.code == "permission-denied":
            raise Forbidden(exc.detail, code=exc.code) from exc
        raise Unauthenticated(exc.detail, code=exc.code) from exc


# The route check (tests/identity/test_route_permissions.py) recognises auth dependencies
# by this attribute: both authenticate, and need what any member has.
authenticate_socket.required_permission = CONNECT_PERMISSION  # type: ignore[attr-defined]
authenticate_stream.required_permission = CONNECT_PERMISSION  # type: ignore[attr-defined]

SocketAuthDep = Annotated[SocketAuth, Depends(authenticate_socket)]
StreamCredential = Annotated[Credential, Depends(authenticate_stream)]
