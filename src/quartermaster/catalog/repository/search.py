"""Product search (``q``): postings looked up by leakproof operators, then the exact LIKE."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Text,
    any_,
    bindparam,
    column,
    func,
    literal,
    or_,
    text,
)
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.catalog.models import Product
from quartermaster.catalog.repository.common import escape_like

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


def search_conditions(search: Search) -> list[ColumnElement[bool]]:
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
