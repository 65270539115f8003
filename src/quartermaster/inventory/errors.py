"""Inventory's domain errors (rendered as problem+json by core.errors).

As in catalog: a body that refers to something this tenant does not have (a product, a
location, a warehouse) is a 422 naming the field; an unknown id in the *path* is a 404.
Another tenant's id is indistinguishable from one that never existed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from quartermaster.core.errors import AppError, Conflict, NotFound, summarize_problems


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with one field of a request body (``field`` as in validation errors:
    ``quantity`` or ``lines.2.quantity``)."""

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


class InvalidReference(AppError):
    """A 422 naming one body field that refers to something this tenant does not have."""

    def __init__(self, field: str, detail: str, *, code: str) -> None:
        problem = FieldProblem(field, detail, code.replace("-", "_"))
        super().__init__(422, code, detail, extensions={"errors": [problem.as_error()]})


class UnknownWarehouse(InvalidReference):
    def __init__(self, field: str = "warehouse_id") -> None:
        super().__init__(
            field, "No warehouse with this id in this organization.", code="unknown-warehouse"
        )


class InvalidMovement(AppError):
    """Lines of a stock movement request that cannot be recorded as written (422); every
    problem found is listed, each naming its line and field."""

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        summary = summarize_problems([(p.field, p.message) for p in problems])
        super().__init__(
            422,
            "invalid-movement",
            f"The movement cannot be recorded: {summary}.",
            extensions={"errors": [p.as_error() for p in problems]},
        )


class InsufficientStock(Conflict):
    """Taking out more than is available (on hand - reserved) at a location that does not
    allow negative stock. Quantities are strings of Decimals."""

    def __init__(
        self,
        *,
        product_id: uuid.UUID,
        sku: str,
        location_id: uuid.UUID,
        location_code: str,
        requested: Decimal,
        available: Decimal,
    ) -> None:
        super().__init__(
            f"Only {available} of '{sku}' is available at location '{location_code}'; "
            f"this request takes out {requested}. Nothing was recorded.",
            code="insufficient-stock",
            extensions={
                "product_id": str(product_id),
                "sku": sku,
                "location_id": str(location_id),
                "location_code": location_code,
                "requested": str(requested),
                "available": str(available),
            },
        )


class ProductArchived(Conflict):
    def __init__(self, field: str, sku: str) -> None:
        super().__init__(
            f"{field}: product '{sku}' is archived and cannot receive stock; reactivate it "
            '(PATCH {"is_active": true}) first. Stock it still has may be issued, transferred '
            "or adjusted down.",
            code="product-archived",
            extensions={"field": field, "sku": sku},
        )


class WarehouseInactive(Conflict):
    def __init__(self, field: str, code: str) -> None:
        super().__init__(
            f"{field}: warehouse '{code}' is inactive and cannot receive stock; reactivate "
            "it first. Stock it still has may be issued, transferred out or adjusted down.",
            code="warehouse-inactive",
            extensions={"field": field, "warehouse_code": code},
        )


class IdempotencyKeyReused(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was already used for a different request (another body, "
            "method or path); use a new key for a new request.",
            code="idempotency-key-reused",
        )


class WarehouseNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__(
            "No warehouse with this id in this organization.", code="warehouse-not-found"
        )


class LocationNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__(
            "No location with this id in this organization.", code="location-not-found"
        )


class ProductNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No product with this id in this organization.", code="product-not-found")


class WarehouseCodeTaken(Conflict):
    def __init__(self, code: str) -> None:
        super().__init__(
            f"A warehouse with code '{code}' already exists (codes are compared "
            "case-insensitively).",
            code="warehouse-code-taken",
        )


class LocationCodeTaken(Conflict):
    def __init__(self, code: str) -> None:
        super().__init__(
            f"The warehouse already has a location with code '{code}' (codes are compared "
            "case-insensitively).",
            code="location-code-taken",
        )


class ReservationNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__(
            "No reservation with this id in this organization.", code="reservation-not-found"
        )


class ReservationNotActive(Conflict):
    def __init__(self, status: str) -> None:
        super().__init__(
            f"The reservation is {status}; only an active reservation can be fulfilled or "
            "released.",
            code="reservation-not-active",
            extensions={"reservation_status": status},
        )


class AlertNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__(
            "No stock alert with this id in this organization.", code="alert-not-found"
        )


class AlertNotOpen(Conflict):
    def __init__(self, status: str) -> None:
        super().__init__(
            f"The alert is {status}; only an open alert can be acknowledged.",
            code="alert-not-open",
            extensions={"alert_status": status},
        )


# Reports


class InvalidReportQuery(AppError):
    """Report parameters that are each well-formed but do not make a report (422), naming
    the query parameter as validation errors do."""

    def __init__(self, field: str, message: str, kind: str) -> None:
        error = {
            "location": "query",
            "field": field,
            "loc": ["query", field],
            "message": message,
            "type": kind,
        }
        super().__init__(
            422,
            "invalid-report-query",
            f"The report cannot be made: {summarize_problems([(field, message)])}.",
            extensions={"errors": [error]},
        )
