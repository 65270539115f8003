"""Every query of the catalog module. Row-level security scopes all of them; the explicit
tenant filters are there for the planner and for clarity, not as the safety net."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    SQLColumnExpression,
    Text,
    and_,
    cast,
    delete,
    func,
    literal,
    not_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from quartermaster.catalog.models import Category, Price, PriceList, Product, Unit
from quartermaster.catalog.repository.common import (
    PATH_SEPARATOR,
    add,
    escape_like,
    is_foreign_key_violation,
    lock_for_tenant,
    violated_constraint,
)
from quartermaster.catalog.repository.imports import (
    barcode_owners,
    category_nodes,
    insert_category_unless_taken,
    products_by_sku_keys,
    unit_decimals,
    upsert_products,
)
from quartermaster.catalog.repository.search import (
    SEARCH_PROBED_GRAMS,
    SEARCH_RARE_POSTINGS,
    Search,
    plan_search,
    search_conditions,
    search_grams,
)
from quartermaster.core.db import driver_connection
from quartermaster.core.ids import new_id
from quartermaster.core.pagination import keyset

# Units


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


# Categories


@dataclass(frozen=True)
class CategoryWithPath:
    category: Category
    path: str
    depth: int


async def category_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, category_id: uuid.UUID, *, for_update: bool = False
) -> Category | None:
    query = select(Category).where(Category.tenant_id == tenant_id, Category.id == category_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


def _category_tree(tenant_id: uuid.UUID) -> Any:
    """A recursive CTE of the tenant's categories: (id, path, depth)."""
    child = aliased(Category)
    roots = (
        select(
            Category.id,
            cast(Category.name, Text).label("path"),
            literal(0).label("depth"),
        )
        .where(Category.tenant_id == tenant_id, Category.parent_id.is_(None))
        .cte("tree", recursive=True)
    )
    return roots.union_all(
        select(
            child.id,
            (roots.c.path + PATH_SEPARATOR + child.name).label("path"),
            (roots.c.depth + 1).label("depth"),
        ).where(child.tenant_id == tenant_id, child.parent_id == roots.c.id)
    )


async def category_paths(session: AsyncSession, tenant_id: uuid.UUID) -> dict[uuid.UUID, str]:
    """Every category's path ("Tools / Drills"); a tenant has thousands at most."""
    tree = _category_tree(tenant_id)
    rows = await session.execute(select(tree.c.id, tree.c.path))
    return {row.id: row.path for row in rows}


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


async def categories_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    limit: int,
    after: Sequence[Any] | None,
) -> list[CategoryWithPath]:
    """Categories in path order ("Tools" < "Tools / Drills"), each with its path: the key
    is ``(path, id)``."""
    tree = _category_tree(tenant_id)
    query = keyset(
        select(Category, tree.c.path, tree.c.depth).join(tree, tree.c.id == Category.id),
        [tree.c.path, Category.id],
        after,
        limit=limit,
    )
    rows = await session.execute(query)
    return [CategoryWithPath(category, path, depth) for category, path, depth in rows]


async def ancestors(
    session: AsyncSession, tenant_id: uuid.UUID, category_id: uuid.UUID
) -> list[tuple[uuid.UUID, str]]:
    """(id, name) from the category itself up to its root."""
    parent = aliased(Category)
    chain = (
        select(Category.id, Category.parent_id, Category.name, literal(0).label("level"))
        .where(Category.tenant_id == tenant_id, Category.id == category_id)
        .cte("chain", recursive=True)
    )
    chain = chain.union_all(
        select(parent.id, parent.parent_id, parent.name, (chain.c.level + 1).label("level"))
        # The level bound stops the walk should a cycle ever exist.
        .where(parent.tenant_id == tenant_id, parent.id == chain.c.parent_id, chain.c.level < 1000)
    )
    rows = await session.execute(select(chain.c.id, chain.c.name).order_by(chain.c.level))
    return [(row_id, name) for row_id, name in rows]


async def descendant_ids(
    session: AsyncSession, tenant_id: uuid.UUID, category_id: uuid.UUID
) -> list[uuid.UUID]:
    """The category and every category below it."""
    child = aliased(Category)
    tree = (
        select(Category.id, literal(0).label("level"))
        .where(Category.tenant_id == tenant_id, Category.id == category_id)
        .cte("subtree", recursive=True)
    )
    tree = tree.union_all(
        select(child.id, (tree.c.level + 1).label("level")).where(
            child.tenant_id == tenant_id, child.parent_id == tree.c.id, tree.c.level < 1000
        )
    )
    return list((await session.execute(select(tree.c.id))).scalars())


async def count_children(
    session: AsyncSession, tenant_id: uuid.UUID, category_id: uuid.UUID
) -> int:
    query = select(func.count()).where(
        Category.tenant_id == tenant_id, Category.parent_id == category_id
    )
    return int((await session.execute(query)).scalar_one())


async def count_products_in(
    session: AsyncSession, tenant_id: uuid.UUID, category_id: uuid.UUID
) -> int:
    query = select(func.count()).where(
        Product.tenant_id == tenant_id, Product.category_id == category_id
    )
    return int((await session.execute(query)).scalar_one())


async def delete_category(
    session: AsyncSession, tenant_id: uuid.UUID, category_id: uuid.UUID
) -> None:
    await session.execute(
        delete(Category).where(Category.tenant_id == tenant_id, Category.id == category_id)
    )


# Products


AvailableTotal = Callable[[uuid.UUID, SQLColumnExpression[uuid.UUID]], ColumnElement[Decimal]]


@dataclass(frozen=True)
class BelowReorder:
    """``below_reorder`` filter: a reorder point is set (> 0) and the available total,
    given by the inventory module's expression, is at or below it (or, when ``wanted`` is
    false, the opposite)."""

    wanted: bool
    available_total: AvailableTotal


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
        available = where.below_reorder.available_total(tenant_id, Product.id)
        below = and_(Product.reorder_point > 0, available <= Product.reorder_point)
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


# Price lists and prices


async def price_list_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, price_list_id: uuid.UUID
) -> PriceList | None:
    return (
        await session.execute(
            select(PriceList).where(PriceList.tenant_id == tenant_id, PriceList.id == price_list_id)
        )
    ).scalar_one_or_none()


async def price_lists_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    limit: int,
    after: Sequence[Any] | None,
) -> list[PriceList]:
    """By name (case-insensitive): the key is ``(lower(name), id)``."""
    query = keyset(
        select(PriceList).where(PriceList.tenant_id == tenant_id),
        [func.lower(PriceList.name), PriceList.id],
        after,
        limit=limit,
    )
    return list((await session.execute(query)).scalars())


async def has_default_price_list(session: AsyncSession, tenant_id: uuid.UUID) -> bool:
    found = await session.execute(
        select(PriceList.id).where(PriceList.tenant_id == tenant_id, PriceList.is_default)
    )
    return found.first() is not None


async def unset_default_price_lists(
    session: AsyncSession, tenant_id: uuid.UUID, at: datetime
) -> None:
    await session.execute(
        update(PriceList)
        .where(PriceList.tenant_id == tenant_id, PriceList.is_default)
        .values(is_default=False, updated_at=at)
        .execution_options(synchronize_session="fetch")
    )


async def price_history(
    session: AsyncSession, tenant_id: uuid.UUID, product_id: uuid.UUID
) -> list[tuple[Price, PriceList]]:
    """Every price of the product, newest effective_from first."""
    rows = await session.execute(
        select(Price, PriceList)
        .join(
            PriceList,
            (PriceList.tenant_id == Price.tenant_id) & (PriceList.id == Price.price_list_id),
        )
        .where(Price.tenant_id == tenant_id, Price.product_id == product_id)
        .order_by(Price.effective_from.desc(), Price.id.desc())
    )
    return [(price, price_list) for price, price_list in rows]


async def current_prices(
    session: AsyncSession, tenant_id: uuid.UUID, product_id: uuid.UUID, now: datetime
) -> list[tuple[Price, PriceList]]:
    """Per price list, the latest price already in effect at ``now``."""
    latest = (
        select(Price)
        .where(
            Price.tenant_id == tenant_id,
            Price.product_id == product_id,
            Price.effective_from <= now,
        )
        .ext(distinct_on(Price.price_list_id))
        .order_by(Price.price_list_id, Price.effective_from.desc(), Price.id.desc())
        .subquery()
    )
    price = aliased(Price, latest)
    rows = await session.execute(
        select(price, PriceList)
        .join(
            PriceList,
            (PriceList.tenant_id == price.tenant_id) & (PriceList.id == price.price_list_id),
        )
        .order_by(func.lower(PriceList.name), PriceList.id)
    )
    return [(p, price_list) for p, price_list in rows]


# For inventory's valuation reports (via public.py)


async def categories_with_paths(
    session: AsyncSession, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[tuple[uuid.UUID, str, str]]:
    """(id, name, path) of the tenant's categories among ``ids``."""
    if not ids:
        return []
    tree = _category_tree(tenant_id)
    rows = await session.execute(
        select(tree.c.id, Category.name, tree.c.path)
        .join(Category, (Category.tenant_id == tenant_id) & (Category.id == tree.c.id))
        .where(tree.c.id.in_(list(ids)))
    )
    return [(row.id, row.name, row.path) for row in rows]


async def default_price_list_currency(session: AsyncSession, tenant_id: uuid.UUID) -> str | None:
    return await session.scalar(
        select(PriceList.currency).where(PriceList.tenant_id == tenant_id, PriceList.is_default)
    )


__all__ = [
    "PATH_SEPARATOR",
    "SEARCH_PROBED_GRAMS",
    "SEARCH_RARE_POSTINGS",
    "AvailableTotal",
    "BelowReorder",
    "CategoryWithPath",
    "ProductFilter",
    "Search",
    "add",
    "ancestors",
    "barcode_owners",
    "categories_page",
    "categories_with_paths",
    "category_by_id",
    "category_nodes",
    "category_paths",
    "count_children",
    "count_products_in",
    "current_prices",
    "default_price_list_currency",
    "delete_category",
    "delete_product",
    "descendant_ids",
    "ensure_units",
    "escape_like",
    "has_default_price_list",
    "has_reorder_points",
    "has_units",
    "insert_category_unless_taken",
    "is_foreign_key_violation",
    "lock_for_tenant",
    "plan_search",
    "price_history",
    "price_list_by_id",
    "price_lists_page",
    "product_by_id",
    "products_by_ids",
    "products_by_sku_keys",
    "products_page",
    "products_with_reorder_points",
    "search_conditions",
    "search_grams",
    "sort_value",
    "stream_products",
    "unit_by_code",
    "unit_decimals",
    "units_page",
    "unset_default_price_lists",
    "upsert_products",
    "violated_constraint",
]
