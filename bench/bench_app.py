"""The benchmark server: the real application plus one raw endpoint as a baseline.

``GET /bench/raw-products/{id}`` does what a hand-written service would: one asyncpg
transaction that sets the tenant and selects the row by primary key, no auth, no ORM, no
Pydantic. It exists only in this benchmark process.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from fastapi import APIRouter, FastAPI
from fastapi.responses import Response

from quartermaster.api import create_app_from_environment


def create_bench_app() -> FastAPI:
    app = create_app_from_environment()
    tenant_id = os.environ["QM_BENCH_TENANT_ID"]
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
