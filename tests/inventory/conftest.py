"""Factories for inventory tests: accounts through the identity API, products through the
catalog API, warehouses, locations and movements through the inventory API, and views of
the tenant's rows as the application role sees them."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from httpx import AsyncClient, Response

from quartermaster.core.db import Database
from quartermaster.core.settings import Settings
from quartermaster.inventory.public import LedgerMismatch, ledger_mismatches
from tests.catalog.conftest import Catalog, ok
from tests.conftest import Outbox, TestServices, plain
from tests.identity.conftest import Account, Identity

API = "/api/v1"


@pytest.fixture
def identity(client: AsyncClient, outbox: Outbox) -> Identity:
    return Identity(client, outbox)


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


@pytest.fixture
async def owner(identity: Identity) -> Account:
    return await identity.signup("Acme")


@pytest.fixture
def inventory(client: AsyncClient, owner: Account) -> Inventory:
    return Inventory(client, owner)


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    """A separate pool on the application role, for service-level checks."""
    db = Database(settings.database_url or "", pool_size=2, max_overflow=0)
    yield db
    await db.dispose()


async def mismatches(database: Database, tenant_id: str) -> list[LedgerMismatch]:
    tenant = uuid.UUID(tenant_id)
    async with database.transaction(tenant) as session:
        return await ledger_mismatches(session, tenant)


TABLES = ("warehouses", "locations", "stock_levels", "stock_movements", "idempotency_keys")


async def inventory_rows(
    services: TestServices, tenant_id: str, tables: tuple[str, ...] = (*TABLES, "outbox_events")
) -> dict[str, list[dict[str, Any]]]:
    """Every inventory and outbox row of the tenant, to show a rejection wrote nothing."""
    connection = await asyncpg.connect(plain(services.app_url))
    try:
        async with connection.transaction():
            await connection.execute("SELECT set_config('app.tenant_id', $1, true)", tenant_id)
            return {
                table: [
                    dict(row)
                    for row in await connection.fetch(
                        f"SELECT * FROM {table} ORDER BY 1, 2, 3"  # noqa: S608 - constant names
                    )
                ]
                for table in tables
            }
    finally:
        await connection.close()


async def outbox_types(services: TestServices, tenant_id: str) -> list[tuple[str, dict[str, Any]]]:
    connection = await asyncpg.connect(plain(services.app_url))
    try:
        async with connection.transaction():
            await connection.execute("SELECT set_config('app.tenant_id', $1, true)", tenant_id)
            rows = await connection.fetch("SELECT type, payload FROM outbox_events ORDER BY id")
    finally:
        await connection.close()
    return [(row["type"], json.loads(row["payload"])) for row in rows]
