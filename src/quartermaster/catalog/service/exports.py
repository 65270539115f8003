"""CSV exports of the catalog, streamed with constant memory."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

from quartermaster.catalog import repository
from quartermaster.catalog.models import Product
from quartermaster.core.csvtext import csv_bytes
from quartermaster.core.db import Database

# The same columns the product import reads (upsert by SKU), so an export round-trips.
PRODUCT_COLUMNS = (
    "sku",
    "name",
    "description",
    "category",
    "unit",
    "barcode",
    "barcode_type",
    "reorder_point",
    "reorder_quantity",
    "is_active",
    "attributes",
    "created_at",
    "updated_at",
)
BATCH_SIZE = 1000


def _row(product: Product, paths: dict[uuid.UUID, str]) -> list[str]:
    return [
        product.sku,
        product.name,
        product.description or "",
        paths.get(product.category_id, "") if product.category_id else "",
        product.unit_code,
        product.barcode or "",
        product.barcode_type,
        str(product.reorder_point),
        str(product.reorder_quantity),
        "true" if product.is_active else "false",
        json.dumps(product.attributes, ensure_ascii=False, sort_keys=True),
        product.created_at.isoformat(),
        product.updated_at.isoformat(),
    ]


async def product_csv(
    database: Database, tenant_id: uuid.UUID, *, batch: int = BATCH_SIZE
) -> AsyncIterator[bytes]:
    """The tenant's products as CSV chunks (header first). Runs in its own transaction:
    the response body streams after the request's transaction has ended. The products
    come from one statement, so the export is one consistent snapshot of them."""
    async with database.transaction(tenant_id) as session:
        paths = await repository.category_paths(session, tenant_id)
        yield csv_bytes([list(PRODUCT_COLUMNS)])
        async for products in repository.stream_products(session, tenant_id, batch=batch):
            yield csv_bytes([_row(product, paths) for product in products])
