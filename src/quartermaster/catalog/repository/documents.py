"""The product rows the search index is built from (one query per batch)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.catalog.models import Category, Product


@dataclass(frozen=True)
class ProductText:
    id: uuid.UUID
    sku: str
    name: str
    description: str | None
    barcode: str | None
    category: str | None
    is_active: bool
    updated_at: datetime


async def product_texts(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    ids: list[uuid.UUID] | None = None,
    after: uuid.UUID | None = None,
    limit: int | None = None,
    category_id: uuid.UUID | None = None,
) -> list[ProductText]:
    """Products by id, or a page of them in id order after ``after`` (of one category
    when ``category_id`` is given)."""
    query = (
        select(
            Product.id,
            Product.sku,
            Product.name,
            Product.description,
            Product.barcode,
            Category.name,
            Product.is_active,
            Product.updated_at,
        )
        .outerjoin(
            Category,
            (Category.tenant_id == Product.tenant_id) & (Category.id == Product.category_id),
        )
        .where(Product.tenant_id == tenant_id)
        .order_by(Product.id)
    )
    if ids is not None:
        query = query.where(Product.id.in_(ids))
    if category_id is not None:
        query = query.where(Product.category_id == category_id)
    if after is not None:
        query = query.where(Product.id > after)
    if limit is not None:
        query = query.limit(limit)
    return [ProductText(*row) for row in (await session.execute(query)).all()]
