"""The catalog's surface for other modules (inventory, search, realtime…).

Other modules hold product and category ids and ask here; they never read catalog tables.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.catalog import repository
from quartermaster.catalog.events import CatalogEvents, PriceChanged
from quartermaster.catalog.schemas import ProductRead
from quartermaster.catalog.service.indexing import searchable_products

AvailableTotal = repository.AvailableTotal
"""How much of each product is available across the organization:
``(session, tenant_id, product ids) -> {product id: available}`` (absent: 0), a function of
the inventory module's repository. The catalog does not own stock: the application wires
it in (``api.create_app`` stores it on ``app.state`` under :data:`AVAILABLE_TOTAL_STATE`),
so ``GET /products`` can filter ``below_reorder`` without the catalog importing inventory
or either module naming the other's tables."""

AVAILABLE_TOTAL_STATE = "catalog_available_total"


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


def _product_ref(row: Sequence[Any]) -> ProductRef:
    return ProductRef(
        id=row[0],
        sku=row[1],
        name=row[2],
        unit=row[3],
        unit_decimals=row[4],
        reorder_point=row[5],
        is_active=row[6],
        category_id=row[7],
    )


async def products_by_ids(
    session: AsyncSession, tenant_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, ProductRef]:
    """The tenant's products among ``ids`` (unknown ids, and other tenants', are absent)."""
    rows = await repository.products_by_ids(session, tenant_id, list(dict.fromkeys(ids)))
    return {row[0]: _product_ref(row) for row in rows}


@dataclass(frozen=True)
class ProductsByCode:
    """Products found by the codes a scanner or a spreadsheet has (absent: not found)."""

    by_sku: dict[str, ProductRef]  # keyed by the SKU as asked (matched case-insensitively)
    by_barcode: dict[str, ProductRef]


async def products_by_codes(
    session: AsyncSession, tenant_id: uuid.UUID, skus: Iterable[str], barcodes: Iterable[str]
) -> ProductsByCode:
    """The tenant's products among ``skus`` (exactly, else regardless of case, as SKUs are
    unique) and ``barcodes`` (exactly), in one statement (two when a SKU differs in case)."""
    by_sku, by_barcode = await repository.products_by_codes(
        session, tenant_id, list(dict.fromkeys(skus)), list(dict.fromkeys(barcodes))
    )
    return ProductsByCode(
        by_sku={sku: _product_ref(row) for sku, row in by_sku.items()},
        by_barcode={code: _product_ref(row) for code, row in by_barcode.items()},
    )


async def category_descendants(
    session: AsyncSession, tenant_id: uuid.UUID, category_id: uuid.UUID
) -> list[uuid.UUID]:
    """The category and every category below it; empty when the tenant has no such one."""
    return await repository.descendant_ids(session, tenant_id, category_id)


async def products_with_reorder_points(
    session: AsyncSession, tenant_id: uuid.UUID
) -> list[ProductRef]:
    """The tenant's products that have a reorder point (greater than 0), in no order."""
    return [
        _product_ref(row)
        for row in await repository.products_with_reorder_points(session, tenant_id)
    ]


async def has_reorder_points(session: AsyncSession, tenant_id: uuid.UUID) -> bool:
    """Whether any product of the tenant has a reorder point (greater than 0)."""
    return await repository.has_reorder_points(session, tenant_id)


__all__ = [
    "AVAILABLE_TOTAL_STATE",
    "AvailableTotal",
    "CatalogEvents",
    "PriceChanged",
    "ProductRead",
    "ProductRef",
    "ProductsByCode",
    "category_descendants",
    "has_reorder_points",
    "products_by_codes",
    "products_by_ids",
    "products_with_reorder_points",
    "searchable_products",
]


# For inventory's valuation reports


@dataclass(frozen=True)
class CategoryRef:
    id: uuid.UUID
    name: str
    path: str  # "Tools / Drills"


async def categories_by_ids(
    session: AsyncSession, tenant_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, CategoryRef]:
    """The tenant's categories among ``ids`` with their paths (others' ids are absent)."""
    rows = await repository.categories_with_paths(session, tenant_id, list(dict.fromkeys(ids)))
    return {id_: CategoryRef(id=id_, name=name, path=path) for id_, name, path in rows}


async def default_currency(session: AsyncSession, tenant_id: uuid.UUID) -> str | None:
    """The currency of the tenant's default price list (ISO 4217), or None when the tenant
    has no price list yet."""
    return await repository.default_price_list_currency(session, tenant_id)


__all__ += ["CategoryRef", "categories_by_ids", "default_currency"]
