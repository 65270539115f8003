"""The service desk's domain errors (rendered as problem+json by core.errors).

As in the other modules: a body that refers to something this tenant does not have (a
team, an agent, a product, a policy) is a 422 naming the field; an unknown id in the
*path* is a 404. Another tenant's id is indistinguishable from one that never existed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from quartermaster.core.errors import AppError, Conflict, NotFound, summarize_problems


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with one body field (``field`` dotted as in validation errors)."""

    field: str
    message: str
    type: str

    def as_error(self) -> dict[str, Any]:
        loc: list[str | int] = ["body"]
        loc.extend(int(part) if part.isdigit() else part for part in self.field.split("."))
        return {
            "location": "body",
            "field": self.field,
            "loc": loc,
            "message": self.message,
            "type": self.type,
        }


class InvalidFields(AppError):
    """A 422 listing every problem found, each naming its field."""

    def __init__(self, problems: Sequence[FieldProblem], *, code: str = "invalid-fields") -> None:
        summary = summarize_problems([(p.field, p.message) for p in problems])
        super().__init__(
            422,
            code,
            f"The request is invalid: {summary}.",
            extensions={"errors": [p.as_error() for p in problems]},
        )


def invalid(field: str, message: str, kind: str, *, code: str = "invalid-fields") -> InvalidFields:
    return InvalidFields([FieldProblem(field, message, kind)], code=code)


class TicketNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No ticket with this id in this organization.", code="ticket-not-found")


class TeamNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No team with this id in this organization.", code="team-not-found")


class AgentNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__(
            "No agent (a member with the tickets:write permission) with this id in this "
            "organization.",
            code="agent-not-found",
        )


class SlaPolicyNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__(
            "No SLA policy with this id in this organization.", code="sla-policy-not-found"
        )


class FieldNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__(
            "No custom field with this id in this organization.", code="ticket-field-not-found"
        )


class ContactNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No contact with this id in this organization.", code="contact-not-found")


class CommentNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No comment with this id on this ticket.", code="comment-not-found")


class AttachmentNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No attachment with this id on this ticket.", code="attachment-not-found")


class LinkNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No link with this id on this ticket.", code="link-not-found")


class SurveyNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__(
            "This rating link is not valid (it may have been mistyped).", code="csat-not-found"
        )


class InvalidTransition(Conflict):
    def __init__(self, current: str, wanted: str, allowed: Sequence[str]) -> None:
        options = ", ".join(allowed) if allowed else "none (the ticket is closed)"
        super().__init__(
            f"A {current} ticket cannot move to {wanted}; allowed from {current}: {options}.",
            code="invalid-transition",
            extensions={"current_status": current, "allowed": list(allowed)},
        )


class TicketClosed(Conflict):
    def __init__(self, what: str) -> None:
        super().__init__(
            f"The ticket is closed; {what} is not possible on a closed ticket.",
            code="ticket-closed",
        )


class NameTaken(Conflict):
    def __init__(self, what: str, name: str) -> None:
        super().__init__(f"A {what} named '{name}' already exists.", code=f"{what}-name-taken")


class FieldKeyTaken(Conflict):
    def __init__(self, key: str) -> None:
        super().__init__(
            f"A custom field with key '{key}' already exists.", code="ticket-field-key-taken"
        )


class MergeRefused(Conflict):
    def __init__(self, detail: str) -> None:
        super().__init__(detail, code="merge-refused")


class LinkExists(Conflict):
    def __init__(self) -> None:
        super().__init__("These tickets are already linked.", code="link-exists")


class SurveyAnswered(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "This rating link has already been used; each link can be answered once.",
            code="csat-already-answered",
        )


class SurveySuperseded(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "This rating link belongs to an earlier resolution of the ticket; use the newest one.",
            code="csat-superseded",
        )


class TooLarge(AppError):
    def __init__(self, what: str, limit: int) -> None:
        super().__init__(
            413, "payload-too-large", f"The {what} is larger than the limit of {limit:,} bytes."
        )


class InvalidEmail(AppError):
    def __init__(self, detail: str) -> None:
        super().__init__(422, "invalid-email", detail)


class ApiKeyRequired(AppError):
    def __init__(self) -> None:
        super().__init__(
            403,
            "api-key-required",
            "Inbound e-mail is accepted from an API key (a mail provider's webhook), not from "
            "a user's login.",
        )


class InvalidQuery(AppError):
    """A 422 naming one query parameter."""

    def __init__(self, field: str, message: str, kind: str, *, code: str = "invalid-query") -> None:
        problem = FieldProblem(field, message, kind)
        super().__init__(
            422,
            code,
            f"{field}: {message}",
            extensions={"errors": [{**problem.as_error(), "location": "query"}]},
        )


class InvalidReportQuery(InvalidQuery):
    def __init__(self, field: str, message: str, kind: str) -> None:
        super().__init__(field, message, kind, code="invalid-report-query")
