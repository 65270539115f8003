"""GET /api/v1/exports/stock-levels.csv: the tenant's levels, streamed."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

from httpx import AsyncClient

from quartermaster.core.db import Database
from quartermaster.core.settings import Settings
from quartermaster.inventory.repository import LevelFilter
from quartermaster.inventory.service.exports import LEVEL_COLUMNS, level_csv
from tests.builders import problem
from tests.catalog.conftest import ok
from tests.identity.conftest import Identity
from tests.inventory.conftest import Inventory

URL = "/api/v1/exports/stock-levels.csv"


def parse(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8"))))


async def _stock(inventory: Inventory) -> dict[str, Any]:
    main = await inventory.warehouse("MAIN")
    east = await inventory.warehouse("EAST")
    bin_ = await inventory.location(main["id"], "A-01")
    bolt = await inventory.product(sku="BOLT-8", name="Bolt, M8", reorder_point="5")
    wire = await inventory.product(sku="wire-2", name='Wire "2 mm"', unit="m")
    await inventory.receive(bolt["id"], main["default_location_id"], "10")
    await inventory.receive(bolt["id"], bin_["id"], "3")
    await inventory.receive(wire["id"], east["default_location_id"], "12.5")
    reservation = {
        "product_id": bolt["id"],
        "location_id": main["default_location_id"],
        "quantity": "4",
        "reference": "SO-1",
    }
    ok(await inventory.post("/stock/reservations", reservation), 201)
    return {"main": main, "east": east, "bolt": bolt, "wire": wire}


async def test_exports_every_level_with_codes_quantities_and_available(
    inventory: Inventory, client: AsyncClient
) -> None:
    await _stock(inventory)
    response = await client.get(URL, headers=inventory.headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="stock-levels.csv"' in response.headers["content-disposition"]
    assert response.content.decode().splitlines()[0] == ",".join(LEVEL_COLUMNS)
    rows = [{k: v for k, v in row.items() if k != "updated_at"} for row in parse(response.content)]
    assert rows == [
        {
            "warehouse": "EAST",
            "location": "DEFAULT",
            "sku": "wire-2",
            "name": 'Wire "2 mm"',
            "unit": "m",
            "on_hand": "12.5",
            "reserved": "0",
            "available": "12.5",
        },
        {
            "warehouse": "MAIN",
            "location": "A-01",
            "sku": "BOLT-8",
            "name": "Bolt, M8",
            "unit": "pcs",
            "on_hand": "3",
            "reserved": "0",
            "available": "3",
        },
        {
            "warehouse": "MAIN",
            "location": "DEFAULT",
            "sku": "BOLT-8",
            "name": "Bolt, M8",
            "unit": "pcs",
            "on_hand": "10",
            "reserved": "4",
            "available": "6",
        },
    ]


async def test_filters_like_the_levels_list(inventory: Inventory, client: AsyncClient) -> None:
    stock = await _stock(inventory)
    by_warehouse = await client.get(
        URL, headers=inventory.headers, params={"warehouse_id": stock["east"]["id"]}
    )
    assert [row["sku"] for row in parse(by_warehouse.content)] == ["wire-2"]
    # MAIN holds 13 - 4 reserved = 9 bolts, above the reorder point 5.
    below = await client.get(URL, headers=inventory.headers, params={"below_reorder": "true"})
    assert parse(below.content) == []
    ok(
        await inventory.move(
            {
                "kind": "issue",
                "product_id": stock["bolt"]["id"],
                "from_location_id": stock["main"]["default_location_id"],
                "quantity": "5",
            }
        ),
        201,
    )
    below = await client.get(URL, headers=inventory.headers, params={"below_reorder": "true"})
    assert sorted(row["on_hand"] for row in parse(below.content)) == ["3", "5"]


async def test_exports_only_the_callers_tenant(
    inventory: Inventory, identity: Identity, client: AsyncClient
) -> None:
    await _stock(inventory)
    other = Inventory(client, await identity.signup("Other"))
    response = await client.get(URL, headers=other.headers)
    assert response.status_code == 200
    assert parse(response.content) == []
    foreign = await client.get(
        URL, headers=other.headers, params={"product_id": (await _first_product(inventory))}
    )
    assert parse(foreign.content) == []


async def _first_product(inventory: Inventory) -> str:
    product_id: str = ok(await inventory.get("/products"))["items"][0]["id"]
    return product_id


async def test_export_needs_authentication(client: AsyncClient) -> None:
    problem(await client.get(URL), 401, "unauthenticated")


async def test_a_viewer_may_export(
    inventory: Inventory, identity: Identity, client: AsyncClient
) -> None:
    await _stock(inventory)
    viewer = await identity.member(inventory.account, "viewer")
    response = await client.get(URL, headers=viewer.headers)
    assert response.status_code == 200
    assert len(parse(response.content)) == 3


async def test_the_export_streams_in_batches_not_one_buffer(
    inventory: Inventory, settings: Settings
) -> None:
    await _stock(inventory)
    database = Database(str(settings.database_url))
    try:
        chunks = [
            chunk
            async for chunk in level_csv(
                database, uuid.UUID(inventory.account.tenant_id), LevelFilter(), batch=2
            )
        ]
    finally:
        await database.dispose()
    # Header, then ceil(3 / 2) batches: rows are written as the cursor yields them.
    assert len(chunks) == 1 + 2
    assert len(parse(b"".join(chunks))) == 3
