"""Price lists (exactly one default per tenant) and the append-only price history."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.catalog import repository
from quartermaster.catalog.errors import (
    DefaultPriceListRequired,
    PriceListNameTaken,
    PriceListNotFound,
    ProductNotFound,
    TooManyPriceDecimals,
    UnknownPriceList,
)
from quartermaster.catalog.events import CatalogEvents, PriceChanged
from quartermaster.catalog.models import Price, PriceList
from quartermaster.catalog.schemas import (
    PriceCreate,
    PriceListCreate,
    PriceListRead,
    PriceListUpdate,
    PriceRead,
    ProductPrices,
    decimal_places,
    minor_units,
)
from quartermaster.core.clock import utcnow
from quartermaster.core.events import emit
from quartermaster.core.ids import new_id
from quartermaster.core.pagination import (
    Page,
    PageParams,
)
from quartermaster.identity.public import Principal


def _price_list_read(price_list: PriceList) -> PriceListRead:
    return PriceListRead(
        id=price_list.id,
        name=price_list.name,
        currency=price_list.currency,
        price_decimals=price_list.price_decimals,
        is_default=price_list.is_default,
        created_at=price_list.created_at,
        updated_at=price_list.updated_at,
    )


async def _flush_price_list(session: AsyncSession, name: str) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:
        if repository.violated_constraint(exc) == "uq_price_lists_tenant_id_lower_name":
            raise PriceListNameTaken(name) from exc
        raise


async def list_price_lists(
    session: AsyncSession, principal: Principal, page: PageParams
) -> Page[PriceListRead]:
    rows, next_cursor = page.next_page(
        await repository.price_lists_page(
            session, principal.tenant_id, limit=page.fetch, after=page.after(str, uuid.UUID)
        ),
        lambda price_list: [price_list.name.lower(), price_list.id],
    )
    return Page[PriceListRead](items=[_price_list_read(p) for p in rows], next_cursor=next_cursor)


async def get_price_list(
    session: AsyncSession, principal: Principal, price_list_id: uuid.UUID
) -> PriceListRead:
    price_list = await repository.price_list_by_id(session, principal.tenant_id, price_list_id)
    if price_list is None:
        raise PriceListNotFound
    return _price_list_read(price_list)


async def create_price_list(
    session: AsyncSession, principal: Principal, data: PriceListCreate
) -> PriceListRead:
    """Create a price list. The tenant's first list is the default; making a list the
    default unsets the previous one in the same transaction (exactly one default)."""
    tenant_id = principal.tenant_id
    await repository.lock_for_tenant(session, tenant_id, "default-price-list")
    now = utcnow()
    is_default = data.is_default or not await repository.has_default_price_list(session, tenant_id)
    if is_default:
        await repository.unset_default_price_lists(session, tenant_id, now)
    price_list = PriceList(
        id=new_id(),
        tenant_id=tenant_id,
        name=data.name,
        currency=data.currency,
        price_decimals=(
            data.price_decimals if data.price_decimals is not None else minor_units(data.currency)
        ),
        is_default=is_default,
        created_at=now,
        updated_at=now,
    )
    repository.add(session, price_list)
    await _flush_price_list(session, data.name)
    return _price_list_read(price_list)


async def update_price_list(
    session: AsyncSession, principal: Principal, price_list_id: uuid.UUID, data: PriceListUpdate
) -> PriceListRead:
    tenant_id = principal.tenant_id
    changes = data.changes()
    if "is_default" in changes:
        await repository.lock_for_tenant(session, tenant_id, "default-price-list")
    price_list = await repository.price_list_by_id(session, tenant_id, price_list_id)
    if price_list is None:
        raise PriceListNotFound
    now = utcnow()
    if changes.get("is_default") is True and not price_list.is_default:
        await repository.unset_default_price_lists(session, tenant_id, now)
        price_list.is_default = True
        price_list.updated_at = now
    elif changes.get("is_default") is False and price_list.is_default:
        raise DefaultPriceListRequired
    if "name" in changes and changes["name"] != price_list.name:
        price_list.name = changes["name"]
        price_list.updated_at = now
    if "price_decimals" in changes and changes["price_decimals"] != price_list.price_decimals:
        price_list.price_decimals = changes["price_decimals"]
        price_list.updated_at = now
    await _flush_price_list(session, price_list.name)
    return _price_list_read(price_list)


# Prices


def _price_read(price: Price, price_list: PriceList) -> PriceRead:
    return PriceRead(
        id=price.id,
        price_list_id=price_list.id,
        price_list_name=price_list.name,
        currency=price_list.currency,
        amount=price.amount,
        effective_from=price.effective_from,
        created_at=price.created_at,
    )


async def add_price(
    session: AsyncSession, principal: Principal, product_id: uuid.UUID, data: PriceCreate
) -> PriceRead:
    """Append a price to the product's history in one list (never overwriting a row) and
    emit ``catalog.price.changed``. A future ``effective_from`` takes effect then. The
    amount has at most the list's ``price_decimals`` (by default the currency's ISO 4217
    minor units: "1.999" EUR is 422)."""
    tenant_id = principal.tenant_id
    product = await repository.product_by_id(session, tenant_id, product_id)
    if product is None:
        raise ProductNotFound
    price_list = await repository.price_list_by_id(session, tenant_id, data.price_list_id)
    if price_list is None:
        raise UnknownPriceList
    if decimal_places(data.amount) > price_list.price_decimals:
        raise TooManyPriceDecimals(price_list.currency, price_list.price_decimals)
    now = utcnow()
    price = Price(
        id=new_id(),
        tenant_id=tenant_id,
        product_id=product.id,
        price_list_id=price_list.id,
        amount=data.amount,
        effective_from=data.effective_from or now,
        created_at=now,
    )
    repository.add(session, price)
    await session.flush()
    await emit(
        session,
        tenant_id,
        CatalogEvents.PRICE_CHANGED,
        PriceChanged(
            product_id=product.id,
            price_list_id=price_list.id,
            amount=price.amount,
            currency=price_list.currency,
            effective_from=price.effective_from,
        ),
    )
    return _price_read(price, price_list)


async def product_prices(
    session: AsyncSession, principal: Principal, product_id: uuid.UUID
) -> ProductPrices:
    tenant_id = principal.tenant_id
    if await repository.product_by_id(session, tenant_id, product_id) is None:
        raise ProductNotFound
    current = await repository.current_prices(session, tenant_id, product_id, utcnow())
    history = await repository.price_history(session, tenant_id, product_id)
    return ProductPrices(
        product_id=product_id,
        current=[_price_read(p, pl) for p, pl in current],
        history=[_price_read(p, pl) for p, pl in history],
    )
