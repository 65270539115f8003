"""The benchmark server: the real application plus two raw endpoints as baselines.

``GET /bench/raw-products/{id}`` does what a hand-written service would: one asyncpg
transaction that sends the application's own statements (the member's scope, as every
request with an access token starts, then the same SQL string as ``GET
/api/v1/products/{id}``), no token check, no ORM, no Pydantic.
``POST /bench/raw-movements`` records a transfer the same way: one asyncpg transaction
running the statements of the application's movement (the writer's own SQL strings; with
an ``Idempotency-Key`` header, the key's claim and stored response too; for a transfer
between warehouses, the low-stock alert statements), with no auth, no validation, no
Pydantic and a one-line event payload and response, so it is the floor of what a Python
service sending these statements can do. What it leaves out: the relay's wake-up (one
NOTIFY after a burst of commits, on the app's own connection). Both exist only in this
benchmark process, and are the first routes tried (the application's middleware runs for
them too, its route table does not).
"""

from __future__ import annotations

import hashlib
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
from quartermaster.catalog.repository.products import _PRODUCT_READ, _PRODUCTS_BY_IDS
from quartermaster.core.db import request_limits
from quartermaster.core.events import _EMIT
from quartermaster.core.ids import new_id
from quartermaster.core.settings import get_settings
from quartermaster.identity.repository import _ENTER_MEMBER_LIMITED
from quartermaster.inventory.repository.idempotency import _CLAIM as _CLAIM_KEY
from quartermaster.inventory.repository.idempotency import _STORE_RESPONSE
from quartermaster.inventory.repository.writer import (
    _APPEND,
    _APPLY,
    _AVAILABILITY,
    _LOCK_PAIRS,
    _PLACES,
    _RAISE,
    _RESOLVE,
)

# The replay's read (through SQLAlchemy in the app; never taken by the benchmark's fresh
# keys), as plain SQL.
_STORED_KEY = (
    "SELECT response_status, response_body::text FROM idempotency_keys"
    " WHERE tenant_id = $1 AND key = $2"
)


def create_bench_app() -> FastAPI:
    app = create_app_from_environment()
    tenant_id = os.environ["QM_BENCH_TENANT_ID"]
    user_id = os.environ.get("QM_BENCH_USER_ID", tenant_id)
    dsn = os.environ["QM_DATABASE_URL"]
    limits = request_limits(get_settings())
    router = APIRouter()
    pool: dict[str, asyncpg.Pool] = {}

    @router.get("/bench/raw-products/{product_id}")
    async def raw_product(product_id: uuid.UUID) -> Response:
        tenant, user = uuid.UUID(tenant_id), uuid.UUID(user_id)
        async with pool["pool"].acquire() as connection, connection.transaction():
            # The app's first statement too (as the raw movement's): the tenant and user
            # scope, the membership's token version, the transaction's limits.
            await connection.fetchval(
                _ENTER_MEMBER_LIMITED, tenant, user, limits.statement_timeout_ms,
                limits.idle_in_transaction_timeout_ms,
            )  # fmt: skip
            row = await connection.fetchrow(_PRODUCT_READ, tenant, product_id)
        if row is None:
            return Response(status_code=404)
        body = {key: value if value is None else str(value) for key, value in row.items()}
        return Response(json.dumps(body), media_type="application/json")

    @router.post("/bench/raw-movements", status_code=201)
    async def raw_movement(request: Request) -> Response:
        raw_body = await request.body()
        body = json.loads(raw_body)
        key = request.headers.get("idempotency-key")
        product = uuid.UUID(body["product_id"])
        source, target = uuid.UUID(body["from_location_id"]), uuid.UUID(body["to_location_id"])
        quantity = Decimal(str(body["quantity"]))
        tenant, now = uuid.UUID(tenant_id), datetime.now(UTC)
        user = uuid.UUID(user_id)
        changes = sorted([(source, -quantity), (target, quantity)])
        async with pool["pool"].acquire() as connection, connection.transaction():
            # What an access token's request starts with (identity.repository): the tenant
            # and user scope, the membership's token version and the transaction's limits,
            # one round trip.
            await connection.fetchval(
                _ENTER_MEMBER_LIMITED, tenant, user, limits.statement_timeout_ms,
                limits.idle_in_transaction_timeout_ms,
            )  # fmt: skip
            if key is not None:
                fingerprint = hashlib.sha256(raw_body).hexdigest()
                if await connection.fetchval(_CLAIM_KEY, tenant, key, fingerprint, now) is None:
                    status, stored = await connection.fetchrow(_STORED_KEY, tenant, key)
                    return Response(stored, status, media_type="application/json")
            (found,) = await connection.fetch(_PRODUCTS_BY_IDS, tenant, [product])
            places = await connection.fetch(_PLACES, tenant, [source, target])
            levels = await connection.fetch(
                _APPLY, tenant, [product, product], [c[0] for c in changes],
                [c[1] for c in changes], [Decimal(0), Decimal(0)], now, False,
            )  # fmt: skip
            if any(row[2] - row[3] < 0 for row in levels):
                raise RuntimeError("raw movement: insufficient stock")
            batch = new_id()
            await connection.execute(
                _APPEND, tenant, tenant, "raw", now, [new_id()], [batch], [1], ["transfer"],
                [product], [source], [target], [quantity], [None], [None], [None], [None],
            )  # fmt: skip
            await connection.execute(
                _EMIT, new_id(), tenant, "inventory.stock.moved",
                json.dumps({"batch": str(batch)}), None,  # no trace context: tracing is off
            )  # fmt: skip
            warehouse = {row[0]: row[3] for row in places}
            if warehouse[source] != warehouse[target]:
                # Both warehouses' available totals changed: the alert path, as the writer.
                pairs = sorted({(product, warehouse[source]), (product, warehouse[target])})
                await connection.execute(
                    _LOCK_PAIRS, [f"stock_alert:{tenant}:{p}:{w}" for p, w in pairs]
                )
                rows = await connection.fetch(
                    _AVAILABILITY, tenant, [p for p, _ in pairs], [w for _, w in pairs]
                )
                available = {(row[0], row[1]): row[2] for row in rows}
                point = found[5]
                below = [p for p in pairs if point > 0 and available.get(p, 0) <= point]
                above = [p for p in pairs if p not in below]
                if below:
                    await connection.fetch(
                        _RAISE, tenant, [new_id() for _ in below], [p for p, _ in below],
                        [w for _, w in below], now,
                    )  # fmt: skip
                if above:
                    await connection.fetch(
                        _RESOLVE, tenant, [p for p, _ in above], [w for _, w in above], now
                    )
            response = json.dumps({"id": str(batch)})
            if key is not None:
                await connection.execute(_STORE_RESPONSE, tenant, key, 201, response)
        return Response(response, 201, media_type="application/json")

    # Matched before the application's routes: a request is routed by trying the routes in
    # order, and at the end of the table (~150 routes) a raw request spent 40-50 % of
    # its CPU finding its route (measured 2026-12-02), a cost no hand-written service has.
    app.include_router(router)
    app.router.routes.insert(0, app.router.routes.pop())
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[None]:
        # As many connections as the app's pool (QM_DATABASE_POOL_SIZE, 16 in the benchmarks).
        size = int(os.environ.get("QM_DATABASE_POOL_SIZE", "10"))
        pool["pool"] = await asyncpg.create_pool(dsn, min_size=4, max_size=size)
        try:
            async with inner(application):
                yield
        finally:
            await pool["pool"].close()

    app.router.lifespan_context = lifespan
    return app
