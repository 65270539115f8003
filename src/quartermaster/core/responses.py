"""The error answers each operation documents, all problem+json (``core.errors``).

One mechanism for every route, so the OpenAPI document says what the API really answers
(the schemathesis test holds it to that):
- routers name the domain refusals a route adds with :func:`problems` (``NOT_FOUND``,
  ``CONFLICT``, ``STALE``…);
- dependencies that can refuse carry their statuses with :func:`can_refuse` (the session:
  503 statement timeout; pagination: 400 invalid cursor; authentication: 401 and 403), and
  every route that depends on them, however deeply, documents them;
- the shape of a route adds the rest: 422 everywhere (the edge checks every path and
  query), 400 and 413 with a JSON or form body (malformed, too large), 404 with path
  parameters (another tenant's id, or none);
- :func:`document_problems` writes them into the generated document with the ``Problem``
  schema and the ``application/problem+json`` media type.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from http import HTTPStatus
from typing import Any, TypeVar

from fastapi import routing as fastapi_routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from quartermaster.core.errors import PROBLEM_CONTENT_TYPE

Responses = dict[int | str, dict[str, Any]]

F = TypeVar("F", bound=Callable[..., Any])
_STATUSES = "problem_statuses"


def problems(*statuses: int, **descriptions: str) -> Responses:
    """``responses=`` entries for the given error statuses; ``descriptions`` by name
    (``conflict="…"``) or the status phrase by default."""
    named = {status: descriptions.get(HTTPStatus(status).name.lower()) for status in statuses}
    return {
        status: {"description": text or HTTPStatus(status).phrase} for status, text in named.items()
    }


NOT_FOUND: Responses = problems(404, not_found="No such resource in this organization")
CONFLICT: Responses = problems(409, conflict="Conflicts with existing data")
STALE: Responses = problems(412, precondition_failed="If-Match does not match the current ETag")


def can_refuse(*statuses: int) -> Callable[[F], F]:
    """Mark a dependency with the error statuses it may answer, for every route using it."""

    def mark(function: F) -> F:
        setattr(function, _STATUSES, (*getattr(function, _STATUSES, ()), *statuses))
        return function

    return mark


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    stack = [dependant]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.dependencies)


DEFAULT_DESCRIPTIONS = {
    400: "Malformed request (JSON that does not parse, a cursor this list did not issue)",
    401: "Missing, invalid or expired credentials",
    403: "The credentials lack the permission this needs",
    404: "No such resource in this organization",
    413: "The body is larger than the server accepts",
    429: "Too many requests from this address; try again after Retry-After seconds",
    422: "Invalid input, named field by field (including text no database can hold)",
    503: "The database stopped the request at one of its limits (statement timeout); retry",
}


def route_problem_statuses(route: Any) -> set[int]:
    """Every error status ``route`` can answer (see the module's docstring)."""
    statuses = {422}
    if route.body_field is not None:
        statuses |= {400, 413}
    if route.dependant.path_params:
        statuses.add(404)
    for dependant in _dependants(route.dependant):
        statuses.update(getattr(dependant.call, _STATUSES, ()))
    for status in route.responses:
        if str(status).isdigit() and int(status) >= 400:
            statuses.add(int(status))
    return statuses


PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details",
    "type": "object",
    "required": ["type", "title", "status", "detail", "instance", "code"],
    "properties": {
        "type": {"type": "string", "description": "urn:quartermaster:problem:<code>"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "code": {"type": "string", "description": "Stable machine-readable reason"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "location": {"type": "string"},
                    "field": {"type": "string"},
                    "loc": {"type": "array", "items": {}},
                    "message": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
    "additionalProperties": True,
}


def _api_routes(routes: Iterable[BaseRoute]) -> Iterator[Any]:
    """Every API route with its effective path and dependencies: FastAPI 0.137+ keeps
    included routers as such (``iter_route_contexts`` resolves them); earlier versions
    copy their routes into the app's list."""
    contexts = getattr(fastapi_routing, "iter_route_contexts", None)
    if contexts is None:
        yield from (route for route in routes if isinstance(route, APIRoute))
        return
    for context in contexts(list(routes)):
        if isinstance(context.original_route, APIRoute):
            yield context


def document_problems(document: dict[str, Any], routes: Iterable[BaseRoute]) -> dict[str, Any]:
    """Give every operation of ``document`` its problem+json error responses."""
    reference = {"$ref": "#/components/schemas/Problem"}
    for route in _api_routes(routes):
        if not route.include_in_schema:
            continue
        operations = document.get("paths", {}).get(route.path_format, {})
        for method in route.methods or ():
            operation = operations.get(method.lower())
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for status in sorted(route_problem_statuses(route)):
                declared = responses.get(str(status), {})
                description = declared.get("description")
                if not description or description in ("Validation Error", "Successful Response"):
                    description = DEFAULT_DESCRIPTIONS.get(status, HTTPStatus(status).phrase)
                responses[str(status)] = {
                    "description": description,
                    "content": {PROBLEM_CONTENT_TYPE: {"schema": reference}},
                }
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return document
