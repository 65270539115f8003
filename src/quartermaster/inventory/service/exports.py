"""CSV exports of stock, streamed with constant memory."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator

from quartermaster.core.db import Database
from quartermaster.inventory import repository

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


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


async def level_csv(
    database: Database,
    tenant_id: uuid.UUID,
    where: repository.LevelFilter,
    *,
    batch: int = BATCH_SIZE,
) -> AsyncIterator[bytes]:
    """The tenant's stock levels as CSV chunks (header first), one row per (product,
    location) in warehouse, location, SKU order. Runs in its own transaction, since the
    body streams after the request's transaction has ended; one statement, so one
    consistent snapshot."""
    async with database.transaction(tenant_id) as session:
        yield _csv([list(LEVEL_COLUMNS)])
        async for levels in repository.stream_levels(session, tenant_id, where, batch=batch):
            yield _csv([_row(level) for level in levels])
