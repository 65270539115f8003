"""Request pieces shared by the inventory routers (``router``, ``export_jobs``,
``reports``): the read permission and the stock-level filters of the exports."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query

from quartermaster.core.inputs import QueryFlag
from quartermaster.identity.public import Permission, Principal, require
from quartermaster.inventory.repository import LevelFilter

InventoryRead = Annotated[Principal, Depends(require(Permission.INVENTORY_READ))]


async def level_filter(
    product_id: Annotated[uuid.UUID | None, Query()] = None,
    warehouse_id: Annotated[uuid.UUID | None, Query()] = None,
    location_id: Annotated[uuid.UUID | None, Query()] = None,
    below_reorder: Annotated[
        QueryFlag | None, Query(description="As on GET /stock/levels (per warehouse)")
    ] = None,
) -> LevelFilter:
    """The filters of a stock-levels export (the CSV stream and the background job)."""
    return LevelFilter(
        product_id=product_id,
        warehouse_id=warehouse_id,
        location_id=location_id,
        below_reorder=below_reorder,
    )


LevelFilterDep = Annotated[LevelFilter, Depends(level_filter)]
