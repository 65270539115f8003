"""What many test packages build the same way, written once: response checks, catalog and
inventory data through the HTTP API (``Catalog``, ``Inventory``), the tenant's rows as the
application role sees them (to prove a refused request wrote nothing), and the common
fixtures (``identity``, ``owner``, ``database``, ``catalog``, ``inventory``).

Registered for every test by ``pytest_plugins`` in ``tests/conftest.py``; a package's
conftest adds only what is its own (``Desk``, ``Jobs``, live servers…)."""

from __future__ import annotations

import asyncio
import inspect
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from httpx import AsyncClient, Response

from quartermaster.core.db import Database
from quartermaster.core.settings import Settings
from quartermaster.core.urls import API
from tests.conftest import Outbox, TestServices, plain
from tests.identity.conftest import Account, Identity

__all__ = [
    "API",
    "WAIT",
    "Catalog",
    "Inventory",
    "eventually",
    "new_uuid",
    "nothing_written",
    "ok",
    "outbox_events",
    "problem",
    "tenant_rows",
    "tenant_tables",
]


def ok(response: Response, status: int = 200) -> dict[str, Any]:
    """The JSON body of a response that must have ``status``."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def problem(response: Response, status: int, code: str) -> dict[str, Any]:
    """The problem+json body of a refusal that must have ``status`` and ``code``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


def new_uuid() -> str:
    return str(uuid.uuid4())


WAIT = 15.0  # a generous bound for "it happens", never a performance assertion


async def eventually(
    condition: Callable[[], object | Awaitable[object]],
    *,
    what: str = "the condition",
    within: float = WAIT,
) -> None:
    """Wait until ``condition()`` (sync or async) is true, polling with a deadline: how a
    test waits for what it expects to happen, instead of sleeping for a while."""
    deadline = time.monotonic() + within
    while True:
        value = condition()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return
        assert time.monotonic() < deadline, f"{what} did not happen within {within} s"
        await asyncio.sleep(0.005)


# The tenant's rows as the application role sees them (under RLS)


async def tenant_rows(
    services: TestServices, tenant_id: str, query: str, *args: object
) -> list[dict[str, Any]]:
    """``query`` as the application role scoped to the tenant."""
    connection = await asyncpg.connect(plain(services.app_url))
    try:
        async with connection.transaction():
            await connection.execute("SELECT set_config('app.tenant_id', $1, true)", tenant_id)
            return [dict(row) for row in await connection.fetch(query, *args)]
    finally:
        await connection.close()


async def tenant_tables(
    services: TestServices, tenant_id: str, tables: Sequence[str], *, order_by: str = "1, 2, 3"
) -> dict[str, list[dict[str, Any]]]:
    """Every row of each of ``tables`` in the tenant: compare before and after a refused
    request to show it wrote nothing."""
    connection = await asyncpg.connect(plain(services.app_url))
    try:
        async with connection.transaction():
            await connection.execute("SELECT set_config('app.tenant_id', $1, true)", tenant_id)
            return {
                table: [
                    dict(row)
                    for row in await connection.fetch(
                        f"SELECT * FROM {table} ORDER BY {order_by}"  # noqa: S608 - constants
                    )
                ]
                for table in tables
            }
    finally:
        await connection.close()


@asynccontextmanager
async def nothing_written(
    services: TestServices, tenant_id: str, tables: Sequence[str]
) -> AsyncIterator[None]:
    """Every row of each of ``tables`` in the tenant is the same after the block as before:
    wrap refused requests in it to show they wrote nothing (rows ordered by their text, so
    tables without a unique first column compare too)."""

    async def snapshot() -> dict[str, list[dict[str, Any]]]:
        connection = await asyncpg.connect(plain(services.app_url))
        try:
            async with connection.transaction():
                await connection.execute("SELECT set_config('app.tenant_id', $1, true)", tenant_id)
                return {
                    table: [
                        dict(row)
                        for row in await connection.fetch(
                            f"SELECT * FROM {table} AS t ORDER BY t::text"  # noqa: S608
                        )
                    ]
                    for table in tables
                }
        finally:
            await connection.close()

    before = await snapshot()
    yield
    after = await snapshot()
    changed = [table for table in tables if after[table] != before[table]]
    assert not changed, f"a refused request wrote to {changed}"


async def outbox_events(services: TestServices, tenant_id: str) -> list[tuple[str, dict[str, Any]]]:
    """(type, payload) of the tenant's outbox events, oldest first."""
    rows = await tenant_rows(
        services, tenant_id, "SELECT type, payload FROM outbox_events ORDER BY id"
    )
    return [(row["type"], json.loads(row["payload"])) for row in rows]


# Catalog and inventory data through the API


class Catalog:
    """Creates catalog data as one account (an owner unless told otherwise)."""

    def __init__(self, client: AsyncClient, account: Account) -> None:
        self.client = client
        self.account = account
        self._counter = 0

    @property
    def headers(self) -> dict[str, str]:
        return self.account.headers

    async def get(self, path: str, **params: Any) -> Response:
        return await self.client.get(API + path, headers=self.headers, params=params)

    async def post(
        self, path: str, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> Response:
        return await self.client.post(
            API + path, headers={**self.headers, **(headers or {})}, json=body
        )

    async def patch(
        self, path: str, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> Response:
        return await self.client.patch(
            API + path, headers={**self.headers, **(headers or {})}, json=body
        )

    async def delete(self, path: str, headers: dict[str, str] | None = None) -> Response:
        return await self.client.delete(API + path, headers={**self.headers, **(headers or {})})

    async def product(self, **fields: Any) -> dict[str, Any]:
        self._counter += 1
        body = {"sku": f"SKU-{self._counter:04d}", "name": f"Product {self._counter}", **fields}
        return ok(await self.post("/products", body), 201)

    async def category(self, name: str, parent_id: str | None = None) -> dict[str, Any]:
        return ok(await self.post("/categories", {"name": name, "parent_id": parent_id}), 201)

    async def price_list(
        self,
        name: str,
        currency: str = "EUR",
        *,
        is_default: bool = False,
        price_decimals: int | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"name": name, "currency": currency, "is_default": is_default}
        if price_decimals is not None:
            body["price_decimals"] = price_decimals
        return ok(await self.post("/price-lists", body), 201)

    async def price(
        self, product_id: str, price_list_id: str, amount: str, effective_from: str | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"price_list_id": price_list_id, "amount": amount}
        if effective_from is not None:
            body["effective_from"] = effective_from
        return ok(await self.post(f"/products/{product_id}/prices", body), 201)

    async def all_products(self, **params: Any) -> list[dict[str, Any]]:
        body = ok(await self.get("/products", limit=500, **params))
        assert body["next_cursor"] is None
        items: list[dict[str, Any]] = body["items"]
        return items


class Inventory(Catalog):
    """Creates catalog and inventory data and moves stock as one account."""

    def __init__(self, client: AsyncClient, account: Account) -> None:
        super().__init__(client, account)
        self._warehouses = 0

    async def warehouse(self, code: str | None = None, **fields: Any) -> dict[str, Any]:
        self._warehouses += 1
        body = {"code": code or f"WH{self._warehouses}", "name": f"Warehouse {code}", **fields}
        return ok(await self.post("/warehouses", body), 201)

    async def location(
        self, warehouse_id: str, code: str, *, allow_negative: bool = False
    ) -> dict[str, Any]:
        body = {
            "warehouse_id": warehouse_id,
            "code": code,
            "name": f"Location {code}",
            "allow_negative": allow_negative,
        }
        return ok(await self.post("/locations", body), 201)

    async def move(
        self, body: dict[str, Any], *, key: str | None = None, headers: dict[str, str] | None = None
    ) -> Response:
        extra = dict(headers or {})
        if key is not None:
            extra["Idempotency-Key"] = key
        return await self.client.post(
            API + "/stock/movements", headers={**self.headers, **extra}, json=body
        )

    async def receive(self, product_id: str, location_id: str, quantity: str) -> dict[str, Any]:
        body = {
            "kind": "receipt",
            "product_id": product_id,
            "to_location_id": location_id,
            "quantity": quantity,
        }
        return ok(await self.move(body), 201)

    async def levels(self, **params: Any) -> list[dict[str, Any]]:
        body = ok(await self.get("/stock/levels", limit=500, **params))
        assert body["next_cursor"] is None
        items: list[dict[str, Any]] = body["items"]
        return items

    async def on_hand(self, product_id: str, location_id: str) -> Decimal:
        rows = await self.levels(product_id=product_id, location_id=location_id)
        return Decimal(rows[0]["on_hand"]) if rows else Decimal(0)


# Fixtures


@pytest.fixture
def identity(client: AsyncClient, outbox: Outbox) -> Identity:
    return Identity(client, outbox)


@pytest.fixture
async def owner(identity: Identity) -> Account:
    """The owner of a new organization, "Acme"."""
    return await identity.signup("Acme")


@pytest.fixture
def catalog(client: AsyncClient, owner: Account) -> Catalog:
    return Catalog(client, owner)


@pytest.fixture
def inventory(client: AsyncClient, owner: Account) -> Inventory:
    return Inventory(client, owner)


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    """A separate pool on the application role, for service-level checks."""
    db = Database(settings.database_url or "", pool_size=4, max_overflow=0)
    yield db
    await db.dispose()
