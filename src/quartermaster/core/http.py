"""The outermost request middleware: request id, access log, metrics, the edge checks of
hostile input, cancelling the work of a client that left, and last-resort errors.

Written as plain ASGI (not ``BaseHTTPMiddleware``) so streaming responses and WebSockets
pass through untouched and no extra task is spawned per request (a watcher task is
spawned only for a request still running after ``DISCONNECT_WATCH_AFTER``).

Edge checks (``core.inputs``), once for every route whatever its schema:
- the path and the query string must be UTF-8 without NUL once percent-decoded;
- JSON and form bodies are read here (at most ``max_body_bytes``, else 413) and every
  string in them must be storable text (no NUL, no lone surrogate); the app then reads
  the same bytes. Other bodies (multipart uploads) stream through unread.
A refusal is a 422 problem naming the field, logged as one line without a traceback.

A client that disconnects cancels its request's task: Uvicorn does not, and a running
query would otherwise go on for nothing (asyncpg sends PostgreSQL a cancel request when
the task awaiting it is cancelled). Database errors that are limits, not bugs (the
statement timeout), become their problem responses (``core.errors.known_failure``).
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quartermaster.core.errors import (
    AppError,
    app_error_response,
    internal_error_body,
    known_failure,
    problem_response,
)
from quartermaster.core.inputs import (
    InvalidText,
    TextProblem,
    json_body_problem,
    path_problem,
    urlencoded_problem,
)
from quartermaster.core.metrics import HttpMetrics

REQUEST_ID_HEADER = "x-request-id"
# A client's id is echoed into logs and headers, so only short, plain tokens are accepted.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
UNMATCHED_ROUTE = "<unmatched>"
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
# Requests answered sooner than this never get a disconnect watcher (a task per request).
DISCONNECT_WATCH_AFTER = 0.25
# What the access log and metrics record for a request whose client left before the answer
# (nginx's convention).
CLIENT_CLOSED_REQUEST = 499

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


class PayloadTooLarge(AppError):
    def __init__(self, limit: int) -> None:
        super().__init__(
            413,
            "payload-too-large",
            f"The request body is larger than {limit} bytes, the most a JSON or form body "
            "may have.",
        )


def _body_kind(scope: Scope) -> tuple[str | None, bool]:
    """("json" | "form" | None, whether the request has a body at all), from the headers:
    the bodies this middleware reads and checks, as FastAPI would parse them."""
    content_type = b""
    has_body = False
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            content_type = value.split(b";", 1)[0].strip().lower()
        elif name == b"content-length":
            has_body = value.strip() not in (b"0", b"")
        elif name == b"transfer-encoding":
            has_body = True
    if not has_body:
        return None, False
    # No content type: FastAPI parses a body as JSON, so it is checked as JSON.
    if not content_type or content_type == b"application/json" or content_type.endswith(b"+json"):
        return "json", True
    if content_type == b"application/x-www-form-urlencoded":
        return "form", True
    return None, True


def _url_problem(scope: Scope) -> TextProblem | None:
    raw_path = scope.get("raw_path")
    if isinstance(raw_path, bytes):
        problem = path_problem(raw_path.split(b"?", 1)[0])
    else:
        path = scope["path"]
        problem = path_problem(path.encode("utf-8", "surrogatepass")) if path else None
    return problem or urlencoded_problem(scope.get("query_string", b""), "query")


class _Exchange:
    """The request's ``receive`` as the app sees it: the body this middleware already read
    (if any) first, then the server's messages; and, for a request still running after
    ``DISCONNECT_WATCH_AFTER``, a watcher that cancels the request's task when the client
    disconnects. The watcher only reads once the app has the whole body (or the request
    has none), so it never competes with the app for body messages."""

    def __init__(self, receive: Receive, body: bytes | None, bodiless: bool) -> None:
        self._receive = receive
        self._pending: Message | None = (
            {"type": "http.request", "body": body, "more_body": False} if body is not None else None
        )
        self._body_done = body is not None or bodiless
        self._app_receiving = False
        self._want_watch = False
        self._watcher: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[Any] | None = None
        self.client_gone = False
        self.response_done = False

    async def receive(self) -> Message:
        if self._pending is not None:
            message, self._pending = self._pending, None
            return message
        if self._watcher is not None:
            # The watcher owns the channel: what is left to hear is the disconnect.
            await asyncio.shield(self._watcher)
            return {"type": "http.disconnect"}
        self._app_receiving = True
        try:
            message = await self._receive()
        finally:
            self._app_receiving = False
        if message["type"] == "http.request" and not message.get("more_body", False):
            self._body_done = True
            if self._want_watch:
                self._start_watch()
        return message

    def watch(self) -> None:
        self._task = asyncio.current_task()
        self._timer = asyncio.get_running_loop().call_later(DISCONNECT_WATCH_AFTER, self._due)

    def _due(self) -> None:
        self._timer = None
        if self._app_receiving or not self._body_done:
            self._want_watch = True  # once the app has read the whole body
        else:
            self._start_watch()

    def _start_watch(self) -> None:
        if self._watcher is None and not self.response_done and self._task is not None:
            self._watcher = asyncio.get_running_loop().create_task(self._watch())

    async def _watch(self) -> None:
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                break
            if message["type"] == "http.request":
                self._pending = message  # a body the app has not asked for yet
        if not self.response_done and self._task is not None:
            self.client_gone = True
            self._task.cancel()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._watcher is not None and not self._watcher.done():
            self._watcher.cancel()


class RequestContextMiddleware:
    def __init__(
        self, app: ASGIApp, metrics: HttpMetrics, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes

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
        exchange: _Exchange | None = None

        async def send_with_request_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message = {**message, "headers": headers}
            elif (
                message["type"] == "http.response.body"
                and not message.get("more_body", False)
                and exchange is not None
            ):
                exchange.response_done = True
            await send(message)

        async def refuse(error: AppError) -> None:
            nonlocal status
            status = error.status
            log.info("request_refused", code=error.code, detail=error.detail)
            response = app_error_response(error, instance=scope["path"], request_id=request_id)
            await response(scope, receive, send_with_request_id)

        try:
            problem = _url_problem(scope)
            if problem is not None:
                await refuse(InvalidText(problem))
                return
            kind, has_body = _body_kind(scope)
            body = None
            if kind is not None:
                body = await self._read_body(receive)
                if body is None:
                    status = CLIENT_CLOSED_REQUEST
                    return
                if len(body) > self.max_body_bytes:
                    await refuse(PayloadTooLarge(self.max_body_bytes))
                    return
                problem = (
                    json_body_problem(body) if kind == "json" else urlencoded_problem(body, "form")
                )
                if problem is not None:
                    await refuse(InvalidText(problem))
                    return
            exchange = _Exchange(receive, body, bodiless=not has_body)
            exchange.watch()
            await self.app(scope, exchange.receive, send_with_request_id)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if exchange is None or not exchange.client_gone or task is None:
                raise
            # Our own cancellation, because the client left: the work (and its queries)
            # stopped; nobody is waiting for an answer.
            task.uncancel()
            status = CLIENT_CLOSED_REQUEST
        except Exception as exc:
            known = known_failure(exc)
            if known is None:
                error_log.exception(
                    "unhandled_exception", method=scope["method"], path=scope["path"]
                )
            else:
                error_log.warning("request_stopped_by_database", code=known.code, error=str(exc))
            if response_started:
                raise
            if known is not None:
                status = known.status
                response = app_error_response(known, instance=scope["path"], request_id=request_id)
            else:
                status = 500
                internal = internal_error_body(instance=scope["path"], request_id=request_id)
                response = problem_response(500, internal)
            await response(scope, receive, send_with_request_id)
        finally:
            if exchange is not None:
                exchange.close()
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

    async def _read_body(self, receive: Receive) -> bytes | None:
        """The whole body, or as much as exceeds the limit (the caller refuses it); None
        when the client disconnected while sending it."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            if chunk:
                chunks.append(chunk)
                size += len(chunk)
                if size > self.max_body_bytes:
                    return b"".join(chunks)
            if not message.get("more_body", False):
                return b"".join(chunks)
