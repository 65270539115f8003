"""The benchmark server: the real application plus two raw endpoints as baselines.

``GET /bench/raw-products/{id}`` does what a hand-written service would: one asyncpg
transaction that sets the tenant and selects the row by primary key, no auth, no ORM, no
Pydantic. ``POST /bench/raw-movements`` records a transfer the same way: one asyncpg
transaction running the statements of the application's movement (the writer's own SQL
strings) with no auth, no validation, no idempotency, no Pydantic and a one-line event
payload, so it is the floor of what a Python service sending these statements can do. Both
exist only in this benchmark process.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from quartermaster.api import create_app_from_environment
from quartermaster.catalog.repository import _PRODUCTS_BY_IDS
from quartermaster.core.events import _EMIT
from quartermaster.core.ids import new_id
from quartermaster.inventory.repository.writer import _APPEND, _APPLY, _PLACES


def create_bench_app() -> FastAPI:
    app = create_app_from_environment()
    tenant_id = os.environ["QM_BENCH_TENANT_ID"]
    user_id = os.environ.get("QM_BENCH_USER_ID", tenant_id)
    dsn = os.environ["QM_DATABASE_URL"]
    router = APIRouter()
    pool: dict[str, asyncpg.Pool] = {}

    @router.get("/bench/raw-products/{product_id}")
    async def raw_product(product_id: uuid.UUID) -> Response:
        async with pool["pool"].acquire() as connection, connection.transaction():
            await connection.execute("SELECT set_config('app.tenant_id', $1, true)", tenant_id)
            row = await connection.fetchrow(
                "SELECT id, sku, name, unit_code, version FROM products WHERE id = $1", product_id
            )
        body = {k: str(v) for k, v in dict(row).items()} if row else {}
        return Response(json.dumps(body), media_type="application/json")

    @router.post("/bench/raw-movements", status_code=201)
    async def raw_movement(request: Request) -> Response:
        body = json.loads(await request.body())
        product = uuid.UUID(body["product_id"])
        source, target = uuid.UUID(body["from_location_id"]), uuid.UUID(body["to_location_id"])
        quantity = Decimal(str(body["quantity"]))
        tenant, now = uuid.UUID(tenant_id), datetime.now(UTC)
        user = uuid.UUID(user_id)
        keys = sorted([(source, -quantity), (target, quantity)])
        async with pool["pool"].acquire() as connection, connection.transaction():
            # What an access token's request starts with (identity.repository._ENTER_MEMBER):
            # the tenant and user scope and the membership's token version, one round trip.
            await connection.fetchval("SELECT qm_enter_member($1, $2)", tenant, user)
            await connection.fetch(_PRODUCTS_BY_IDS, tenant, [product])
            await connection.fetch(_PLACES, tenant, [source, target])
            levels = await connection.fetch(
                _APPLY, tenant, [product, product], [key[0] for key in keys],
                [key[1] for key in keys], [Decimal(0), Decimal(0)], now, False,
            )  # fmt: skip
            if any(row[2] - row[3] < 0 for row in levels):
                raise RuntimeError("raw movement: insufficient stock")
            batch = new_id()
            await connection.execute(
                _APPEND, tenant, tenant, "raw", now, [new_id()], [batch], [1], ["transfer"],
                [product], [source], [target], [quantity], [None], [None], [None], [None],
            )  # fmt: skip
            await connection.execute(
                _EMIT, new_id(), tenant, "inventory.stock.moved", json.dumps({"batch": str(batch)})
            )
        return Response(json.dumps({"id": str(batch)}), 201, media_type="application/json")

    app.include_router(router)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[None]:
        pool["pool"] = await asyncpg.create_pool(dsn, min_size=4, max_size=10)
        try:
            async with inner(application):
                yield
        finally:
            await pool["pool"].close()

    app.router.lifespan_context = lifespan
    return app
