"""CSV exports of stock, streamed with constant memory."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.catalog.public import ProductRef, products_by_ids
from quartermaster.core.csvtext import csv_bytes
from quartermaster.core.db import Database
from quartermaster.inventory import repository
from quartermaster.inventory.repository import jobs as job_queries
from quartermaster.inventory.service.levels import with_reorder_points

LEVEL_COLUMNS = (
    "warehouse",
    "location",
    "sku",
    "name",
    "unit",
    "on_hand",
    "reserved",
    "available",
    "updated_at",
)
BATCH_SIZE = 1000


def _row(level: repository.ExportedLevel) -> list[str]:
    return [
        level.warehouse_code,
        level.location_code,
        level.sku,
        level.name,
        level.unit,
        str(level.on_hand),
        str(level.reserved),
        str(level.on_hand - level.reserved),
        level.updated_at.isoformat(),
    ]


async def _levels(
    session: AsyncSession, tenant_id: uuid.UUID, where: repository.LevelFilter, batch: int
) -> AsyncIterator[list[repository.ExportedLevel]]:
    """The level rows under ``where`` with their products' labels from the catalog: the
    products that have rows first, then the rows (a product first stocked between the two
    statements is in the next export)."""
    product_ids = await repository.level_product_ids(session, tenant_id, where)
    products = await products_by_ids(session, tenant_id, product_ids)
    async for levels in repository.stream_levels(
        session, tenant_id, where, products.values(), batch=batch
    ):
        yield levels


async def level_csv(
    database: Database,
    tenant_id: uuid.UUID,
    where: repository.LevelFilter,
    *,
    batch: int = BATCH_SIZE,
) -> AsyncIterator[bytes]:
    """The tenant's stock levels as CSV chunks (header first), one row per (product,
    location) in warehouse, location, SKU order. Runs in its own transaction, since the
    body streams after the request's transaction has ended; the rows come from one
    statement, so one consistent snapshot."""
    async with database.transaction(tenant_id) as session:
        yield csv_bytes([list(LEVEL_COLUMNS)])
        where = await with_reorder_points(session, tenant_id, where)
        async for levels in _levels(session, tenant_id, where, batch):
            yield csv_bytes([_row(level) for level in levels])


# --- Exports as jobs (inventory.tasks): the same rows, written to a file -----------------

STOCK_LEVELS_EXPORT = "stock_levels_export"  # job kinds
MOVEMENTS_EXPORT = "movements_export"

MOVEMENT_COLUMNS = (
    "recorded_at",
    "batch_id",
    "line_no",
    "kind",
    "sku",
    "name",
    "unit",
    "quantity",
    "unit_cost",
    "from_warehouse",
    "from_location",
    "to_warehouse",
    "to_location",
    "reason",
    "reference",
    "note",
    "recorded_by",
)

Progress = Callable[[float], Awaitable[None]]


def _movement_row(movement: job_queries.ExportedMovement, product: ProductRef) -> list[str]:
    return [
        movement.recorded_at.isoformat(),
        str(movement.batch_id),
        str(movement.line_no),
        movement.kind,
        product.sku,
        product.name,
        product.unit,
        str(movement.quantity),
        "" if movement.unit_cost is None else str(movement.unit_cost),
        movement.from_warehouse or "",
        movement.from_location or "",
        movement.to_warehouse or "",
        movement.to_location or "",
        movement.reason or "",
        movement.reference or "",
        movement.note or "",
        movement.recorded_by,
    ]


async def _write(
    target: Path,
    header: Sequence[str],
    batches: AsyncIterator[list[list[str]]],
    total: int,
    progress: Progress,
) -> int:
    """Write the CSV to ``target`` atomically (a partial file is never visible under its
    name); report progress per batch; return the number of rows."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{uuid.uuid4().hex}.part")
    rows = 0
    try:
        with partial.open("wb") as handle:
            await asyncio.to_thread(handle.write, csv_bytes([list(header)]))
            async for batch in batches:
                await asyncio.to_thread(handle.write, csv_bytes(batch))
                rows += len(batch)
                await progress(rows / total if total else 1.0)
        await asyncio.to_thread(os.replace, partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return rows


async def write_level_csv(
    database: Database,
    tenant_id: uuid.UUID,
    where: repository.LevelFilter,
    target: Path,
    progress: Progress,
    *,
    batch: int = BATCH_SIZE,
) -> int:
    """The stock-levels CSV (the rows of :func:`level_csv`) as a file, from one snapshot."""
    async with database.transaction(tenant_id) as session:
        where = await with_reorder_points(session, tenant_id, where)
        total = await job_queries.count_levels(session, tenant_id, where)

        async def batches() -> AsyncIterator[list[list[str]]]:
            async for levels in _levels(session, tenant_id, where, batch):
                yield [_row(level) for level in levels]

        return await _write(target, LEVEL_COLUMNS, batches(), total, progress)


async def write_movement_csv(
    database: Database,
    tenant_id: uuid.UUID,
    where: repository.MovementFilter,
    target: Path,
    progress: Progress,
    *,
    batch: int = BATCH_SIZE,
) -> int:
    """Ledger lines (filtered, in recording order) as a CSV file, from one snapshot."""
    async with database.transaction(tenant_id) as session:
        total = await job_queries.count_movements(session, tenant_id, where)

        async def batches() -> AsyncIterator[list[list[str]]]:
            async for lines in job_queries.stream_movements(session, tenant_id, where, batch=batch):
                # The catalog's labels, asked per batch between the cursor's fetches.
                products = await products_by_ids(
                    session, tenant_id, [line.product_id for line in lines]
                )
                yield [_movement_row(line, products[line.product_id]) for line in lines]

        return await _write(target, MOVEMENT_COLUMNS, batches(), total, progress)
