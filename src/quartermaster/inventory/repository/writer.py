"""The ledger writer's statements, as plain SQL on the session's driver connection.

Every stock movement, reservation, fulfilment and count runs these, so they skip what
SQLAlchemy does per statement (building the statement, its cache key, parameter and
result processing): on a movement that was more CPU than PostgreSQL spent on it. Each
statement is a constant string whose lists travel as arrays (``unnest``, ``= ANY``), so
asyncpg prepares it once per connection, whatever the number of rows. They run in the
session's transaction and tenant scope (:func:`~quartermaster.core.db.driver_connection`);
row-level security applies as to every other query.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.db import driver_connection
from quartermaster.inventory.repository.common import LevelKey

Pair = tuple[uuid.UUID, uuid.UUID]  # (product_id, warehouse_id)


def _columns(pairs: Sequence[tuple[Any, Any]]) -> tuple[list[Any], ...]:
    """(firsts, seconds) of pairs: the two arrays a statement unnests side by side."""
    return [pair[0] for pair in pairs], [pair[1] for pair in pairs]


class Place(NamedTuple):
    """A location and what the writer needs of its warehouse."""

    id: uuid.UUID
    code: str
    allow_negative: bool
    warehouse_id: uuid.UUID
    warehouse_code: str
    warehouse_is_active: bool


_PLACES = (
    "SELECT l.id, l.code, l.allow_negative, w.id, w.code, w.is_active"
    " FROM locations l JOIN warehouses w ON w.tenant_id = l.tenant_id AND w.id = l.warehouse_id"
    " WHERE l.tenant_id = $1 AND l.id = ANY($2::uuid[])"
)


async def locations_with_warehouses(
    session: AsyncSession, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Place]:
    if not ids:
        return {}
    connection = await driver_connection(session)
    rows = await connection.fetch(_PLACES, tenant_id, list(dict.fromkeys(ids)))
    return {row[0]: Place(*row) for row in rows}


# Codes are unique per tenant regardless of case; a tenant has few warehouses and locations,
# so the hash join on lower() (which no index can serve under RLS) reads them once.
_PLACES_BY_CODES = (
    "SELECT k.warehouse_code, k.location_code,"
    " l.id, l.code, l.allow_negative, w.id, w.code, w.is_active"
    " FROM unnest($2::text[], $3::text[]) AS k(warehouse_code, location_code)"
    " JOIN warehouses w ON lower(w.code) = lower(k.warehouse_code)"
    " JOIN locations l ON l.tenant_id = w.tenant_id AND l.warehouse_id = w.id"
    " AND lower(l.code) = lower(k.location_code)"
    " WHERE w.tenant_id = $1"
)


async def locations_by_codes(
    session: AsyncSession, tenant_id: uuid.UUID, codes: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], Place]:
    """(warehouse code, location code) as asked → the place, compared regardless of case, in
    one statement whatever the number of pairs; pairs not found are absent."""
    if not codes:
        return {}
    connection = await driver_connection(session)
    pairs = list(dict.fromkeys(codes))
    rows = await connection.fetch(_PLACES_BY_CODES, tenant_id, *_columns(pairs))
    return {(row[0], row[1]): Place(*row[2:]) for row in rows}


# Rows are inserted in the order given (sorted by the caller): ORDER BY n.
_CREATE_MISSING = (
    "INSERT INTO stock_levels (tenant_id, product_id, location_id, on_hand, reserved,"
    " updated_at)"
    " SELECT $1, k.product_id, k.location_id, 0, 0, $4"
    " FROM unnest($2::uuid[], $3::uuid[]) WITH ORDINALITY AS k(product_id, location_id, n)"
    " ORDER BY k.n"
    " ON CONFLICT DO NOTHING"
)


async def create_missing_levels(
    session: AsyncSession, tenant_id: uuid.UUID, keys: Sequence[LevelKey], at: datetime
) -> None:
    """Zero rows for (product, location) pairs that have none, in the given (sorted) order;
    rows that exist are left alone (and not locked)."""
    if not keys:
        return
    connection = await driver_connection(session)
    await connection.execute(_CREATE_MISSING, tenant_id, *_columns(keys), at)


_LOCK = (
    "SELECT 1"
    " FROM stock_levels s"
    " JOIN unnest($2::uuid[], $3::uuid[]) AS k(product_id, location_id)"
    " ON s.product_id = k.product_id AND s.location_id = k.location_id"
    " WHERE s.tenant_id = $1"
    " ORDER BY s.product_id, s.location_id"
    " FOR NO KEY UPDATE OF s"
)


async def lock_levels(
    session: AsyncSession, tenant_id: uuid.UUID, keys: Sequence[LevelKey]
) -> None:
    """Lock the level rows of ``keys`` in (product_id, location_id) order — the one order
    every writer uses, so writers touching overlapping rows queue and never deadlock (a
    stock count holds them while it sums the ledger).

    FOR NO KEY UPDATE (what an UPDATE of non-key columns takes) rather than FOR UPDATE: it
    does not block the KEY SHARE locks of foreign-key checks, e.g. a concurrent product
    deletion checking whether levels still reference the product."""
    if not keys:
        return
    connection = await driver_connection(session)
    await connection.execute(_LOCK, tenant_id, *_columns(keys))


# Rows go in the order given (sorted by the caller: ORDER BY n), each created when missing or
# locked and changed when present before the next, so the row locks follow that order.
# PostgreSQL checks the proposed row's constraints before it finds the conflict, so a
# negative reserved delta (a release or fulfilment, always of an existing row) is proposed
# as 0 and, only when the batch has one ($7), looked up by key in the update.
_APPLY = (
    "INSERT INTO stock_levels AS s (tenant_id, product_id, location_id, on_hand, reserved,"
    " updated_at)"
    " SELECT $1, k.product_id, k.location_id, k.on_hand, greatest(k.reserved, 0), $6"
    " FROM unnest($2::uuid[], $3::uuid[], $4::numeric[], $5::numeric[])"
    " WITH ORDINALITY AS k(product_id, location_id, on_hand, reserved, n)"
    " ORDER BY k.n"
    " ON CONFLICT (tenant_id, product_id, location_id) DO UPDATE"
    " SET on_hand = s.on_hand + EXCLUDED.on_hand,"
    " reserved = s.reserved + CASE WHEN $7 THEN ("
    "SELECT r.reserved FROM unnest($2::uuid[], $3::uuid[], $5::numeric[])"
    " AS r(product_id, location_id, reserved)"
    " WHERE r.product_id = s.product_id AND r.location_id = s.location_id"
    ") ELSE EXCLUDED.reserved END,"
    " updated_at = EXCLUDED.updated_at"
    " RETURNING s.product_id, s.location_id, s.on_hand, s.reserved"
)


async def apply_level_changes(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    changes: Sequence[tuple[LevelKey, Decimal, Decimal]],
    at: datetime,
) -> dict[LevelKey, tuple[Decimal, Decimal]]:
    """Add (on_hand, reserved) deltas to the level rows of their keys, in one statement:
    a missing row is created with the deltas as its values, a present one is locked (FOR NO
    KEY UPDATE, what an UPDATE of non-key columns takes) and changed relative to what it
    holds. Keys are taken in the order given: callers pass them sorted by (product_id,
    location_id), the one order every writer locks in, so writers touching overlapping
    rows queue and never deadlock. Returns the new (on_hand, reserved) of every key."""
    if not changes:
        return {}
    reserved = [change for _, _, change in changes]
    connection = await driver_connection(session)
    rows = await connection.fetch(
        _APPLY,
        tenant_id,
        [key[0] for key, _, _ in changes],
        [key[1] for key, _, _ in changes],
        [on_hand for _, on_hand, _ in changes],
        reserved,
        at,
        any(change < 0 for change in reserved),
    )
    return {(row[0], row[1]): (row[2], row[3]) for row in rows}


MOVEMENT_COLUMNS = (
    "id",
    "batch_id",
    "line_no",
    "kind",
    "product_id",
    "from_location_id",
    "to_location_id",
    "quantity",
    "unit_cost",
    "reason",
    "reference",
    "note",
)
_APPEND = (
    "INSERT INTO stock_movements (tenant_id, recorded_by, recorded_by_label, recorded_at,"
    " id, batch_id, line_no, kind, product_id, from_location_id, to_location_id, quantity,"
    " unit_cost, reason, reference, note)"
    " SELECT $1, $2, $3, $4, m.* FROM unnest($5::uuid[], $6::uuid[], $7::smallint[],"
    " $8::text[], $9::uuid[], $10::uuid[], $11::uuid[], $12::numeric[], $13::numeric[],"
    " $14::text[], $15::text[], $16::text[]) AS m"
)


async def append_movements(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    recorded_by: uuid.UUID,
    recorded_by_label: str,
    recorded_at: datetime,
    rows: Sequence[dict[str, Any]],
) -> None:
    """Ledger rows (dicts with :data:`MOVEMENT_COLUMNS`) of one batch, in one statement."""
    connection = await driver_connection(session)
    await connection.execute(
        _APPEND,
        tenant_id,
        recorded_by,
        recorded_by_label,
        recorded_at,
        *([row[name] for row in rows] for name in MOVEMENT_COLUMNS),
    )


# Alerts. Volatile target-list functions run after ORDER BY, so the locks follow ``n``.
_LOCK_PAIRS = (
    "SELECT pg_advisory_xact_lock(hashtextextended(k.key, 0))"
    " FROM unnest($1::text[]) WITH ORDINALITY AS k(key, n) ORDER BY k.n"
)


async def lock_alert_pairs(session: AsyncSession, tenant_id: uuid.UUID, pairs: list[Pair]) -> None:
    """Transaction-scoped advisory locks on (product, warehouse) pairs, in the given (sorted)
    order, in one statement: writers deciding whether a pair's alert should be raised or
    resolved take turns, each reading the levels as the previous one committed them."""
    keys = [f"stock_alert:{tenant_id}:{product}:{warehouse}" for product, warehouse in pairs]
    connection = await driver_connection(session)
    await connection.execute(_LOCK_PAIRS, keys)


_AVAILABILITY = (
    "SELECT s.product_id, l.warehouse_id, sum(s.on_hand - s.reserved)"
    " FROM stock_levels s"
    " JOIN locations l ON l.tenant_id = s.tenant_id AND l.id = s.location_id"
    " JOIN unnest($2::uuid[], $3::uuid[]) AS p(product_id, warehouse_id)"
    " ON s.product_id = p.product_id AND l.warehouse_id = p.warehouse_id"
    " WHERE s.tenant_id = $1"
    " GROUP BY s.product_id, l.warehouse_id"
)


async def warehouse_availability(
    session: AsyncSession, tenant_id: uuid.UUID, pairs: list[Pair]
) -> dict[Pair, Decimal]:
    """Σ (on_hand - reserved) per (product, warehouse) pair, in one statement (0 for pairs
    without level rows)."""
    connection = await driver_connection(session)
    rows = await connection.fetch(_AVAILABILITY, tenant_id, *_columns(pairs))
    found = {(row[0], row[1]): Decimal(row[2]) for row in rows}
    return {pair: found.get(pair, Decimal(0)) for pair in pairs}


# The partial unique index's predicate is a literal, so the planner sees that the
# ON CONFLICT target implies it.
_RAISE = (
    "INSERT INTO stock_alerts (id, tenant_id, product_id, warehouse_id, status, raised_at)"
    " SELECT a.id, $1, a.product_id, a.warehouse_id, 'open', $5"
    " FROM unnest($2::uuid[], $3::uuid[], $4::uuid[]) AS a(id, product_id, warehouse_id)"
    " ON CONFLICT (tenant_id, product_id, warehouse_id) WHERE status <> 'resolved'"
    " DO NOTHING"
    " RETURNING product_id, warehouse_id, id"
)


async def raise_alerts(
    session: AsyncSession, tenant_id: uuid.UUID, alerts: dict[Pair, uuid.UUID], at: datetime
) -> dict[Pair, uuid.UUID]:
    """Open an alert (with the given id) for each pair that has no non-resolved one, in one
    statement; the pairs actually raised."""
    if not alerts:
        return {}
    connection = await driver_connection(session)
    rows = await connection.fetch(
        _RAISE,
        tenant_id,
        list(alerts.values()),
        *_columns(list(alerts)),
        at,
    )
    return {(row[0], row[1]): row[2] for row in rows}


_RESOLVE = (
    "UPDATE stock_alerts a SET status = 'resolved', resolved_at = $4"
    " FROM unnest($2::uuid[], $3::uuid[]) AS p(product_id, warehouse_id)"
    " WHERE a.tenant_id = $1 AND a.status <> 'resolved'"
    " AND a.product_id = p.product_id AND a.warehouse_id = p.warehouse_id"
    " RETURNING a.product_id, a.warehouse_id, a.id"
)


async def resolve_alerts(
    session: AsyncSession, tenant_id: uuid.UUID, pairs: list[Pair], at: datetime
) -> dict[Pair, uuid.UUID]:
    """Resolve the non-resolved alert of each pair that has one, in one statement; the
    pairs resolved and their alert ids."""
    if not pairs:
        return {}
    connection = await driver_connection(session)
    rows = await connection.fetch(_RESOLVE, tenant_id, *_columns(pairs), at)
    return {(row[0], row[1]): row[2] for row in rows}
