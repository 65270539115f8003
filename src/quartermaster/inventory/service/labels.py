"""What a client shows next to the ids of levels, movements, reservations and alerts: the
product's SKU and name, the location's and its warehouse's codes.

Read once per response for every row of it (one statement per kind, none for a kind the
rows do not use), never per row; products through the catalog's public surface. Writers
have these already (the ledger writer looked the products and places up) and pass them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.catalog.public import ProductRef, products_by_ids
from quartermaster.inventory import repository
from quartermaster.inventory.repository import Place
from quartermaster.inventory.schemas import LevelRead, MovementRead


@dataclass(frozen=True)
class Labels:
    products: dict[uuid.UUID, ProductRef]
    places: dict[uuid.UUID, Place]
    warehouse_codes: dict[uuid.UUID, str]


async def labels_for(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    product_ids: Iterable[uuid.UUID] = (),
    location_ids: Iterable[uuid.UUID | None] = (),
    warehouse_ids: Iterable[uuid.UUID] = (),
) -> Labels:
    products = list(dict.fromkeys(product_ids))
    locations = list(dict.fromkeys(i for i in location_ids if i is not None))
    warehouses = list(dict.fromkeys(warehouse_ids))
    return Labels(
        products=await products_by_ids(session, tenant_id, products) if products else {},
        places=(
            await repository.locations_with_warehouses(session, tenant_id, locations)
            if locations
            else {}
        ),
        warehouse_codes=(
            await repository.warehouse_codes(session, tenant_id, warehouses) if warehouses else {}
        ),
    )


def level_read(
    product: ProductRef, place: Place, on_hand: Decimal, reserved: Decimal, updated_at: datetime
) -> LevelRead:
    return LevelRead(
        product_id=product.id,
        sku=product.sku,
        product_name=product.name,
        location_id=place.id,
        location_code=place.code,
        warehouse_id=place.warehouse_id,
        warehouse_code=place.warehouse_code,
        on_hand=on_hand,
        reserved=reserved,
        available=on_hand - reserved,
        updated_at=updated_at,
    )


def movement_read(
    row: dict[str, Any], products: dict[uuid.UUID, ProductRef], places: dict[uuid.UUID, Place]
) -> MovementRead:
    """A ledger line (its columns as a dict) with its product's and locations' labels."""
    product = products[row["product_id"]]
    source, target = row["from_location_id"], row["to_location_id"]
    return MovementRead(
        **row,
        sku=product.sku,
        product_name=product.name,
        from_location_code=places[source].code if source else None,
        from_warehouse_code=places[source].warehouse_code if source else None,
        to_location_code=places[target].code if target else None,
        to_warehouse_code=places[target].warehouse_code if target else None,
    )
