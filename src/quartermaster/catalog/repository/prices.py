"""Queries on price lists and prices (history, current per list)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from quartermaster.catalog.models import Price, PriceList
from quartermaster.core.pagination import keyset


async def price_list_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, price_list_id: uuid.UUID
) -> PriceList | None:
    return (
        await session.execute(
            select(PriceList).where(PriceList.tenant_id == tenant_id, PriceList.id == price_list_id)
        )
    ).scalar_one_or_none()


async def price_lists_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    limit: int,
    after: Sequence[Any] | None,
) -> list[PriceList]:
    """By name (case-insensitive): the key is ``(lower(name), id)``."""
    query = keyset(
        select(PriceList).where(PriceList.tenant_id == tenant_id),
        [func.lower(PriceList.name), PriceList.id],
        after,
        limit=limit,
    )
    return list((await session.execute(query)).scalars())


async def has_default_price_list(session: AsyncSession, tenant_id: uuid.UUID) -> bool:
    found = await session.execute(
        select(PriceList.id).where(PriceList.tenant_id == tenant_id, PriceList.is_default)
    )
    return found.first() is not None


async def unset_default_price_lists(
    session: AsyncSession, tenant_id: uuid.UUID, at: datetime
) -> None:
    await session.execute(
        update(PriceList)
        .where(PriceList.tenant_id == tenant_id, PriceList.is_default)
        .values(is_default=False, updated_at=at)
        .execution_options(synchronize_session="fetch")
    )


async def price_history(
    session: AsyncSession, tenant_id: uuid.UUID, product_id: uuid.UUID
) -> list[tuple[Price, PriceList]]:
    """Every price of the product, newest effective_from first."""
    rows = await session.execute(
        select(Price, PriceList)
        .join(
            PriceList,
            (PriceList.tenant_id == Price.tenant_id) & (PriceList.id == Price.price_list_id),
        )
        .where(Price.tenant_id == tenant_id, Price.product_id == product_id)
        .order_by(Price.effective_from.desc(), Price.id.desc())
    )
    return [(price, price_list) for price, price_list in rows]


async def current_prices(
    session: AsyncSession, tenant_id: uuid.UUID, product_id: uuid.UUID, now: datetime
) -> list[tuple[Price, PriceList]]:
    """Per price list, the latest price already in effect at ``now``."""
    latest = (
        select(Price)
        .where(
            Price.tenant_id == tenant_id,
            Price.product_id == product_id,
            Price.effective_from <= now,
        )
        .ext(distinct_on(Price.price_list_id))
        .order_by(Price.price_list_id, Price.effective_from.desc(), Price.id.desc())
        .subquery()
    )
    price = aliased(Price, latest)
    rows = await session.execute(
        select(price, PriceList)
        .join(
            PriceList,
            (PriceList.tenant_id == price.tenant_id) & (PriceList.id == price.price_list_id),
        )
        .order_by(func.lower(PriceList.name), PriceList.id)
    )
    return [(p, price_list) for p, price_list in rows]


# For inventory's valuation reports (via public.py)


async def default_price_list_currency(session: AsyncSession, tenant_id: uuid.UUID) -> str | None:
    return await session.scalar(
        select(PriceList.currency).where(PriceList.tenant_id == tenant_id, PriceList.is_default)
    )
