"""The outermost request middleware: request id, access log, metrics, last-resort errors.

Written as plain ASGI (not ``BaseHTTPMiddleware``) so streaming responses and WebSockets
pass through untouched and no extra task is spawned per request.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quartermaster.core.errors import internal_error_body, problem_response
from quartermaster.core.metrics import HttpMetrics

REQUEST_ID_HEADER = "x-request-id"
# A client's id is echoed into logs and headers, so only short, plain tokens are accepted.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
UNMATCHED_ROUTE = "<unmatched>"

log = structlog.stdlib.get_logger("quartermaster.access")
error_log = structlog.stdlib.get_logger("quartermaster.errors")


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _SANE_REQUEST_ID.match(text) else None
    return None


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED_ROUTE


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return

        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)

        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return

        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_request_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        except Exception:
            error_log.exception("unhandled_exception", method=scope["method"], path=scope["path"])
            if response_started:
                raise
            status = 500
            body = internal_error_body(instance=scope["path"], request_id=request_id)
            response = problem_response(500, body)
            await response(scope, receive, send_with_request_id)
        finally:
            duration = time.perf_counter() - started
            route = route_template(scope)
            self.metrics.observe(scope["method"], route, status, duration)
            fields: dict[str, Any] = {
                "method": scope["method"],
                "route": route,
                "path": scope["path"],
                "status": status,
                "duration_ms": round(duration * 1000, 2),
            }
            tenant_id = state.get("tenant_id")
            if tenant_id is not None:
                fields["tenant_id"] = str(tenant_id)
            log.info("request", **fields)
            structlog.contextvars.clear_contextvars()
