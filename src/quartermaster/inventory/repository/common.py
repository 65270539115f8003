"""Helpers shared by the inventory repository modules."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

LevelKey = tuple[uuid.UUID, uuid.UUID]  # (product_id, location_id)


def add(session: AsyncSession, *rows: Any) -> None:
    session.add_all(rows)


def violated_constraint(exc: IntegrityError) -> str | None:
    """The name of the constraint an INSERT/UPDATE/DELETE violated (asyncpg reports it)."""
    cause = getattr(exc.orig, "__cause__", None)
    name = getattr(cause, "constraint_name", None) or getattr(exc.orig, "constraint_name", None)
    return name if isinstance(name, str) else None
