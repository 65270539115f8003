"""Products: create, read, change (optimistic concurrency), archive, delete, search."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.catalog import repository
from quartermaster.catalog.errors import (
    BarcodeTaken,
    InvalidBarcode,
    ProductInUse,
    ProductNotFound,
    SkuTaken,
    StockFilterUnavailable,
    TooManyDecimals,
    UnknownCategory,
    UnknownUnit,
)
from quartermaster.catalog.events import CatalogEvents, ProductDeleted
from quartermaster.catalog.models import Product, Unit
from quartermaster.catalog.schemas import (
    BarcodeType,
    ProductCreate,
    ProductRead,
    ProductSort,
    ProductUpdate,
    SortOrder,
    barcode_problem,
    decimal_places,
)
from quartermaster.catalog.service.indexing import index_products, unindex_product
from quartermaster.catalog.service.units import unit_for
from quartermaster.core.clock import utcnow
from quartermaster.core.concurrency import check_if_match
from quartermaster.core.events import emit
from quartermaster.core.ids import new_id
from quartermaster.core.pagination import (
    InvalidCursor,
    Page,
    PageParams,
)
from quartermaster.identity.public import Principal


def product_read(product: Product) -> ProductRead:
    return ProductRead(
        id=product.id,
        sku=product.sku,
        name=product.name,
        description=product.description,
        category_id=product.category_id,
        unit=product.unit_code,
        barcode=product.barcode,
        barcode_type=BarcodeType(product.barcode_type),
        attributes=product.attributes,
        reorder_point=product.reorder_point,
        reorder_quantity=product.reorder_quantity,
        is_active=product.is_active,
        version=product.version,
        created_at=product.created_at,
        updated_at=product.updated_at,
    )


def _check_barcode(barcode: str | None, kind: str, changed: frozenset[str]) -> None:
    """A barcode of a GS1 type (EAN-13, EAN-8, UPC-A) has its length and check digit (422
    naming the field that was changed; ``barcode`` when both were)."""
    if barcode is None:
        return
    problem = barcode_problem(barcode, BarcodeType(kind))
    if problem is not None:
        field = "barcode_type" if changed == {"barcode_type"} else "barcode"
        raise InvalidBarcode(field, problem)


def _check_quantities(unit: Unit, values: dict[str, Decimal]) -> None:
    """Reorder quantities are quantities of the product's unit: no more decimals than it has."""
    for field, value in values.items():
        if decimal_places(value) > unit.decimals:
            raise TooManyDecimals(field, unit.code, unit.decimals)


async def _flush_product(session: AsyncSession, product: Product) -> None:
    # A failed flush expires the instance, so what the errors quote is read beforehand.
    sku, barcode, unit_code = product.sku, product.barcode, product.unit_code
    try:
        await session.flush()
    except IntegrityError as exc:
        constraint = repository.violated_constraint(exc)
        if constraint == "uq_products_tenant_id_lower_sku":
            raise SkuTaken(sku) from exc
        if constraint == "uq_products_tenant_id_barcode":
            raise BarcodeTaken(barcode or "") from exc
        if constraint == "fk_products_tenant_id_category_id_categories":
            raise UnknownCategory from exc
        if constraint == "fk_products_tenant_id_unit_code_units":
            raise UnknownUnit(unit_code) from exc
        raise


async def _product_for_write(
    session: AsyncSession, tenant_id: uuid.UUID, product_id: uuid.UUID, if_match: str | None
) -> Product:
    product = await repository.product_by_id(session, tenant_id, product_id, for_update=True)
    if product is None:
        raise ProductNotFound
    check_if_match(if_match, product.version, what="product")
    return product


async def create_product(
    session: AsyncSession, principal: Principal, data: ProductCreate
) -> ProductRead:
    """Create a product; SKU (case-insensitive) and barcode are unique in the tenant."""
    tenant_id = principal.tenant_id
    unit = await unit_for(session, tenant_id, data.unit)
    _check_quantities(
        unit, {"reorder_point": data.reorder_point, "reorder_quantity": data.reorder_quantity}
    )
    _check_barcode(data.barcode, data.barcode_type, frozenset({"barcode"}))
    if data.category_id is not None and (
        await repository.category_by_id(session, tenant_id, data.category_id) is None
    ):
        raise UnknownCategory
    now = utcnow()
    product = Product(
        id=new_id(),
        tenant_id=tenant_id,
        sku=data.sku,
        name=data.name,
        description=data.description,
        category_id=data.category_id,
        unit_code=unit.code,
        barcode=data.barcode,
        barcode_type=data.barcode_type.value,
        attributes=data.attributes,
        reorder_point=data.reorder_point,
        reorder_quantity=data.reorder_quantity,
        is_active=data.is_active,
        version=1,
        created_at=now,
        updated_at=now,
    )
    repository.add(session, product)
    await _flush_product(session, product)
    read = product_read(product)
    await index_products(session, tenant_id, [product.id])
    await emit(session, tenant_id, CatalogEvents.PRODUCT_CREATED, read)
    return read


async def get_product(
    session: AsyncSession, principal: Principal, product_id: uuid.UUID
) -> ProductRead:
    row = await repository.product_read_row(session, principal.tenant_id, product_id)
    if row is None:
        raise ProductNotFound
    row["unit"] = row.pop("unit_code")
    row["barcode_type"] = BarcodeType(row["barcode_type"])
    # The row is the database's, typed by it: nothing to validate.
    return ProductRead.model_construct(**row)


_PRODUCT_FIELDS = {"unit": "unit_code"}
# The columns a product's search document is made of (service/indexing.py).
_INDEXED_FIELDS = frozenset({"sku", "name", "description", "barcode", "category_id", "is_active"})


async def update_product(
    session: AsyncSession,
    principal: Principal,
    product_id: uuid.UUID,
    data: ProductUpdate,
    if_match: str | None,
) -> ProductRead:
    """Change a product (412 on a stale If-Match). Each effective change increments the
    version and emits ``catalog.product.updated``, or ``catalog.product.archived`` when it
    deactivates the product; a PATCH that changes nothing changes nothing."""
    tenant_id = principal.tenant_id
    product = await _product_for_write(session, tenant_id, product_id, if_match)
    changes: dict[str, Any] = {
        _PRODUCT_FIELDS.get(name, name): value
        for name, value in data.changes().items()
        if getattr(product, _PRODUCT_FIELDS.get(name, name)) != value
    }
    if not changes:
        return product_read(product)
    unit = await unit_for(session, tenant_id, changes.get("unit_code", product.unit_code))
    _check_quantities(
        unit,
        {
            "reorder_point": changes.get("reorder_point", product.reorder_point),
            "reorder_quantity": changes.get("reorder_quantity", product.reorder_quantity),
        },
    )
    if {"barcode", "barcode_type"} & changes.keys():
        _check_barcode(
            changes.get("barcode", product.barcode),
            changes.get("barcode_type", product.barcode_type),
            frozenset({"barcode", "barcode_type"} & changes.keys()),
        )
    if changes.get("category_id") is not None and (
        await repository.category_by_id(session, tenant_id, changes["category_id"]) is None
    ):
        raise UnknownCategory
    was_active = product.is_active
    for name, value in changes.items():
        setattr(product, name, value)
    product.version += 1
    product.updated_at = utcnow()
    await _flush_product(session, product)
    read = product_read(product)
    if _INDEXED_FIELDS & changes.keys():
        await index_products(session, tenant_id, [product.id])
    archived = was_active and not product.is_active
    event = CatalogEvents.PRODUCT_ARCHIVED if archived else CatalogEvents.PRODUCT_UPDATED
    await emit(session, tenant_id, event, read)
    return read


async def delete_product(
    session: AsyncSession, principal: Principal, product_id: uuid.UUID, if_match: str | None
) -> None:
    """Delete a product and its price history (412 on a stale If-Match). A product other
    records still reference (the inventory ledger) is refused with 409 by the database's
    foreign keys; archiving (is_active=false) is the way to retire it."""
    tenant_id = principal.tenant_id
    product = await _product_for_write(session, tenant_id, product_id, if_match)
    try:
        await repository.delete_product(session, tenant_id, product_id)
    except IntegrityError as exc:
        if repository.is_foreign_key_violation(exc):
            raise ProductInUse from exc
        raise
    await unindex_product(session, tenant_id, product_id)
    await emit(
        session,
        tenant_id,
        CatalogEvents.PRODUCT_DELETED,
        ProductDeleted(id=product.id, sku=product.sku),
    )


async def list_products(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    *,
    q: str | None,
    category_id: uuid.UUID | None,
    is_active: bool | None,
    below_reorder: bool | None = None,
    available_total: repository.AvailableTotal | None = None,
    sort: ProductSort,
    order: SortOrder,
) -> Page[ProductRead]:
    """A keyset page of products. ``below_reorder`` needs ``available_total``, the
    inventory module's stock function (the catalog does not own stock): it is asked for the
    products with a reorder point, and the page keeps those at or below it (or the rest)."""
    tenant_id = principal.tenant_id
    stock_filter = None
    if below_reorder is not None:
        if available_total is None:
            raise StockFilterUnavailable
        points = {
            row["id"]: row["reorder_point"]
            for row in await repository.products_with_reorder_points(session, tenant_id)
        }
        available = await available_total(session, tenant_id, list(points))
        at_or_below = [pid for pid, point in points.items() if available.get(pid, 0) <= point]
        stock_filter = repository.BelowReorder(below_reorder, at_or_below)
    category_ids = None
    if category_id is not None:
        category_ids = await repository.descendant_ids(session, tenant_id, category_id)
    # The cursor names its sort and order, so one made for another ordering is refused.
    after = page.after(str, str, datetime if sort is ProductSort.UPDATED_AT else str, uuid.UUID)
    if after is not None and (after[0], after[1]) != (sort.value, order.value):
        raise InvalidCursor
    products, next_cursor = page.next_page(
        await repository.products_page(
            session,
            tenant_id,
            repository.ProductFilter(
                q=q, category_ids=category_ids, is_active=is_active, below_reorder=stock_filter
            ),
            sort=sort.value,
            descending=order is SortOrder.DESC,
            limit=page.fetch,
            after=after[2:] if after else None,
        ),
        lambda p: [sort.value, order.value, repository.sort_value(p, sort.value), p.id],
    )
    return Page[ProductRead](items=[product_read(p) for p in products], next_cursor=next_cursor)
