"""Custom field definitions (per tenant) and the validation of ``tickets.custom_fields``.

Types: ``text`` (at most 2,000 characters), ``number`` (a JSON number, not a boolean,
at most 10^15 in size), ``select`` (one of the options), ``date`` (``YYYY-MM-DD`` between
1900 and 2999). A key that is not defined is refused; on creation every ``required``
field must be given. In a PATCH, ``null`` removes a key.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.clock import utcnow
from quartermaster.core.db import violated_constraint
from quartermaster.core.ids import new_id
from quartermaster.core.pagination import Page, PageParams
from quartermaster.identity.public import Principal
from quartermaster.servicedesk import repository
from quartermaster.servicedesk.errors import (
    FieldKeyTaken,
    FieldNotFound,
    FieldProblem,
    InvalidFields,
    invalid,
)
from quartermaster.servicedesk.models import TicketField
from quartermaster.servicedesk.repository import teams as team_rows
from quartermaster.servicedesk.repository.opening import FieldRow
from quartermaster.servicedesk.schemas import (
    FieldType,
    TicketFieldCreate,
    TicketFieldRead,
    clean_text,
)

MAX_TEXT = 2000
MAX_NUMBER = 10**15
MIN_YEAR, MAX_YEAR = 1900, 2999


def field_read(field: TicketField) -> TicketFieldRead:
    return TicketFieldRead.model_validate(field, from_attributes=True)


async def create_field(
    session: AsyncSession, principal: Principal, data: TicketFieldCreate
) -> TicketFieldRead:
    if data.type is FieldType.SELECT and not data.options:
        raise invalid("options", "A select field needs at least one option.", "options_missing")
    if data.type is not FieldType.SELECT and data.options:
        raise invalid("options", "Only select fields have options.", "options_not_allowed")
    field = TicketField(
        id=new_id(),
        tenant_id=principal.tenant_id,
        key=data.key,
        label=data.label,
        type=data.type.value,
        options=list(dict.fromkeys(data.options)),
        required=data.required,
        created_at=utcnow(),
    )
    repository.add(session, field)
    try:
        await session.flush()
    except IntegrityError as exc:
        if violated_constraint(exc) == "uq_ticket_fields_tenant_id_key":
            raise FieldKeyTaken(data.key) from exc
        raise
    return field_read(field)


async def list_fields(
    session: AsyncSession, principal: Principal, page: PageParams
) -> Page[TicketFieldRead]:
    """By key (the field's name), then id."""
    rows, next_cursor = page.next_page(
        await team_rows.ticket_fields_page(
            session, principal.tenant_id, limit=page.fetch, after=page.after(str, uuid.UUID)
        ),
        lambda field: [field.key, field.id],
    )
    return Page[TicketFieldRead](items=[field_read(f) for f in rows], next_cursor=next_cursor)


async def delete_field(session: AsyncSession, principal: Principal, field_id: uuid.UUID) -> None:
    """Delete a definition; tickets keep the values they have under its key."""
    field = await team_rows.ticket_field_by_id(session, principal.tenant_id, field_id)
    if field is None:
        raise FieldNotFound
    await session.delete(field)
    await session.flush()


def _check_value(field: TicketField | FieldRow, value: Any) -> tuple[Any, str | None]:
    """(stored value, problem) for one value of a defined field."""
    if field.type == "text":
        if not isinstance(value, str):
            return None, "must be a string"
        try:
            clean_text(value)
        except ValueError as exc:
            return None, str(exc)
        if len(value) > MAX_TEXT:
            return None, f"must be at most {MAX_TEXT} characters"
        return value, None
    if field.type == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None, "must be a number"
        if (isinstance(value, float) and not math.isfinite(value)) or abs(value) > MAX_NUMBER:
            return None, f"must be a finite number of at most {MAX_NUMBER:.0e} in size"
        return value, None
    if field.type == "select":
        if not isinstance(value, str) or value not in field.options:
            return None, f"must be one of: {', '.join(field.options)}"
        return value, None
    if not isinstance(value, str):
        return None, "must be a date (YYYY-MM-DD)"
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None, "must be a date (YYYY-MM-DD)"
    if not MIN_YEAR <= day.year <= MAX_YEAR or len(value) != 10:
        return None, f"must be a date (YYYY-MM-DD) between {MIN_YEAR} and {MAX_YEAR}"
    return day.isoformat(), None


async def validated_custom_fields(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    current: dict[str, Any],
    changes: dict[str, Any],
    *,
    creating: bool,
    definitions: Sequence[TicketField | FieldRow] | None = None,
) -> dict[str, Any]:
    """``current`` with ``changes`` merged in (``null`` removes a key), every changed
    value checked against the tenant's definitions (read unless given); 422 listing
    every problem."""
    if not changes and not creating:
        return current
    if definitions is None:
        definitions = await team_rows.ticket_fields(session, tenant_id)
    by_key = {f.key: f for f in definitions}
    merged = dict(current)
    problems: list[FieldProblem] = []
    for key, value in changes.items():
        where = f"custom_fields.{key}"
        field = by_key.get(key)
        if field is None:
            problems.append(FieldProblem(where, "No custom field with this key.", "unknown_field"))
            continue
        if value is None:
            merged.pop(key, None)
            continue
        stored, problem = _check_value(field, value)
        if problem is not None:
            problems.append(FieldProblem(where, problem.capitalize() + ".", "invalid_value"))
        else:
            merged[key] = stored
    if creating:
        problems.extend(
            FieldProblem(f"custom_fields.{key}", "This field is required.", "missing")
            for key, field in by_key.items()
            if field.required and key not in merged
        )
    if problems:
        raise InvalidFields(problems)
    return merged
