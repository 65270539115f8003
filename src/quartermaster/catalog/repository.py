"""Every query of the catalog module. Row-level security scopes all of them; the explicit
tenant filters are there for the planner and for clarity, not as the safety net."""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    SQLColumnExpression,
    Text,
    TextClause,
    and_,
    any_,
    bindparam,
    cast,
    column,
    delete,
    func,
    literal,
    not_,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from quartermaster.catalog.models import Category, Price, PriceList, Product, Unit
from quartermaster.core.ids import new_id

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
    session: AsyncSession, tenant_id: uuid.UUID, *, limit: int, after_code: str | None
) -> list[Unit]:
    query = select(Unit).where(Unit.tenant_id == tenant_id).order_by(Unit.code).limit(limit)
    if after_code is not None:
        query = query.where(Unit.code > after_code)
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
    after: tuple[str, uuid.UUID] | None,
) -> list[CategoryWithPath]:
    """Categories in path order ("Tools" < "Tools / Drills"), each with its path."""
    tree = _category_tree(tenant_id)
    query = (
        select(Category, tree.c.path, tree.c.depth)
        .join(tree, tree.c.id == Category.id)
        .order_by(tree.c.path, Category.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(tuple_(tree.c.path, Category.id) > tuple_(after[0], after[1]))
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


# Search (q): a case-insensitive substring of the SKU, name or barcode.
#
# The exact LIKE decides what matches. Under forced row-level security it can use no index
# (LIKE is not leakproof), so on its own it reads the tenant's products in the sort order
# until the page is full: quick when many products match, a scan of the tenant when few
# do. The postings in product_search_grams (migration 0008), looked up by text equality
# and ranges (leakproof, so their index is usable), find the few first: every 3-character
# window of a needle of 3+ characters is among a matching product's grams, and a needle
# of 1-2 characters starts one of them. Keys with fewer than SEARCH_RARE_POSTINGS
# postings are rare: the products holding all of them are the candidates (fewer than
# SEARCH_RARE_POSTINGS, passed by id, so no plan can turn the page into a scan). When
# every key is common, many products match and the LIKE alone fills a page soonest.

SEARCH_RARE_POSTINGS = 1000
SEARCH_PROBED_GRAMS = 6
_MAX_CODE_POINT = 0x10FFFF
_SURROGATES = range(0xD800, 0xE000)
_CANDIDATES = column("candidates", ARRAY(PG_UUID(as_uuid=True)))

# Each gram's postings are counted up to the bound; the rare ones are intersected.
_GRAM_CANDIDATES = (
    text(
        """
    WITH hits AS (
        SELECT key.gram, (
            SELECT count(*) FROM (
                SELECT FROM product_search_grams AS s
                WHERE s.tenant_id = :tenant_id AND s.gram = key.gram
                LIMIT :rare
            ) AS postings
        ) AS postings
        FROM unnest(:grams) AS key(gram)
    ), rare AS (
        SELECT array_agg(gram) AS grams FROM hits WHERE postings < :rare
    )
    SELECT CASE WHEN rare.grams IS NOT NULL THEN ARRAY(
        SELECT product_id FROM product_search_grams
        WHERE tenant_id = :tenant_id AND gram = ANY (rare.grams)
        GROUP BY product_id
        HAVING count(*) = cardinality(rare.grams)
    ) END AS candidates
    FROM rare
    """
    )
    .bindparams(bindparam("grams", type_=ARRAY(Text)))
    .columns(_CANDIDATES)
)

_PREFIX_CANDIDATES = text(
    """
    SELECT CASE WHEN count(*) < :rare
        THEN coalesce(array_agg(DISTINCT product_id), '{}') END AS candidates
    FROM (
        SELECT product_id FROM product_search_grams
        WHERE tenant_id = :tenant_id AND gram >= :low AND gram < :high
        LIMIT :rare
    ) AS postings
    """
).columns(_CANDIDATES)


@dataclass(frozen=True)
class Search:
    """How one ``q`` is answered: the exact LIKE on ``needle``, among ``candidates`` (the
    products holding every rare key) or, when None (every key is common), among all."""

    needle: str
    candidates: tuple[uuid.UUID, ...] | None = None


def search_grams(needle: str) -> list[str]:
    """The distinct 3-character windows of ``needle``, in order of first occurrence."""
    return list(dict.fromkeys(needle[i : i + 3] for i in range(len(needle) - 2)))


def _spread(items: list[str], most: int) -> list[str]:
    """At most ``most`` of ``items``, first and last included, evenly spaced."""
    if len(items) <= most:
        return items
    return [items[round(i * (len(items) - 1) / (most - 1))] for i in range(most)]


def _prefix_range(needle: str) -> tuple[str, str] | None:
    """[low, high) holding exactly the strings that start with ``needle`` in code point
    (= "C" collation) order; None when no string is above them all."""
    last = ord(needle[-1]) + 1
    if last in _SURROGATES:
        last = _SURROGATES.stop
    if last > _MAX_CODE_POINT:
        return None
    return needle, needle[:-1] + chr(last)


async def plan_search(session: AsyncSession, tenant_id: uuid.UUID, q: str) -> Search:
    """One query over the postings: the candidates for ``q``, or None to use the LIKE alone."""
    needle = q.lower()
    params: dict[str, Any] = {"tenant_id": tenant_id, "rare": SEARCH_RARE_POSTINGS}
    if len(needle) >= 3:
        query = _GRAM_CANDIDATES
        params["grams"] = _spread(search_grams(needle), SEARCH_PROBED_GRAMS)
    else:
        prefix = _prefix_range(needle)
        if prefix is None:
            return Search(needle)
        query = _PREFIX_CANDIDATES
        params["low"], params["high"] = prefix
    candidates = await session.scalar(query, params)
    return Search(needle, None if candidates is None else tuple(candidates))


def _search_conditions(search: Search) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if search.candidates is not None:
        ids = literal(list(search.candidates), _CANDIDATES.type)
        conditions.append(Product.id == any_(ids))
    # The exact match, always: the postings only ever narrow the rows it reads.
    pattern = f"%{escape_like(search.needle)}%"
    conditions.append(
        or_(
            func.lower(Product.sku).like(pattern, escape="\\"),
            func.lower(Product.name).like(pattern, escape="\\"),
            func.lower(Product.barcode).like(pattern, escape="\\"),
        )
    )
    return conditions


def _product_conditions(
    tenant_id: uuid.UUID, where: ProductFilter, search: Search | None = None
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Product.tenant_id == tenant_id]
    if search is not None:
        conditions.extend(_search_conditions(search))
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
    after: tuple[Any, uuid.UUID] | None,
) -> list[Product]:
    """A keyset page ordered by (sort key, id)."""
    search = await plan_search(session, tenant_id, where.q) if where.q else None
    if search is not None and search.candidates == ():
        return []
    key = SORT_COLUMNS[sort]
    query = select(Product).where(*_product_conditions(tenant_id, where, search)).limit(limit)
    if descending:
        query = query.order_by(key.desc(), Product.id.desc())
    else:
        query = query.order_by(key.asc(), Product.id.asc())
    if after is not None:
        position = tuple_(key, Product.id)
        bound = tuple_(literal(after[0], type_=key.type), literal(after[1], type_=Product.id.type))
        query = query.where(position < bound if descending else position > bound)
    return list((await session.execute(query)).scalars())


def sort_value(product: Product, sort: str) -> Any:
    """The value of the sort key (as ordered by the database) of one product."""
    if sort == "sku":
        return product.sku.lower()
    if sort == "name":
        return product.name.lower()
    return product.updated_at


async def products_by_ids(
    session: AsyncSession, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[tuple[Product, int]]:
    """Products with their unit's number of decimals."""
    if not ids:
        return []
    rows = await session.execute(
        select(Product, Unit.decimals)
        .join(Unit, (Unit.tenant_id == Product.tenant_id) & (Unit.code == Product.unit_code))
        .where(Product.tenant_id == tenant_id, Product.id.in_(list(ids)))
    )
    return [(product, decimals) for product, decimals in rows]


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
    after: tuple[str, uuid.UUID] | None,
) -> list[PriceList]:
    key = func.lower(PriceList.name)
    query = (
        select(PriceList)
        .where(PriceList.tenant_id == tenant_id)
        .order_by(key, PriceList.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(tuple_(key, PriceList.id) > tuple_(after[0], after[1]))
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
