"""Queries on units of measure."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    select,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.catalog.models import Unit
from quartermaster.core.ids import new_id
from quartermaster.core.pagination import keyset


async def ensure_units(
    session: AsyncSession, tenant_id: uuid.UUID, units: Sequence[tuple[str, str, int]]
) -> None:
    """Insert the units that do not exist yet; idempotent and safe under concurrency."""
    rows = [
        {"id": new_id(), "tenant_id": tenant_id, "code": code, "name": name, "decimals": decimals}
        for code, name, decimals in units
    ]
    await session.execute(
        insert(Unit).values(rows).on_conflict_do_nothing(index_elements=["tenant_id", "code"])
    )


async def has_units(session: AsyncSession, tenant_id: uuid.UUID) -> bool:
    found = await session.execute(select(Unit.id).where(Unit.tenant_id == tenant_id).limit(1))
    return found.first() is not None


async def unit_by_code(session: AsyncSession, tenant_id: uuid.UUID, code: str) -> Unit | None:
    return (
        await session.execute(select(Unit).where(Unit.tenant_id == tenant_id, Unit.code == code))
    ).scalar_one_or_none()


async def units_page(
    session: AsyncSession, tenant_id: uuid.UUID, *, limit: int, after: Sequence[Any] | None
) -> list[Unit]:
    """By code: the key is ``(code,)``."""
    query = keyset(select(Unit).where(Unit.tenant_id == tenant_id), [Unit.code], after, limit=limit)
    return list((await session.execute(query)).scalars())
