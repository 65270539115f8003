"""Queries of the product import (``catalog.service.imports``): set-wise lookups and upserts."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    Text,
    TextClause,
    bindparam,
    func,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.catalog.models import Category, Product, Unit
from quartermaster.core.ids import new_id

# --- Product import (catalog.service.imports) --------------------------------------------


async def category_nodes(
    session: AsyncSession, tenant_id: uuid.UUID
) -> list[tuple[uuid.UUID, uuid.UUID | None, str]]:
    """(id, parent_id, name) of every category of the tenant (thousands at most)."""
    rows = await session.execute(
        select(Category.id, Category.parent_id, Category.name).where(
            Category.tenant_id == tenant_id
        )
    )
    return [(row.id, row.parent_id, row.name) for row in rows]


async def insert_category_unless_taken(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    parent_id: uuid.UUID | None,
    name: str,
    at: datetime,
) -> uuid.UUID:
    """The id of the category ``name`` under ``parent_id``: created now, or the one a
    concurrent writer created first (sibling names are unique case-insensitively)."""
    category_id = new_id()
    try:
        async with session.begin_nested():
            session.add(
                Category(
                    id=category_id,
                    tenant_id=tenant_id,
                    parent_id=parent_id,
                    name=name,
                    created_at=at,
                    updated_at=at,
                )
            )
            await session.flush()
        return category_id
    except IntegrityError:
        parent = (
            Category.parent_id.is_(None) if parent_id is None else (Category.parent_id == parent_id)
        )
        found = await session.scalar(
            select(Category.id).where(
                Category.tenant_id == tenant_id, parent, func.lower(Category.name) == name.lower()
            )
        )
        if found is None:
            raise
        return found


async def products_by_sku_keys(
    session: AsyncSession, tenant_id: uuid.UUID, keys: Sequence[str]
) -> dict[str, Product]:
    """The tenant's products whose lower-cased SKU is among ``keys``, by that key.

    Under row-level security the ``lower(sku)`` index cannot serve this (``lower`` is not
    leakproof, so it may not run before the tenant policy), and ``lower(sku) = ANY($1)``
    compares each of the tenant's products with every key. A hash join on the keys reads
    the tenant's products once at a fraction of that cost; the keys are one array
    parameter, so the statement is prepared once whatever their number."""
    if not keys:
        return {}
    wanted = select(
        func.unnest(bindparam("sku_keys", list(keys), type_=ARRAY(Text))).label("key")
    ).subquery()
    rows = await session.execute(
        select(Product)
        .join(wanted, func.lower(Product.sku) == wanted.c.key)
        .where(Product.tenant_id == tenant_id)
    )
    return {product.sku.lower(): product for product in rows.scalars()}


async def barcode_owners(
    session: AsyncSession, tenant_id: uuid.UUID, barcodes: Sequence[str]
) -> dict[str, str]:
    """barcode → lower-cased SKU of the product holding it, for ``barcodes`` (a hash join
    on one array parameter, as in :func:`products_by_sku_keys`)."""
    if not barcodes:
        return {}
    wanted = select(
        func.unnest(bindparam("barcodes", list(barcodes), type_=ARRAY(Text))).label("code")
    ).subquery()
    rows = await session.execute(
        select(Product.barcode, func.lower(Product.sku))
        .join(wanted, Product.barcode == wanted.c.code)
        .where(Product.tenant_id == tenant_id)
    )
    return {barcode: key for barcode, key in rows if barcode is not None}


async def unit_decimals(session: AsyncSession, tenant_id: uuid.UUID) -> dict[str, int]:
    rows = await session.execute(
        select(Unit.code, Unit.decimals).where(Unit.tenant_id == tenant_id)
    )
    return {row.code: row.decimals for row in rows}


# (column, array type) of what an import sends per row; the statement's text depends only
# on which columns an existing product gets, so it is prepared once per import.
_UPSERT_ROW = (
    ("id", "uuid[]"),
    ("sku", "text[]"),
    ("name", "text[]"),
    ("description", "text[]"),
    ("category_id", "uuid[]"),
    ("unit_code", "text[]"),
    ("barcode", "text[]"),
    ("barcode_type", "text[]"),
    ("attributes", "text[]"),  # JSON text, cast per row
    ("reorder_point", "numeric[]"),
    ("reorder_quantity", "numeric[]"),
    ("is_active", "boolean[]"),
)


@functools.lru_cache(maxsize=64)
def _upsert_statement(update_columns: tuple[str, ...]) -> TextClause:
    columns = ", ".join(name for name, _ in _UPSERT_ROW)
    arrays = ", ".join(f"CAST(:{name} AS {array})" for name, array in _UPSERT_ROW)
    values = ", ".join(
        f"u.{name}::jsonb" if name == "attributes" else f"u.{name}" for name, _ in _UPSERT_ROW
    )
    changes = ", ".join(f"{name} = EXCLUDED.{name}" for name in update_columns)
    return text(
        f"INSERT INTO products ({columns}, tenant_id, version, created_at, updated_at) "  # noqa: S608
        f"SELECT {values}, :tenant_id, 1, :at, :at FROM unnest({arrays}) AS u({columns}) "
        "ON CONFLICT (tenant_id, lower(sku)) DO UPDATE SET "
        f"{changes + ', ' if changes else ''}"
        "version = products.version + 1, updated_at = EXCLUDED.updated_at "
        "RETURNING id, (xmax = 0) AS inserted"
    )


async def upsert_products(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    rows: Sequence[dict[str, Any]],
    update_columns: Sequence[str],
    at: datetime,
) -> list[tuple[uuid.UUID, bool]]:
    """Insert ``rows`` (product attributes) or, for a SKU the tenant already has
    (case-insensitively), set ``update_columns`` from the row and bump the version. One
    statement over arrays (``unnest``), whatever the number of rows. Returns (product id,
    inserted?) per row."""
    if not rows:
        return []
    params: dict[str, Any] = {name: [row[name] for row in rows] for name, _ in _UPSERT_ROW}
    params["attributes"] = [json.dumps(attributes) for attributes in params["attributes"]]
    params.update(tenant_id=tenant_id, at=at)
    upserted = await session.execute(_upsert_statement(tuple(update_columns)), params)
    return [(row.id, bool(row.inserted)) for row in upserted]
