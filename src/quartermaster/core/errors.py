"""Domain errors and their one rendering: RFC 9457 ``application/problem+json``.

Services raise ``AppError`` subclasses; they never raise ``HTTPException``. Every error a
client can see, including framework errors (404, 405, malformed JSON, validation) and
unexpected crashes, goes through :func:`problem_response` so the shape never varies.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:quartermaster:problem:"


# Members every problem has; an extension may not reuse their names (it would be lost).
STANDARD_MEMBERS = frozenset(
    {"type", "title", "status", "detail", "instance", "code", "request_id", "errors"}
)


class AppError(Exception):
    """An error a client caused or must know about, with its HTTP status and stable code."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        title: str | None = None,
        extensions: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.title = title or HTTPStatus(status).phrase
        self.extensions = dict(extensions or {})
        clashing = (self.extensions.keys() & STANDARD_MEMBERS) - {"errors"}
        if clashing:
            raise ValueError(f"problem extensions may not redefine {sorted(clashing)}")
        self.headers = dict(headers or {})


class NotFound(AppError):
    def __init__(self, detail: str, *, code: str = "not-found") -> None:
        super().__init__(404, code, detail)


class Conflict(AppError):
    def __init__(
        self, detail: str, *, code: str = "conflict", extensions: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(409, code, detail, extensions=extensions)


class PreconditionFailed(AppError):
    def __init__(self, detail: str, *, code: str = "precondition-failed") -> None:
        super().__init__(412, code, detail)


def problem_body(
    *,
    status: int,
    code: str,
    detail: str,
    instance: str,
    title: str | None = None,
    request_id: str | None = None,
    errors: Sequence[Mapping[str, Any]] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_PREFIX + code,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": instance,
        "code": code,
    }
    if request_id:
        body["request_id"] = request_id
    if errors is not None:
        body["errors"] = list(errors)
    if extensions:
        body.update({k: v for k, v in extensions.items() if k not in body})
    return body


def problem_response(
    status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        content=json.dumps(body, default=str, separators=(",", ":")),
        status_code=status,
        media_type=PROBLEM_CONTENT_TYPE,
        headers=dict(headers or {}),
    )


def _request_id(request: Request) -> str | None:
    value = getattr(request.state, "request_id", None)
    return value if isinstance(value, str) else None


def _instance(request: Request) -> str:
    return request.url.path


def render_app_error(request: Request, exc: AppError) -> Response:
    """The response for a domain error, for endpoints that must *return* a refusal (so the
    transaction still commits what it recorded, e.g. an audit entry or a revocation)."""
    body = problem_body(
        status=exc.status,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        instance=_instance(request),
        request_id=_request_id(request),
        extensions=exc.extensions,
    )
    return problem_response(exc.status, body, exc.headers)


async def _app_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    return render_app_error(request, exc)


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for error in exc.errors():
        loc = [str(part) for part in error.get("loc", ())]
        errors.append(
            {
                "location": loc[0] if loc else "body",
                "field": ".".join(loc[1:]),
                "loc": loc,
                "message": error.get("msg", "invalid"),
                "type": error.get("type", "value_error"),
            }
        )
    return errors


def summarize_problems(problems: Sequence[tuple[str, str]], *, limit: int = 5) -> str:
    """``"field: message; field: message (and 3 more)"`` for a problem's detail; the
    caller ends the sentence, so messages lose their own final period."""
    parts = [f"{where}: {message.rstrip('.')}" for where, message in problems[:limit]]
    more = f" (and {len(problems) - limit} more)" if len(problems) > limit else ""
    return "; ".join(parts) + more


def _summarize(errors: Sequence[Mapping[str, Any]]) -> str:
    return summarize_problems(
        [(error["field"] or error["location"], str(error["message"])) for error in errors]
    )


async def _validation_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    raw = exc.errors()
    malformed = next((e for e in raw if e.get("type") == "json_invalid"), None)
    if malformed is not None:
        reason = (malformed.get("ctx") or {}).get("error", "invalid JSON")
        position = malformed.get("loc", ("body", "?"))[-1]
        body = problem_body(
            status=400,
            code="malformed-json",
            detail=f"The request body is not valid JSON: {reason} at position {position}.",
            instance=_instance(request),
            request_id=_request_id(request),
        )
        return problem_response(400, body)
    errors = _field_errors(exc)
    body = problem_body(
        status=422,
        code="validation-failed",
        detail=f"The request is invalid: {_summarize(errors)}.",
        instance=_instance(request),
        request_id=_request_id(request),
        errors=errors,
    )
    return problem_response(422, body)


_HTTP_CODES = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    413: "payload-too-large",
    415: "unsupported-media-type",
}


_METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app answers at the request's path.

    The router raises 405 from the first route whose path matches, with that route's
    methods only (``PUT /products`` said ``Allow: GET`` though POST exists), so the answer
    is collected over all routes. Only 405s pay for the walk."""
    path = request.scope["path"]
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        pattern = getattr(route, "path_regex", None)
        if route.methods and pattern is not None and pattern.match(path):
            methods |= route.methods
    return sorted(methods, key=lambda m: (_METHOD_ORDER.index(m) if m in _METHOD_ORDER else 99, m))


async def _http_exception_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    headers = dict(exc.headers or {})
    if status == 404 and exc.detail == HTTPStatus.NOT_FOUND.phrase:
        detail = f"No resource at {request.method} {request.url.path}."
    elif status == 405:
        first_match = headers.pop("Allow", None) or headers.pop("allow", None) or ""
        allowed = ", ".join(allowed_methods(request)) or first_match
        headers["Allow"] = allowed
        detail = f"{request.method} is not allowed on {request.url.path}" + (
            f"; allowed: {allowed}." if allowed else "."
        )
    else:
        detail = str(exc.detail)
    body = problem_body(
        status=status,
        code=_HTTP_CODES.get(status, f"http-{status}"),
        detail=detail,
        instance=_instance(request),
        request_id=_request_id(request),
    )
    return problem_response(status, body, headers)


def internal_error_body(*, instance: str, request_id: str | None) -> dict[str, Any]:
    """The body of an unexpected failure: what to quote to an operator, never internals."""
    return problem_body(
        status=500,
        code="internal-error",
        detail=(
            "An unexpected error occurred and the request's transaction was rolled back. "
            f"Quote request id {request_id} when reporting it."
        ),
        instance=instance,
        request_id=request_id,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, _http_exception_handler)


def app_error_response(exc: AppError, *, instance: str, request_id: str | None) -> Response:
    """The problem response of ``exc`` outside FastAPI's handlers (the edge middleware)."""
    body = problem_body(
        status=exc.status,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        instance=instance,
        request_id=request_id,
        extensions=exc.extensions,
    )
    return problem_response(exc.status, body, exc.headers)


class DatabaseLimit(AppError):
    """The database refused to go on with a request: it ran into one of the limits set for
    every transaction (docs/operations.md). Temporary from the client's point of view."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(503, code, detail, headers={"Retry-After": "5"})


def _sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a database error, whether asyncpg's own or SQLAlchemy's wrapper."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        state = getattr(current, "sqlstate", None)
        if isinstance(state, str):
            return state
        current = getattr(current, "orig", None) or current.__cause__
    return None


def known_failure(exc: BaseException) -> AppError | None:
    """What a client should be told about a database error that is not a bug: a statement
    cancelled by ``statement_timeout`` (503), a query over ``temp_file_limit`` (503), or
    text/datetime values PostgreSQL cannot hold that slipped past the edge checks (422).
    None for anything else (a 500 with its traceback logged)."""
    state = _sqlstate(exc)
    if state == "57014":  # query_canceled: the statement timeout (or a cancel request)
        return DatabaseLimit(
            "statement-timeout",
            "The database stopped this request: it ran longer than the statement timeout. "
            "Narrow it (a shorter range, fewer rows) or try again later.",
        )
    if state == "53400":  # configuration_limit_exceeded: temp_file_limit
        return DatabaseLimit(
            "query-too-large",
            "The database stopped this request: it needed more temporary disk space than "
            "one query may use. Narrow it (a shorter range, fewer rows).",
        )
    if state in {"22021", "22P05"}:  # character_not_in_repertoire, untranslatable_character
        return AppError(422, "invalid-text", "The request holds text the database cannot store.")
    if state in {"22008", "22007"}:  # datetime_field_overflow, invalid_datetime_format
        return AppError(422, "invalid-datetime", "The request holds a date outside the range.")
    return None
