"""Migration 0012 (ergonomics) on a database that already has data: reservations fulfilled
before partial fulfilment existed, and price lists whose prices predate their precision."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from quartermaster.core import migrate
from tests.catalog.conftest import ok
from tests.conftest import TestServices, plain
from tests.inventory.conftest import Inventory


async def _owner_rows(
    services: TestServices, tenant_id: str, query: str, *args: Any
) -> list[dict[str, Any]]:
    connection = await asyncpg.connect(plain(services.owner_url))
    try:
        async with connection.transaction():
            await connection.execute("SELECT set_config('app.tenant_id', $1, true)", tenant_id)
            return [dict(row) for row in await connection.fetch(query, *args)]
    finally:
        await connection.close()


async def test_the_upgrade_backfills_fulfilled_quantities_and_price_precisions(
    inventory: Inventory, services: TestServices
) -> None:
    warehouse = await inventory.warehouse("A")
    place = warehouse["default_location_id"]
    bolt = await inventory.product(sku="BOLT")
    await inventory.receive(bolt["id"], place, "10")
    reserve = {"product_id": bolt["id"], "location_id": place, "reference": "SO-1"}
    done = ok(await inventory.post("/stock/reservations", {**reserve, "quantity": "4"}), 201)
    ok(await inventory.post(f"/stock/reservations/{done['id']}/fulfil", {}))
    held = ok(await inventory.post("/stock/reservations", {**reserve, "quantity": "3"}), 201)
    fine = await inventory.price_list("Fine EUR", "EUR", price_decimals=4)
    plain_eur = await inventory.price_list("Retail EUR", "EUR")
    await inventory.price_list("Yen", "JPY")
    await inventory.price(bolt["id"], fine["id"], "0.0455")
    await inventory.price(bolt["id"], plain_eur["id"], "10.50")

    tenant = inventory.account.tenant_id
    app_role = migrate.application_role(services.app_url, services.owner_url)
    try:
        await asyncio.to_thread(migrate.downgrade, services.owner_url, steps=1)
        columns = await _owner_rows(
            services,
            tenant,
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE column_name IN ('fulfilled_quantity', 'price_decimals', 'barcode_type')",
        )
        assert columns == []
        # What the old schema allowed: any number of places in any list.
        await _owner_rows(
            services,
            tenant,
            "INSERT INTO prices (id, tenant_id, product_id, price_list_id, amount, effective_from)"
            " VALUES (gen_random_uuid(), $1::uuid, $2::uuid, $3::uuid, 1.999, now())",
            tenant,
            bolt["id"],
            plain_eur["id"],
        )
    finally:
        await asyncio.to_thread(migrate.upgrade, services.owner_url, app_role=app_role)

    reservations = await _owner_rows(
        services, tenant, "SELECT id::text, status, fulfilled_quantity FROM reservations"
    )
    assert {(r["id"], r["status"], str(r["fulfilled_quantity"])) for r in reservations} == {
        (done["id"], "fulfilled", "4"),
        (held["id"], "active", "0"),
    }
    lists = await _owner_rows(services, tenant, "SELECT name, price_decimals FROM price_lists")
    # EUR's 2 unless the list's prices already have more (0.0455: 4; 1.999: 3); JPY's 0.
    assert {r["name"]: r["price_decimals"] for r in lists} == {
        "Fine EUR": 4,
        "Retail EUR": 3,
        "Yen": 0,
    }
    fetched = ok(await inventory.get(f"/stock/reservations/{held['id']}"))
    assert (fetched["fulfilled_quantity"], fetched["open_quantity"]) == ("0", "3")
    assert ok(await inventory.get(f"/products/{bolt['id']}"))["barcode_type"] == "other"
