"""Liveness, readiness, metrics, OpenAPI, request ids."""

from __future__ import annotations

import asyncio

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from quartermaster.api import create_app
from quartermaster.core.settings import Settings
from quartermaster.runtime import EmbeddedServices
from tests.builders import eventually


async def test_healthz_answers_without_dependencies(client: AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_the_dependencies_and_live_delivery_ok(
    client: AsyncClient, app: FastAPI
) -> None:
    await asyncio.wait_for(app.state.gateway.hub.connected.wait(), 15)
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "redis": "ok", "live": "ok"}


@pytest.mark.slow
async def test_readyz_names_a_stopped_redis_as_down(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> None:
    own_redis = EmbeddedServices(tmp_path_factory.mktemp("redis-only"), postgres=False, fast=True)
    urls = own_redis.start()
    app = create_app(settings.with_urls(redis_url=urls.redis_url))
    try:
        async with (
            app.router.lifespan_context(app),
            AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as http,
        ):
            assert (await http.get("/readyz")).status_code == 200
            own_redis.stop()
            # The live subscription goes down with it (its loss is noticed on its socket).
            await eventually(lambda: not app.state.gateway.live_delivery, what="live down")
            response = await http.get("/readyz")
    finally:
        own_redis.stop()
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["database"] == "ok"
    assert (body["redis"], body["live"]) == ("down", "down")
    assert body["detail"] == "Not ready: redis, live are down."


async def test_readyz_names_an_unreachable_database_as_down(settings: Settings) -> None:
    # Port 9 (discard) on loopback: nothing listens, so every connection is refused.
    app = create_app(settings.with_urls(database_url="postgresql://nobody:x@127.0.0.1:9/none"))
    async with (
        app.router.lifespan_context(app),
        AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as http,
    ):
        response = await http.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert (body["database"], body["redis"]) == ("down", "ok")
    assert body["detail"] == "Not ready: database is down."


async def test_request_id_is_generated_or_echoed(client: AsyncClient) -> None:
    generated = await client.get("/healthz")
    assert len(generated.headers["x-request-id"]) == 32

    echoed = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"

    insane = await client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces" * 20})
    assert insane.headers["x-request-id"] != "bad id\twith spaces" * 20
    assert len(insane.headers["x-request-id"]) == 32


async def test_metrics_count_requests_by_route_template_and_status(client: AsyncClient) -> None:
    await client.get("/healthz")
    await client.get("/api/v1/does-not-exist-1")
    await client.get("/api/v1/does-not-exist-2")
    response = await client.get("/metrics")
    assert response.status_code == 200
    text = response.text
    assert 'qm_http_requests_total{method="GET",route="/healthz",status="200"}' in text
    # Unmatched paths collapse into one series instead of one per URL.
    assert 'route="<unmatched>",status="404"' in text
    assert "does-not-exist" not in text
    assert "qm_http_request_duration_seconds_bucket" in text


async def test_openapi_lives_under_api_v1_with_tagged_operation_ids(client: AsyncClient) -> None:
    spec = (await client.get("/api/v1/openapi.json")).json()
    operation_ids = {op["operationId"] for path in spec["paths"].values() for op in path.values()}
    assert {"health-healthz", "health-readyz", "health-metrics"} <= operation_ids
    docs = await client.get("/docs")
    assert docs.status_code == 200
    assert "/api/v1/openapi.json" in docs.text
