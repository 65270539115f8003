"""`qm seed-demo`: the demo organization filled with a realistic catalog and a stock
history — a category tree, ~2,000 products, three warehouses with bins, two price lists
with history, ~20,000 movements over the last 90 days, a few products below their reorder
point (so there are open low-stock alerts) and a few active reservations — and a service
desk with ~300 tickets over the same days (``desk``).

This is an application-layer module, like ``cli.py`` and ``api.py``: it writes through
the business modules' services (``create_product``, ``add_price``, ``create_warehouse``,
``post_ledger`` with a backdated ``now``, ``create_reservation``…), never their tables or
repositories, so levels, ledger, costs, outbox events and alerts agree exactly as if
people had done the work. The catalog comes from ``catalog`` and the history is
simulated in Python first (``history``: levels tracked per bin, so nothing ever fails
for insufficient stock); both are then written, the history one transaction per day.

Everything is derived from ``DemoSize.seed``: the same seed and sizes give the same SKUs,
quantities and references; only the dates follow today's date.
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.catalog.public import ProductRef, products_by_ids
from quartermaster.catalog.schemas import (
    BarcodeType,
    CategoryCreate,
    PriceCreate,
    PriceListCreate,
    ProductCreate,
    ProductSort,
    SortOrder,
)
from quartermaster.catalog.service.categories import create_category
from quartermaster.catalog.service.indexing import defer_indexing as defer_product_indexing
from quartermaster.catalog.service.indexing import flush_indexing as flush_product_indexing
from quartermaster.catalog.service.prices import add_price, create_price_list
from quartermaster.catalog.service.products import create_product, list_products
from quartermaster.core.clock import utcnow
from quartermaster.core.db import Database
from quartermaster.core.pagination import PageParams
from quartermaster.demo.catalog import DemoCatalog, DemoSize, build_catalog, money
from quartermaster.demo.desk import DeskReport, seed_demo_desk
from quartermaster.demo.history import WAREHOUSES, Line, StockHistory
from quartermaster.demo.knowledge import KnowledgeReport, seed_demo_knowledge
from quartermaster.identity.public import Principal, demo_principal
from quartermaster.inventory.schemas import (
    AlertStatus,
    LocationCreate,
    ReservationCreate,
    WarehouseCreate,
)
from quartermaster.inventory.service.alerts import list_alerts
from quartermaster.inventory.service.movements import LedgerEntry, Places, post_ledger
from quartermaster.inventory.service.reservations import create_reservation
from quartermaster.inventory.service.warehouses import (
    create_location,
    create_warehouse,
    list_warehouses,
    locations_with_warehouses,
)


class SeedProgress(Protocol):
    """Where the seed reports progress (the CLI shows a Rich progress bar)."""

    def start(self, task: str, total: int) -> None: ...

    def advance(self, task: str, amount: int) -> None: ...


class _NoProgress:
    def start(self, task: str, total: int) -> None:
        pass

    def advance(self, task: str, amount: int) -> None:
        pass


@dataclass
class DemoReport:
    categories: int = 0
    products: int = 0
    prices: int = 0
    warehouses: int = 0
    locations: int = 0
    movements: int = 0
    batches: int = 0
    reservations: int = 0
    open_alerts: int = 0
    desk: DeskReport | None = None
    knowledge: KnowledgeReport | None = None
    knowledge_seconds: float = 0.0
    seconds: float = 0.0
    catalog_seconds: float = 0.0


class DemoAccountMissing(Exception):
    """There is no demo owner to write the demo data as."""


@dataclass
class _Ids:
    products: list[uuid.UUID]
    refs: dict[uuid.UUID, ProductRef]
    bins: dict[tuple[int, int], uuid.UUID]  # (product, warehouse) -> its bin
    places: Places


async def _has_data(session: AsyncSession, principal: Principal) -> bool:
    first = PageParams(limit=1, cursor=None)
    warehouses = await list_warehouses(session, principal, first, is_active=None)
    if warehouses.items:
        return True
    products = await list_products(
        session,
        principal,
        first,
        q=None,
        category_id=None,
        is_active=None,
        sort=ProductSort.SKU,
        order=SortOrder.ASC,
    )
    return bool(products.items)


async def _write_catalog(
    session: AsyncSession,
    principal: Principal,
    catalog: DemoCatalog,
    history: StockHistory,
    size: DemoSize,
    now: datetime,
    progress: SeedProgress,
    report: DemoReport,
) -> _Ids:
    """Categories, price lists with prices, products, warehouses and bins: one transaction."""
    rng = random.Random(f"{size.seed}:prices")  # noqa: S311 - demo data, not secrets
    category_ids: dict[tuple[str, ...], uuid.UUID] = {}
    for path in catalog.categories:
        parent = category_ids.get(path[:-1])
        created = await create_category(
            session, principal, CategoryCreate(name=path[-1], parent_id=parent)
        )
        category_ids[path] = created.id
    report.categories = len(category_ids)
    # Small parts are priced in tenths of a cent (money()): one more place than EUR's two.
    retail = await create_price_list(
        session,
        principal,
        PriceListCreate(name="Retail EUR", currency="EUR", is_default=True, price_decimals=3),
    )
    wholesale = await create_price_list(
        session,
        principal,
        PriceListCreate(name="Wholesale EUR", currency="EUR", price_decimals=3),
    )
    progress.start("products", len(catalog.products))
    product_ids: list[uuid.UUID] = []
    for spec in catalog.products:
        product = await create_product(
            session,
            principal,
            ProductCreate(
                sku=spec.sku,
                name=spec.name,
                description=spec.description,
                category_id=category_ids[spec.category],
                unit=spec.unit,
                barcode=spec.barcode,
                barcode_type=BarcodeType.EAN13 if spec.barcode else BarcodeType.OTHER,
                attributes=spec.attributes,
                reorder_point=spec.reorder_point,
                reorder_quantity=spec.reorder_quantity,
            ),
        )
        product_ids.append(product.id)
        for price_list, amount, change in (
            (retail.id, spec.retail, 0.25),
            (wholesale.id, spec.wholesale, 0.08),
        ):
            prices = [(history.first_day, amount)]
            if rng.random() < change:  # a price rise during the period: history
                raised_on = history.first_day + timedelta(days=rng.randrange(1, size.days))
                before = money(float(amount) / rng.uniform(1.03, 1.1))
                prices = [(history.first_day, before), (raised_on, amount)]
            if rng.random() < 0.015:  # an announced rise: current price unchanged until then
                prices.append(
                    (now + timedelta(days=rng.randint(7, 21)), money(float(amount) * 1.06))
                )
            for effective_from, value in prices:
                await add_price(
                    session,
                    principal,
                    product.id,
                    PriceCreate(
                        price_list_id=price_list, amount=value, effective_from=effective_from
                    ),
                )
                report.prices += 1
        progress.advance("products", 1)
    report.products = len(product_ids)

    bins: dict[tuple[int, int], uuid.UUID] = {}
    for index, (code, name, address, aisles, racks, levels) in enumerate(WAREHOUSES):
        warehouse = await create_warehouse(
            session, principal, WarehouseCreate(code=code, name=name, address=address)
        )
        report.warehouses += 1
        report.locations += 1  # its default location (receiving)
        bin_ids = []
        for aisle in aisles:
            for rack in range(1, racks + 1):
                for level in range(1, levels + 1):
                    location = await create_location(
                        session,
                        principal,
                        LocationCreate(
                            warehouse_id=warehouse.id,
                            code=f"{aisle}-{rack:02d}-{level:02d}",
                            name=f"Aisle {aisle}, rack {rack:02d}, level {level:02d}",
                        ),
                    )
                    bin_ids.append(location.id)
        report.locations += len(bin_ids)
        # Neighbouring products (catalog order is category order) share an aisle.
        stocked = history.stocked[index]
        for position, stocked_product in enumerate(stocked):
            bins[(stocked_product, index)] = bin_ids[position * len(bin_ids) // len(stocked)]
    refs = await products_by_ids(session, principal.tenant_id, product_ids)
    places = await locations_with_warehouses(session, principal, list(set(bins.values())))
    return _Ids(product_ids, refs, bins, places)


def _entry(line: Line, ids: _Ids) -> LedgerEntry:
    return LedgerEntry(
        kind=line.kind,
        product_id=ids.products[line.product],
        from_location_id=ids.bins[(line.product, line.source)] if line.source is not None else None,
        to_location_id=ids.bins[(line.product, line.target)] if line.target is not None else None,
        quantity=line.quantity,
        unit_cost=line.unit_cost,
        reason=line.reason,
    )


async def seed_demo_data(
    database: Database,
    size: DemoSize | None = None,
    progress: SeedProgress | None = None,
    *,
    now: datetime | None = None,
    files_dir: Path | None = None,
) -> DemoReport | None:
    """Fill the demo organization with the demo catalog and stock history; None (nothing
    written) when it already has warehouses or products. Raises DemoAccountMissing when
    there is no demo owner (``identity.seed_demo`` creates it)."""
    started = time.monotonic()
    size = size or DemoSize()
    progress = progress or _NoProgress()
    now = now or utcnow()
    principal = await demo_principal(database)
    if principal is None:
        raise DemoAccountMissing
    tenant_id = principal.tenant_id
    async with database.transaction(tenant_id) as session:
        if await _has_data(session, principal):
            return None

    rng = random.Random(size.seed)  # noqa: S311 - demo data, not secrets
    lines_per_day = size.movements * 0.6 / size.days
    catalog = build_catalog(size.products, rng, lines_per_day=lines_per_day)
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    stock_rng = random.Random(f"{size.seed}:stock")  # noqa: S311 - demo data, not secrets
    history = StockHistory(catalog, size, stock_rng, today - timedelta(days=size.days))
    report = DemoReport()
    async with database.transaction(tenant_id) as session:
        defer_product_indexing(session)  # thousands of products: indexed set-wise below
        ids = await _write_catalog(
            session, principal, catalog, history, size, now, progress, report
        )
        await flush_product_indexing(session, tenant_id)

    report.catalog_seconds = time.monotonic() - started
    progress.start("movements", size.movements)
    for day in range(size.days):
        batches = history.opening() if day == 0 else []
        batches += history.day(day)
        async with database.transaction(tenant_id) as session:
            for batch in batches:
                assert batch.at is not None
                await post_ledger(
                    session,
                    principal,
                    [_entry(line, ids) for line in batch.lines],
                    ids.refs,
                    ids.places,
                    batch.at,
                    reference=batch.reference,
                    note=batch.note,
                )
        written = sum(len(batch.lines) for batch in batches)
        report.movements += written
        report.batches += len(batches)
        progress.advance("movements", written)
    progress.start("movements", report.movements)  # "about" size.movements: now exactly

    wanted = max(2, min(25, size.products // 80))
    async with database.transaction(tenant_id) as session:
        for product, warehouse, quantity, reference in history.reservations(wanted):
            expires = None
            if report.reservations % 2:
                expires = now + timedelta(days=2 + report.reservations % 9)
            await create_reservation(
                session,
                principal,
                ReservationCreate(
                    product_id=ids.products[product],
                    location_id=ids.bins[(product, warehouse)],
                    quantity=quantity,
                    reference=reference,
                    expires_at=expires,
                ),
            )
            report.reservations += 1
        report.open_alerts = await _count_open_alerts(session, principal)
    products = [ids.refs[product_id] for product_id in ids.products]
    report.desk = await seed_demo_desk(
        database, principal, products, size, now, progress, files_dir=files_dir
    )
    knowledge_started = time.monotonic()
    report.knowledge = await seed_demo_knowledge(database, principal, now, seed=size.seed)
    report.knowledge_seconds = time.monotonic() - knowledge_started
    report.seconds = time.monotonic() - started
    return report


async def _count_open_alerts(session: AsyncSession, principal: Principal) -> int:
    count, cursor = 0, None
    while True:
        page = await list_alerts(
            session,
            principal,
            PageParams(limit=500, cursor=cursor),
            status=AlertStatus.OPEN,
            product_id=None,
            warehouse_id=None,
        )
        count += len(page.items)
        if page.next_cursor is None:
            return count
        cursor = page.next_cursor


__all__ = [
    "DemoAccountMissing",
    "DemoReport",
    "DemoSize",
    "SeedProgress",
    "seed_demo_data",
]
