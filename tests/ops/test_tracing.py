"""OpenTelemetry traces, recorded by an in-memory exporter: a request's trace continues
through the outbox row into the event's publication and through the job row into the
job's run, with SQL and Redis spans; off (the default), nothing is stored or recorded."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from httpx import ASGITransport, AsyncClient
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from redis.asyncio import Redis

from quartermaster.api import create_app
from quartermaster.core.redis import create_redis
from quartermaster.core.relay import OutboxRelay
from quartermaster.core.settings import Settings
from quartermaster.core.tracing import setup_tracing, shutdown_tracing, tracing_enabled
from quartermaster.realtime.public import channel_of
from tests.conftest import TestServices, plain
from tests.identity.conftest import Identity
from tests.inventory.conftest import Inventory
from tests.jobs.conftest import run_queued_jobs


@pytest.fixture
def traced_settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(update={"jobs_files_dir": tmp_path / "jobs"})


@pytest.fixture
async def exporter(traced_settings: Settings) -> AsyncIterator[InMemorySpanExporter]:
    spans = InMemorySpanExporter()
    assert setup_tracing(traced_settings, "quartermaster-test", exporter=spans)
    yield spans
    shutdown_tracing()
    assert not tracing_enabled()


@pytest.fixture
async def traced(
    exporter: InMemorySpanExporter, traced_settings: Settings
) -> AsyncIterator[AsyncClient]:
    app = create_app(traced_settings)  # tracing is on: the app gets the HTTP middleware
    async with (
        app.router.lifespan_context(app),
        AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as client,
    ):
        yield client


def new_traceparent() -> tuple[str, str]:
    trace_id = secrets.token_hex(16)
    return trace_id, f"00-{trace_id}-{secrets.token_hex(8)}-01"


def in_trace(exporter: InMemorySpanExporter, trace_id: str) -> list[ReadableSpan]:
    return [
        span
        for span in exporter.get_finished_spans()
        if span.context is not None and format(span.context.trace_id, "032x") == trace_id
    ]


async def outbox_trace_contexts(services: TestServices, tenant_id: str) -> list[str | None]:
    connection = await asyncpg.connect(plain(services.owner_url))
    try:
        rows = await connection.fetch(
            "SELECT trace_context FROM outbox_events WHERE tenant_id = $1 AND type = $2",
            uuid.UUID(tenant_id),
            "inventory.stock.moved",
        )
        return [row["trace_context"] for row in rows]
    finally:
        await connection.close()


async def stocked(client: AsyncClient) -> tuple[Inventory, dict[str, Any], dict[str, Any]]:
    owner = await Identity(client).signup("Traced")
    stock = Inventory(client, owner)
    warehouse = await stock.warehouse("MAIN")
    location = await stock.location(warehouse["id"], "A")
    product = await stock.product()
    return stock, product, location


async def test_a_request_continues_through_the_outbox_into_the_events_publication(
    traced: AsyncClient,
    exporter: InMemorySpanExporter,
    traced_settings: Settings,
    services: TestServices,
) -> None:
    stock, product, location = await stocked(traced)
    trace_id, traceparent = new_traceparent()
    body = {
        "kind": "receipt",
        "product_id": product["id"],
        "to_location_id": location["id"],
        "quantity": "3",
    }
    moved = await stock.move(body, headers={"traceparent": traceparent})
    assert moved.status_code == 201, moved.text

    request = in_trace(exporter, trace_id)
    server = [s for s in request if s.kind is SpanKind.SERVER]
    assert [s.name for s in server] == ["POST /api/v1/stock/movements"]
    statements = [str((s.attributes or {}).get("db.statement", "")) for s in request]
    assert any("INSERT INTO stock_movements" in sql for sql in statements)
    assert any("INSERT INTO outbox_events" in sql for sql in statements)
    # The outbox row carries the request's trace …
    contexts = await outbox_trace_contexts(services, stock.account.tenant_id)
    assert len(contexts) == 1
    assert contexts[0] is not None
    assert contexts[0].split("-")[1] == trace_id

    # … which the relay continues when it publishes the event.
    assert traced_settings.redis_url is not None
    redis: Redis = create_redis(traced_settings.redis_url)
    try:
        relay = OutboxRelay(services.owner_url, redis, channel_of)
        assert await relay.publish_pending() >= 1
    finally:
        await redis.aclose()
    published = [s for s in in_trace(exporter, trace_id) if s.kind is SpanKind.PRODUCER]
    assert [s.name for s in published] == ["publish inventory.stock.moved"]
    span_ids = {s.context.span_id for s in request if s.context is not None}
    assert published[0].parent is not None
    assert published[0].parent.span_id in span_ids  # a child of the request's work
    batches = [s for s in exporter.get_finished_spans() if s.name == "outbox relay batch"]
    assert batches
    batch_traces = {s.context.trace_id for s in batches if s.context is not None}
    redis_spans = [
        s
        for s in exporter.get_finished_spans()
        if (s.attributes or {}).get("db.system") == "redis"
        and s.context is not None
        and s.context.trace_id in batch_traces
    ]
    assert any(s.name.startswith("EVALSHA") for s in redis_spans), [s.name for s in redis_spans]


async def test_a_request_continues_through_the_job_row_into_the_jobs_run(
    traced: AsyncClient, exporter: InMemorySpanExporter, traced_settings: Settings
) -> None:
    stock, _, _ = await stocked(traced)
    trace_id, traceparent = new_traceparent()
    submitted = await traced.post(
        "/api/v1/exports/stock-levels",
        headers={**stock.headers, "traceparent": traceparent},
    )
    assert submitted.status_code == 202, submitted.text
    assert await run_queued_jobs(traced_settings) == 1

    spans = in_trace(exporter, trace_id)
    jobs = [s for s in spans if s.kind is SpanKind.CONSUMER]
    assert [s.name for s in jobs] == ["job stock_levels_export"]
    job_span = jobs[0]
    assert job_span.attributes is not None
    assert job_span.attributes["quartermaster.job_id"] == submitted.json()["id"]
    # The job's own SQL is inside its span.
    assert job_span.context is not None
    children = [
        s for s in spans if s.parent is not None and s.parent.span_id == job_span.context.span_id
    ]
    assert any((s.attributes or {}).get("db.system") == "postgresql" for s in children)


async def test_off_by_default_nothing_is_stored(
    client: AsyncClient, services: TestServices
) -> None:
    assert not tracing_enabled()
    stock, product, location = await stocked(client)
    _, traceparent = new_traceparent()
    body = {
        "kind": "receipt",
        "product_id": product["id"],
        "to_location_id": location["id"],
        "quantity": "1",
    }
    moved = await stock.move(body, headers={"traceparent": traceparent})
    assert moved.status_code == 201
    assert await outbox_trace_contexts(services, stock.account.tenant_id) == [None]
