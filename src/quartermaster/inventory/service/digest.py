"""The daily low-stock digest: what needs reordering, per tenant, as a job's result."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.catalog import public as catalog
from quartermaster.inventory.repository import jobs as job_queries

LOW_STOCK_DIGEST = "low_stock_digest"  # the job kind
DIGEST_LIMIT = 1000


async def has_reorder_points(session: AsyncSession, tenant_id: uuid.UUID) -> bool:
    return await catalog.has_reorder_points(session, tenant_id)


async def low_stock_digest(session: AsyncSession, tenant_id: uuid.UUID) -> dict[str, Any]:
    """Open (not yet resolved) alerts per product and warehouse, and the products whose
    available stock across all warehouses is at or below their reorder point; each list
    capped at 1,000 entries (by SKU) with its full count."""
    alerted = await catalog.products_by_ids(
        session, tenant_id, await job_queries.open_alert_product_ids(session, tenant_id)
    )
    alert_count, alerts = await job_queries.open_alerts(
        session, tenant_id, alerted.values(), limit=DIGEST_LIMIT
    )
    below_count, below = await job_queries.products_below_reorder(
        session,
        tenant_id,
        await catalog.products_with_reorder_points(session, tenant_id),
        limit=DIGEST_LIMIT,
    )
    return {
        "open_alert_count": alert_count,
        "open_alerts": [
            {
                "alert_id": str(a.alert_id),
                "status": a.status,
                "raised_at": a.raised_at.isoformat(),
                "sku": a.sku,
                "name": a.name,
                "warehouse": a.warehouse_code,
                "available": str(a.available),
                "reorder_point": str(a.reorder_point),
            }
            for a in alerts
        ],
        "below_reorder_count": below_count,
        "below_reorder": [
            {
                "product_id": str(p.product_id),
                "sku": p.sku,
                "name": p.name,
                "available": str(p.available),
                "reorder_point": str(p.reorder_point),
            }
            for p in below
        ],
    }
