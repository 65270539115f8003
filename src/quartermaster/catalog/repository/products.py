"""Queries on products: pages and filters, reads by id or code (the ledger writer's
hot path in plain SQL), the export stream."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    any_,
    delete,
    func,
    literal,
    not_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.catalog.models import Product
from quartermaster.catalog.repository.search import (
    Search,
    plan_search,
    search_conditions,
)
from quartermaster.core.db import driver_connection
from quartermaster.core.pagination import keyset

AvailableTotal = Callable[
    [AsyncSession, uuid.UUID, Sequence[uuid.UUID]], Awaitable[dict[uuid.UUID, Decimal]]
]


@dataclass(frozen=True)
class BelowReorder:
    """``below_reorder`` filter: the products whose reorder point is set (> 0) and whose
    available total (the inventory module's answer) is at or below it are ``product_ids``;
    ``wanted`` keeps those, otherwise all the others."""

    wanted: bool
    product_ids: Sequence[uuid.UUID]


@dataclass(frozen=True)
class ProductFilter:
    q: str | None = None
    category_ids: list[uuid.UUID] | None = None
    is_active: bool | None = None
    below_reorder: BelowReorder | None = None


SORT_COLUMNS: dict[str, Any] = {
    "sku": func.lower(Product.sku),
    "name": func.lower(Product.name),
    "updated_at": Product.updated_at,
}


async def product_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, product_id: uuid.UUID, *, for_update: bool = False
) -> Product | None:
    query = select(Product).where(Product.tenant_id == tenant_id, Product.id == product_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


_PRODUCT_READ = (
    "SELECT id, sku, name, description, category_id, unit_code, barcode, barcode_type,"
    " attributes, reorder_point, reorder_quantity, is_active, version, created_at, updated_at"
    " FROM products WHERE tenant_id = $1 AND id = $2"
)


async def product_read_row(
    session: AsyncSession, tenant_id: uuid.UUID, product_id: uuid.UUID
) -> dict[str, Any] | None:
    """One product's columns as ``GET /products/{id}`` shows them, in plain SQL: the most
    frequent read (scanners, product pages), where the ORM's statement building and
    hydration cost more than the query."""
    connection = await driver_connection(session)
    row = await connection.fetchrow(_PRODUCT_READ, tenant_id, product_id)
    if row is None:
        return None
    values = dict(row)
    attributes = values["attributes"]
    # JSON arrives as text on connections set up by SQLAlchemy's asyncpg dialect.
    values["attributes"] = json.loads(attributes) if isinstance(attributes, str) else attributes
    return values


def _product_conditions(
    tenant_id: uuid.UUID, where: ProductFilter, search: Search | None = None
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Product.tenant_id == tenant_id]
    if search is not None:
        conditions.extend(search_conditions(search))
    if where.category_ids is not None:
        conditions.append(Product.category_id.in_(where.category_ids))
    if where.is_active is not None:
        conditions.append(Product.is_active.is_(where.is_active))
    if where.below_reorder is not None:
        ids = literal(list(where.below_reorder.product_ids), type_=ARRAY(PG_UUID))
        below = Product.id == any_(ids)
        conditions.append(below if where.below_reorder.wanted else not_(below))
    return conditions


async def products_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    where: ProductFilter,
    *,
    sort: str,
    descending: bool,
    limit: int,
    after: Sequence[Any] | None,
) -> list[Product]:
    """A keyset page: the key is ``(sort key, id)``."""
    search = await plan_search(session, tenant_id, where.q) if where.q else None
    if search is not None and search.candidates == ():
        return []
    query = keyset(
        select(Product).where(*_product_conditions(tenant_id, where, search)),
        [SORT_COLUMNS[sort], Product.id],
        after,
        limit=limit,
        descending=descending,
    )
    return list((await session.execute(query)).scalars())


def sort_value(product: Product, sort: str) -> Any:
    """The value of the sort key (as ordered by the database) of one product."""
    if sort == "sku":
        return product.sku.lower()
    if sort == "name":
        return product.name.lower()
    return product.updated_at


# Plain SQL on the driver connection: this runs once per stock movement (the ledger
# writer's hot path), where building and caching a SQLAlchemy statement cost more than the
# query. ``= ANY($2)`` keeps one prepared statement for any number of ids.
_PRODUCTS_BY_IDS = (
    "SELECT p.id, p.sku, p.name, p.unit_code, u.decimals, p.reorder_point, p.is_active,"
    " p.category_id"
    " FROM products p JOIN units u ON u.tenant_id = p.tenant_id AND u.code = p.unit_code"
    " WHERE p.tenant_id = $1 AND p.id = ANY($2::uuid[])"
)


async def products_by_ids(
    session: AsyncSession, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[Any]:
    """``(id, sku, name, unit_code, unit decimals, reorder_point, is_active, category_id)``
    of the tenant's products among ``ids``."""
    if not ids:
        return []
    connection = await driver_connection(session)
    return list(await connection.fetch(_PRODUCTS_BY_IDS, tenant_id, list(ids)))


_PRODUCTS_WITH_REORDER_POINTS = (
    "SELECT p.id, p.sku, p.name, p.unit_code, u.decimals, p.reorder_point, p.is_active,"
    " p.category_id"
    " FROM products p JOIN units u ON u.tenant_id = p.tenant_id AND u.code = p.unit_code"
    " WHERE p.tenant_id = $1 AND p.reorder_point > 0"
)


async def products_with_reorder_points(session: AsyncSession, tenant_id: uuid.UUID) -> list[Any]:
    """Rows as :func:`products_by_ids`'s of the tenant's products whose reorder point is
    above 0."""
    connection = await driver_connection(session)
    return list(await connection.fetch(_PRODUCTS_WITH_REORDER_POINTS, tenant_id))


async def has_reorder_points(session: AsyncSession, tenant_id: uuid.UUID) -> bool:
    return bool(
        await session.scalar(
            select(
                select(Product.id)
                .where(Product.tenant_id == tenant_id, Product.reorder_point > 0)
                .exists()
            )
        )
    )


# Products named by code in a stock request (a scanner's barcode, a spreadsheet's SKU): one
# statement per request whatever its number of lines. Exact SKUs and barcodes use their
# indexes under RLS (text = is leakproof); lower(sku) cannot, so the case-insensitive
# match is a separate statement, run only for the SKUs the exact one did not find.
_PRODUCT_REF_COLUMNS = (
    "p.id, p.sku, p.name, p.unit_code, u.decimals, p.reorder_point, p.is_active,"
    " p.category_id, p.barcode"
    " FROM products p JOIN units u ON u.tenant_id = p.tenant_id AND u.code = p.unit_code"
)
_PRODUCTS_BY_CODES = (
    f"SELECT {_PRODUCT_REF_COLUMNS}"
    " WHERE p.tenant_id = $1 AND (p.sku = ANY($2::text[]) OR p.barcode = ANY($3::text[]))"
)
_PRODUCTS_BY_SKU_ANY_CASE = (
    f"SELECT k.sku, {_PRODUCT_REF_COLUMNS}"
    " JOIN unnest($2::text[]) AS k(sku) ON lower(p.sku) = lower(k.sku)"
    " WHERE p.tenant_id = $1"
)


async def products_by_codes(
    session: AsyncSession, tenant_id: uuid.UUID, skus: Sequence[str], barcodes: Sequence[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(SKU as asked → row, barcode → row) of the tenant's products among ``skus`` (exact,
    else case-insensitively) and ``barcodes`` (exact); rows as :func:`products_by_ids`'s
    plus the barcode. Codes not found are absent."""
    connection = await driver_connection(session)
    rows = await connection.fetch(_PRODUCTS_BY_CODES, tenant_id, list(skus), list(barcodes))
    by_sku = {row[1]: row for row in rows if row[1] in skus}
    by_barcode = {row[8]: row for row in rows if row[8] is not None and row[8] in barcodes}
    missing = [sku for sku in dict.fromkeys(skus) if sku not in by_sku]
    if missing:
        for row in await connection.fetch(_PRODUCTS_BY_SKU_ANY_CASE, tenant_id, missing):
            by_sku[row[0]] = row[1:]
    return by_sku, by_barcode


async def delete_product(
    session: AsyncSession, tenant_id: uuid.UUID, product_id: uuid.UUID
) -> None:
    await session.execute(
        delete(Product).where(Product.tenant_id == tenant_id, Product.id == product_id)
    )


async def stream_products(
    session: AsyncSession, tenant_id: uuid.UUID, *, batch: int
) -> AsyncIterator[Sequence[Product]]:
    """All the tenant's products in SKU order, ``batch`` rows at a time from a server-side
    cursor, so memory stays constant however large the catalog."""
    result = await session.stream_scalars(
        select(Product)
        .where(Product.tenant_id == tenant_id)
        .order_by(func.lower(Product.sku), Product.id)
        .execution_options(yield_per=batch)
    )
    async for partition in result.partitions():
        yield partition
