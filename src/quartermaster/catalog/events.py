"""The events the catalog publishes (through the outbox, in the changing transaction)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel


class CatalogEvents:
    PRODUCT_CREATED = "catalog.product.created"
    PRODUCT_UPDATED = "catalog.product.updated"
    PRODUCT_ARCHIVED = "catalog.product.archived"
    PRODUCT_DELETED = "catalog.product.deleted"
    PRICE_CHANGED = "catalog.price.changed"
    # One per committed chunk of a product import (counts, not products); see
    # catalog.service.imports.
    PRODUCTS_IMPORTED = "catalog.product.imported"


class ProductDeleted(BaseModel):
    id: uuid.UUID
    sku: str


class PriceChanged(BaseModel):
    product_id: uuid.UUID
    price_list_id: uuid.UUID
    amount: Decimal
    currency: str
    effective_from: datetime
