"""The catalog's surface for other modules (inventory, search, realtime…).

Other modules hold product and category ids and ask here; they never read catalog tables.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.catalog import repository
from quartermaster.catalog.events import CatalogEvents, PriceChanged
from quartermaster.catalog.schemas import ProductRead


@dataclass(frozen=True)
class ProductRef:
    """What another module needs to know about a product to move or count its stock."""

    id: uuid.UUID
    sku: str
    name: str
    unit: str
    unit_decimals: int
    reorder_point: Decimal
    is_active: bool
    category_id: uuid.UUID | None


async def products_by_ids(
    session: AsyncSession, tenant_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, ProductRef]:
    """The tenant's products among ``ids`` (unknown ids, and other tenants', are absent)."""
    rows = await repository.products_by_ids(session, tenant_id, list(dict.fromkeys(ids)))
    return {
        product.id: ProductRef(
            id=product.id,
            sku=product.sku,
            name=product.name,
            unit=product.unit_code,
            unit_decimals=decimals,
            reorder_point=product.reorder_point,
            is_active=product.is_active,
            category_id=product.category_id,
        )
        for product, decimals in rows
    }


async def category_descendants(
    session: AsyncSession, tenant_id: uuid.UUID, category_id: uuid.UUID
) -> list[uuid.UUID]:
    """The category and every category below it; empty when the tenant has no such one."""
    return await repository.descendant_ids(session, tenant_id, category_id)


__all__ = [
    "CatalogEvents",
    "PriceChanged",
    "ProductRead",
    "ProductRef",
    "category_descendants",
    "products_by_ids",
]
