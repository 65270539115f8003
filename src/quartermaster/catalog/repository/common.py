"""Helpers every part of the catalog's repository uses."""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy import (
    text,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

PATH_SEPARATOR = " / "


def add(session: AsyncSession, *rows: Any) -> None:
    session.add_all(rows)


def violated_constraint(exc: IntegrityError) -> str | None:
    """The name of the constraint an INSERT/UPDATE/DELETE violated (asyncpg reports it)."""
    cause = getattr(exc.orig, "__cause__", None)
    name = getattr(cause, "constraint_name", None) or getattr(exc.orig, "constraint_name", None)
    return name if isinstance(name, str) else None


def is_foreign_key_violation(exc: IntegrityError) -> bool:
    return getattr(exc.orig, "sqlstate", None) == "23503" or "ForeignKeyViolation" in repr(exc.orig)


def escape_like(value: str) -> str:
    """``value`` as a literal inside a LIKE pattern (escape character: backslash)."""
    return re.sub(r"([\\%_])", r"\\\1", value)


async def lock_for_tenant(session: AsyncSession, tenant_id: uuid.UUID, purpose: str) -> None:
    """A transaction-scoped advisory lock, so invariants spanning several rows of a tenant
    (one default price list, an acyclic category tree) are checked and written serially."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"catalog:{purpose}:{tenant_id}"},
    )
