"""Correct under concurrency, against a real server: a real Uvicorn on a real port, real
PostgreSQL, many simultaneous HTTP connections."""

from __future__ import annotations

import asyncio
import socket
import time
from collections import Counter
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
import uvicorn

from quartermaster.api import create_app
from quartermaster.core.db import Database
from quartermaster.core.settings import Settings
from tests.inventory.conftest import Inventory, mismatches

pytestmark = pytest.mark.slow

CONCURRENCY = 50


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
async def live_url(settings: Settings) -> AsyncIterator[str]:
    """A separate application instance served by Uvicorn in the test's event loop, with a
    pool large enough for every request to hold its own connection."""
    app = create_app(
        settings.model_copy(
            update={"database_pool_size": CONCURRENCY + 5, "database_max_overflow": 0}
        )
    )
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 30
    while not server.started:
        if task.done():
            task.result()
        assert time.monotonic() < deadline, "uvicorn did not start"
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def http(live_url: str) -> AsyncIterator[httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=CONCURRENCY * 2, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=live_url, limits=limits, timeout=60) as client:
        yield client


async def test_fifty_concurrent_issues_of_one_unit_with_ten_on_hand_sell_exactly_ten(
    inventory: Inventory, http: httpx.AsyncClient, database: Database
) -> None:
    warehouse = await inventory.warehouse("MAIN")
    location = warehouse["default_location_id"]
    product = (await inventory.product(sku="HOT"))["id"]
    await inventory.receive(product, location, "10")
    body = {"kind": "issue", "product_id": product, "from_location_id": location, "quantity": "1"}

    async def issue_one() -> httpx.Response:
        return await http.post("/api/v1/stock/movements", headers=inventory.headers, json=body)

    responses = await asyncio.gather(*(issue_one() for _ in range(CONCURRENCY)))

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 10, 409: 40}, [r.text for r in responses if r.status_code >= 500]
    refusals = [r.json() for r in responses if r.status_code == 409]
    assert {p["code"] for p in refusals} == {"insufficient-stock"}
    assert {(p["requested"], p["available"]) for p in refusals} == {("1", "0")}
    assert await inventory.on_hand(product, location) == 0
    assert await mismatches(database, inventory.account.tenant_id) == []
    moved = [r.json() for r in responses if r.status_code == 201]
    # Each success saw the level its own withdrawal left: 9, 8, …, 0, each exactly once.
    assert sorted(Decimal(b["levels"][0]["on_hand"]) for b in moved) == [
        Decimal(n) for n in range(10)
    ]


async def test_concurrent_batch_transfers_in_opposite_directions_never_deadlock(
    inventory: Inventory, http: httpx.AsyncClient, database: Database
) -> None:
    a = (await inventory.warehouse("A"))["default_location_id"]
    b = (await inventory.warehouse("B"))["default_location_id"]
    products = [(await inventory.product(sku=f"T{n}"))["id"] for n in range(3)]
    for product in products:
        for location in (a, b):
            await inventory.receive(product, location, "100")

    def batch(source: str, target: str, order: list[str]) -> dict[str, Any]:
        return {
            "reference": f"{source[:4]}->{target[:4]}",
            "lines": [
                {
                    "kind": "transfer",
                    "product_id": product,
                    "from_location_id": source,
                    "to_location_id": target,
                    "quantity": "1",
                }
                for product in order
            ],
        }

    # Opposite directions list the products in opposite orders too: a writer locking in
    # line order would deadlock at once.
    forward = batch(a, b, products)
    backward = batch(b, a, list(reversed(products)))
    rounds = 20

    async def post(body: dict[str, Any]) -> httpx.Response:
        return await http.post("/api/v1/stock/movements", headers=inventory.headers, json=body)

    responses = await asyncio.gather(
        *(post(body) for _ in range(rounds) for body in (forward, backward))
    )

    assert Counter(r.status_code for r in responses) == {201: 2 * rounds}, [
        r.text for r in responses if r.status_code != 201
    ]
    for product in products:
        assert await inventory.on_hand(product, a) + await inventory.on_hand(product, b) == 200
    assert await mismatches(database, inventory.account.tenant_id) == []
