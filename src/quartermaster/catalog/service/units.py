"""Units of measure: the defaults every tenant gets lazily, and custom ones."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.catalog import repository
from quartermaster.catalog.errors import (
    UnitExists,
    UnitNotFound,
    UnknownUnit,
)
from quartermaster.catalog.models import Unit
from quartermaster.catalog.schemas import (
    DEFAULT_UNITS,
    UnitCreate,
    UnitRead,
)
from quartermaster.core.clock import utcnow
from quartermaster.core.ids import new_id
from quartermaster.core.pagination import (
    Page,
    PageParams,
)
from quartermaster.identity.public import Principal

DEFAULT_UNIT_CODES = frozenset(code for code, _, _ in DEFAULT_UNITS)


async def ensure_default_units(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Give a tenant the default units (pcs, box, kg, g, m, l) the first time the catalog
    needs them; idempotent (INSERT … ON CONFLICT DO NOTHING)."""
    if not await repository.has_units(session, tenant_id):
        await repository.ensure_units(session, tenant_id, DEFAULT_UNITS)


async def unit_for(session: AsyncSession, tenant_id: uuid.UUID, code: str) -> Unit:
    unit = await repository.unit_by_code(session, tenant_id, code)
    if unit is None and code in DEFAULT_UNIT_CODES:
        await repository.ensure_units(session, tenant_id, DEFAULT_UNITS)
        unit = await repository.unit_by_code(session, tenant_id, code)
    if unit is None:
        raise UnknownUnit(code)
    return unit


def _unit_read(unit: Unit) -> UnitRead:
    return UnitRead(id=unit.id, code=unit.code, name=unit.name, decimals=unit.decimals)


async def list_units(
    session: AsyncSession, principal: Principal, page: PageParams
) -> Page[UnitRead]:
    await ensure_default_units(session, principal.tenant_id)
    units, next_cursor = page.next_page(
        await repository.units_page(
            session, principal.tenant_id, limit=page.fetch, after=page.after(str)
        ),
        lambda unit: [unit.code],
    )
    return Page[UnitRead](items=[_unit_read(u) for u in units], next_cursor=next_cursor)


async def create_unit(session: AsyncSession, principal: Principal, data: UnitCreate) -> UnitRead:
    await ensure_default_units(session, principal.tenant_id)
    unit = Unit(
        id=new_id(),
        tenant_id=principal.tenant_id,
        code=data.code,
        name=data.name,
        decimals=data.decimals,
        created_at=utcnow(),
    )
    repository.add(session, unit)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise UnitExists(data.code) from exc
    return _unit_read(unit)


async def get_unit(session: AsyncSession, principal: Principal, code: str) -> UnitRead:
    unit = await repository.unit_by_code(session, principal.tenant_id, code.lower())
    if unit is None and code.lower() in DEFAULT_UNIT_CODES:
        unit = await unit_for(session, principal.tenant_id, code.lower())
    if unit is None:
        raise UnitNotFound
    return _unit_read(unit)
