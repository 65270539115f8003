"""`qm seed-demo`'s data: a small demo organization, written through the services, checked
as the application role sees it (RLS) and against the ledger."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest

from quartermaster.catalog.schemas import BarcodeType, barcode_problem
from quartermaster.core.clock import utcnow
from quartermaster.core.db import Database
from quartermaster.core.security import PasswordHasher
from quartermaster.core.settings import Settings
from quartermaster.demo.catalog import DemoSize, build_catalog, ean13, max_products
from quartermaster.demo.seed import seed_demo_data
from quartermaster.identity.public import demo_principal, seed_demo
from quartermaster.inventory.public import ledger_mismatches

from .conftest import TestServices, plain

SMALL = DemoSize(products=40, movements=400, days=20, seed=7, tickets=40)


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    db = Database(settings.database_url or "", pool_size=1, max_overflow=0)
    yield db
    await db.dispose()


async def tenant_rows(
    services: TestServices, tenant_id: uuid.UUID, query: str, *args: object
) -> list[asyncpg.Record]:
    """Rows of a query as the API's role sees them in the demo organization."""
    connection = await asyncpg.connect(plain(services.app_url))
    try:
        async with connection.transaction():
            await connection.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant_id))
            rows: list[asyncpg.Record] = await connection.fetch(query, *args)
            return rows
    finally:
        await connection.close()


def test_skus_are_plausible_unique_and_follow_the_seed() -> None:
    def skus(seed: int, count: int = 300) -> list[str]:
        catalog = build_catalog(count, random.Random(seed), lines_per_day=10)
        return [product.sku for product in catalog.products]

    first = skus(1)
    assert first == skus(1)
    assert first != skus(2)
    assert len(set(first)) == len(first) == 300
    assert any(sku.startswith("FAS-HB-M") for sku in skus(1, 2000))
    assert max_products() >= 2000


def test_barcodes_are_ean13_with_a_valid_check_digit() -> None:
    assert ean13("400638133393") == "4006381333931"  # a real EAN-13
    catalog = build_catalog(500, random.Random(3), lines_per_day=10)
    barcodes = [p.barcode for p in catalog.products if p.barcode is not None]
    assert len(barcodes) > 400
    assert len(set(barcodes)) == len(barcodes)
    for barcode in barcodes:
        assert len(barcode) == 13
        assert ean13(barcode[:12]) == barcode
        # What the products API checks for barcode_type ean13, which the demo declares.
        assert barcode_problem(barcode, BarcodeType.EAN13) is None


async def test_seed_fills_the_demo_organization_consistently_and_only_once(
    database: Database, services: TestServices
) -> None:
    assert await seed_demo(
        database, PasswordHasher(time_cost=1, memory_kib=1024), password="demo-password-1"
    )
    started = utcnow()
    report = await seed_demo_data(database, SMALL)
    assert report is not None
    principal = await demo_principal(database)
    assert principal is not None
    tenant = principal.tenant_id

    async def rows(query: str, *args: object) -> list[asyncpg.Record]:
        return await tenant_rows(services, tenant, query, *args)

    async def value(query: str, *args: object) -> object:
        return (await rows(query, *args))[0][0]

    # A category tree three levels deep.
    depth = await value(
        """WITH RECURSIVE tree AS (
             SELECT id, 0 AS depth FROM categories WHERE parent_id IS NULL
             UNION ALL SELECT c.id, t.depth + 1 FROM categories c JOIN tree t ON c.parent_id = t.id)
           SELECT max(depth) FROM tree"""
    )
    assert depth == 2
    assert await value("SELECT count(*) FROM categories WHERE parent_id IS NULL") == 6

    # The products the seed promises, in every unit the catalog uses.
    products = await rows("SELECT sku, unit_code, barcode, barcode_type FROM products ORDER BY sku")
    expected = build_catalog(SMALL.products, random.Random(SMALL.seed), lines_per_day=1)
    assert [r["sku"] for r in products] == sorted(p.sku for p in expected.products)
    assert sum(r["barcode"] is not None for r in products) > SMALL.products // 2
    assert {r["barcode_type"] for r in products if r["barcode"] is not None} == {"ean13"}

    # Three warehouses, each with its default location and bins.
    warehouses = await rows(
        """SELECT w.code, count(*) FILTER (WHERE l.is_default) AS defaults, count(*) AS locations
           FROM warehouses w JOIN locations l ON l.warehouse_id = w.id GROUP BY w.code"""
    )
    assert {r["code"] for r in warehouses} == {"MAIN", "EAST", "WEST"}
    assert all(r["defaults"] == 1 and r["locations"] >= 10 for r in warehouses)
    assert report.locations == sum(r["locations"] for r in warehouses)

    # Two price lists; every product has a current price in each, some have history.
    lists = await rows("SELECT name, is_default FROM price_lists ORDER BY name")
    assert [(r["name"], r["is_default"]) for r in lists] == [
        ("Retail EUR", True),
        ("Wholesale EUR", False),
    ]
    current = await value(
        "SELECT count(DISTINCT (product_id, price_list_id)) FROM prices WHERE effective_from <= $1",
        started,
    )
    assert current == SMALL.products * 2
    assert await value("SELECT count(*) FROM prices") > SMALL.products * 2

    # About the requested number of movements, of every kind, spread over the past days.
    summary = (
        await rows(
            """SELECT count(*) AS lines, count(DISTINCT batch_id) AS batches,
                      min(recorded_at) AS first, max(recorded_at) AS last,
                      count(DISTINCT recorded_at::date) AS days,
                      array_agg(DISTINCT kind) AS kinds,
                      count(*) FILTER (WHERE kind = 'receipt' AND unit_cost IS NULL) AS uncosted
               FROM stock_movements"""
        )
    )[0]
    assert 0.9 * SMALL.movements <= summary["lines"] <= 1.1 * SMALL.movements
    assert (summary["lines"], summary["batches"]) == (report.movements, report.batches)
    assert set(summary["kinds"]) == {"receipt", "issue", "transfer", "adjustment"}
    assert summary["uncosted"] == 0
    assert summary["last"] < started
    assert summary["first"] >= started - timedelta(days=SMALL.days + 1)
    assert summary["days"] >= SMALL.days - 2
    assert (
        await value("SELECT count(*) FROM outbox_events WHERE type = 'inventory.stock.moved'")
        == report.batches
    )

    # The ledger proves the levels, and nothing is below zero.
    async with database.transaction(tenant) as session:
        assert await ledger_mismatches(session, tenant) == []
    assert await value("SELECT min(on_hand - reserved) FROM stock_levels") >= 0

    # A few products at or below their reorder point, each with an open alert.
    low = await rows(
        """SELECT s.product_id, l.warehouse_id
           FROM stock_levels s JOIN locations l ON l.id = s.location_id
           JOIN products p ON p.id = s.product_id
           WHERE p.reorder_point > 0
           GROUP BY s.product_id, l.warehouse_id, p.reorder_point
           HAVING sum(s.on_hand - s.reserved) <= p.reorder_point"""
    )
    alerts = await rows("SELECT product_id, warehouse_id FROM stock_alerts WHERE status = 'open'")
    assert {tuple(r) for r in alerts} == {tuple(r) for r in low}
    low_products = {r["product_id"] for r in low}
    assert 1 <= len(low_products) <= SMALL.products * 0.15
    assert report.open_alerts == len(alerts)

    # Open orders hold some stock.
    reserved = await rows("SELECT quantity FROM reservations WHERE status = 'active'")
    assert len(reserved) == report.reservations >= 2
    assert all(r["quantity"] > Decimal(0) for r in reserved)

    # A service desk: agents in two teams, an SLA policy, tickets over the same days, some
    # by e-mail, some about products, some breached, some rated, all through the services.
    desk = report.desk
    assert desk is not None
    assert desk.agents == 4
    assert await value("SELECT count(*) FROM teams") == 2
    assert await value("SELECT count(*) FROM sla_policies WHERE is_default") == 1
    tickets = (
        await rows(
            """SELECT count(*) AS n, count(*) FILTER (WHERE channel = 'email') AS email,
                      count(*) FILTER (WHERE cardinality(product_ids) > 0) AS products,
                      count(*) FILTER (WHERE breached_at IS NOT NULL) AS breached,
                      count(*) FILTER (WHERE assignee_id IS NOT NULL) AS assigned,
                      count(DISTINCT status) AS statuses,
                      min(number) AS first, max(number) AS last,
                      min(created_at) AS earliest, max(created_at) AS latest
               FROM tickets"""
        )
    )[0]
    assert tickets["n"] == desk.tickets == SMALL.tickets
    assert (tickets["first"], tickets["last"]) == (1001, 1000 + SMALL.tickets)
    assert tickets["email"] == desk.by_email > 0
    assert tickets["products"] == desk.with_products > 0
    assert tickets["breached"] == desk.breached > 0
    assert tickets["assigned"] == tickets["n"]
    assert tickets["statuses"] >= 3
    assert started - timedelta(days=SMALL.days + 1) <= tickets["earliest"]
    assert tickets["latest"] < started
    rated = await value("SELECT count(*) FROM csat_surveys WHERE score IS NOT NULL")
    assert rated == desk.rated > 0
    assert (
        await value(
            "SELECT count(*) FROM outbox_events WHERE type = 'servicedesk.ticket.sla_breached'"
        )
        == desk.breached
    )
    # Every breach was marked at a time its ticket's clock had really run out.
    assert (
        await value(
            """SELECT count(*) FROM tickets WHERE breached_at IS NOT NULL
               AND NOT (first_response_due_at < breached_at OR resolution_due_at < breached_at)"""
        )
        == 0
    )

    # The knowledge base: ~60 articles in a tree of collections, written as revisions.
    kb = report.knowledge
    assert kb is not None
    articles = (
        await rows(
            """SELECT count(*) AS n,
                      count(*) FILTER (WHERE status = 'draft') AS drafts,
                      count(*) FILTER (WHERE visibility = 'internal') AS internal,
                      count(*) FILTER (WHERE status = 'published' AND visibility = 'public')
                          AS public,
                      count(*) FILTER (WHERE revision >= 3) AS edited,
                      count(DISTINCT collection_id) AS collections
               FROM kb_articles"""
        )
    )[0]
    assert 55 <= articles["n"] == kb.articles <= 70
    assert articles["drafts"] == kb.drafts > 0
    assert articles["internal"] == kb.internal > 0
    assert articles["public"] > 40
    assert articles["edited"] >= 3
    assert articles["collections"] >= 8
    assert await value("SELECT count(*) FROM kb_article_revisions") == kb.revisions
    assert await value("SELECT count(*) FROM kb_collections WHERE parent_id IS NOT NULL") >= 6
    assert (
        await value("SELECT count(*) FROM outbox_events WHERE type LIKE 'knowledge.article.%'")
        == kb.revisions
    )
    # Every product, ticket and article is in the search index (indexed set-wise by the seed).
    assert await value("SELECT count(*) FROM search_documents WHERE type = 'product'") == (
        SMALL.products
    )
    assert await value("SELECT count(*) FROM search_documents WHERE type = 'ticket'") == (
        await value("SELECT count(*) FROM tickets")
    )
    assert await value("SELECT count(*) FROM search_documents WHERE type = 'article'") == (
        kb.articles
    )

    # Seeding again adds nothing.
    assert await seed_demo_data(database, SMALL) is None
    assert await value("SELECT count(*) FROM stock_movements") == report.movements
    assert await value("SELECT count(*) FROM products") == SMALL.products


def test_first_embedded_start_fills_the_demo_organization_once(
    settings: Settings, services: TestServices, tmp_path: Path
) -> None:
    from quartermaster.cli_demo import _seed_demo_once

    size = DemoSize(products=12, movements=80, days=4, tickets=8)
    first_start = settings.model_copy(update={"data_dir": tmp_path})
    login = _seed_demo_once(first_start, size=size)
    assert login is not None
    assert login["email"] == "demo@example.com"
    stored = json.loads((tmp_path / "demo-login.json").read_text())
    assert stored == {**login, "data": "seeded"}

    async def products() -> int:
        database = Database(settings.database_url or "", pool_size=1, max_overflow=0)
        try:
            principal = await demo_principal(database)
        finally:
            await database.dispose()
        assert principal is not None
        rows = await tenant_rows(services, principal.tenant_id, "SELECT count(*) FROM products")
        count: int = rows[0][0]
        return count

    assert asyncio.run(products()) == 12

    # A start interrupted while seeding tries again; the seed finds its data and adds none.
    (tmp_path / "demo-login.json").write_text(json.dumps({**stored, "data": "pending"}))
    assert _seed_demo_once(first_start, size=size) == {**login, "data": "seeded"}
    # Later starts only read the login.
    assert _seed_demo_once(first_start, size=size) == {**login, "data": "seeded"}
    assert asyncio.run(products()) == 12


def test_the_first_serve_fills_the_demo_in_the_background_and_can_be_stopped(
    settings: Settings, services: TestServices, tmp_path: Path
) -> None:
    from quartermaster.cli_demo import _DemoFiller, _seed_demo_once

    first_start = settings.model_copy(update={"data_dir": tmp_path})
    login = _seed_demo_once(first_start, background=True)
    assert login is not None
    assert login["data"] == "pending"  # the API starts before the data exists

    stopped = _DemoFiller(
        first_start, dict(login), DemoSize(products=12, movements=80, days=4, tickets=8)
    )
    stopped.stop()  # a stop before the first batch: nothing is written, still pending
    stopped._run()
    assert json.loads((tmp_path / "demo-login.json").read_text())["data"] == "pending"

    filler = _DemoFiller(
        first_start, dict(login), DemoSize(products=12, movements=80, days=4, tickets=8)
    )
    filler.start()
    filler._thread.join(timeout=120)
    assert not filler._thread.is_alive()
    assert json.loads((tmp_path / "demo-login.json").read_text())["data"] == "seeded"
