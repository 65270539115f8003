"""Factories for catalog tests: accounts through the identity API, catalog rows through
the catalog API, and a look at the outbox as the application role sees it."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import pytest
from httpx import AsyncClient, Response

from tests.conftest import Outbox, TestServices, plain
from tests.identity.conftest import Account, Identity

API = "/api/v1"


@pytest.fixture
def identity(client: AsyncClient, outbox: Outbox) -> Identity:
    return Identity(client, outbox)


def ok(response: Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


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

    async def post(self, path: str, body: dict[str, Any]) -> Response:
        return await self.client.post(API + path, headers=self.headers, json=body)

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


@pytest.fixture
async def owner(identity: Identity) -> Account:
    return await identity.signup("Acme")


@pytest.fixture
def catalog(client: AsyncClient, owner: Account) -> Catalog:
    return Catalog(client, owner)


async def outbox(services: TestServices, tenant_id: str) -> list[tuple[str, dict[str, Any]]]:
    """(type, payload) of the tenant's outbox events, oldest first, read as the app role."""
    connection = await asyncpg.connect(plain(services.app_url))
    try:
        async with connection.transaction():
            await connection.execute("SELECT set_config('app.tenant_id', $1, true)", tenant_id)
            rows = await connection.fetch("SELECT type, payload FROM outbox_events ORDER BY id")
    finally:
        await connection.close()
    return [(row["type"], json.loads(row["payload"])) for row in rows]


async def catalog_rows(services: TestServices, tenant_id: str) -> dict[str, list[dict[str, Any]]]:
    """Every catalog and outbox row of the tenant, to show a rejected request wrote nothing."""
    connection = await asyncpg.connect(plain(services.app_url))
    tables = ("units", "categories", "products", "price_lists", "prices", "outbox_events")
    try:
        async with connection.transaction():
            await connection.execute("SELECT set_config('app.tenant_id', $1, true)", tenant_id)
            return {
                table: [
                    dict(row)
                    for row in await connection.fetch(
                        f"SELECT * FROM {table} ORDER BY id"  # noqa: S608 - constant names
                    )
                ]
                for table in tables
            }
    finally:
        await connection.close()
