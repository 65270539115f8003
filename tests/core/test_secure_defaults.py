"""Secure by default: no published or short secret, and no database role that row-level
security does not bind, unless this is development on a loopback address; /metrics is not
public in production."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from pydantic import SecretStr

from quartermaster.api import UnsafeDatabaseRole, create_app
from quartermaster.core.settings import (
    INSECURE_SECRET_KEY,
    Environment,
    InsecureSettings,
    Settings,
)
from tests.builders import problem
from tests.conftest import TestServices

STRONG = "a-strong-secret-of-more-than-thirty-two-characters"


def configured(settings: Settings, **overrides: Any) -> Settings:
    return settings.model_copy(update=overrides)


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


class TestSecrets:
    @pytest.mark.parametrize("secret", [INSECURE_SECRET_KEY, "short-but-random"])
    @pytest.mark.parametrize(
        ("env", "host"),
        [("development", "0.0.0.0"), ("development", "10.1.2.3"), ("production", "127.0.0.1")],  # noqa: S104
    )
    def test_a_known_or_short_secret_is_refused_outside_local_development(
        self, settings: Settings, secret: str, env: str, host: str
    ) -> None:
        unsafe = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=settings.database_url,
            redis_url=settings.redis_url,
            host=host,
        ).model_copy(update={"env": Environment(env), "secret_key": SecretStr(secret)})

        with pytest.raises(InsecureSettings) as refused:
            create_app(unsafe)

        message = str(refused.value)
        assert "QM_SECRET_KEY" in message
        assert "secrets.token_urlsafe" in message  # it says how to set one

    @pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "127.0.0.2"])
    def test_development_on_loopback_accepts_the_placeholder(
        self, settings: Settings, host: str
    ) -> None:
        local = configured(settings, host=host)
        local = local.with_secret(INSECURE_SECRET_KEY)

        assert isinstance(create_app(local), FastAPI)

    def test_a_strong_secret_serves_anywhere(self, settings: Settings) -> None:
        public = configured(settings, host="0.0.0.0").with_secret(STRONG)  # noqa: S104

        assert isinstance(create_app(public), FastAPI)


class TestDatabaseRole:
    async def test_a_superuser_database_role_is_refused_off_loopback(
        self, settings: Settings, services: TestServices
    ) -> None:
        superuser = configured(
            settings,
            database_url=services.admin_url,
            host="0.0.0.0",  # noqa: S104
        ).with_secret(STRONG)

        with pytest.raises(UnsafeDatabaseRole, match="BYPASSRLS"):
            async with running(superuser):
                pass

    async def test_a_superuser_database_role_is_only_a_warning_in_local_development(
        self, settings: Settings, services: TestServices
    ) -> None:
        local = configured(settings, database_url=services.admin_url, host="127.0.0.1")

        async with running(local) as application:
            transport = ASGITransport(app=application)
            async with AsyncClient(transport=transport, base_url="http://test") as client:
                assert (await client.get("/healthz")).status_code == 200


class TestMetrics:
    async def test_development_serves_metrics_on_the_api_port(self, client: AsyncClient) -> None:
        response = await client.get("/metrics")
        assert response.status_code == 200
        assert "qm_http_requests" in response.text

    async def test_production_does_not_serve_metrics_on_the_api_port(
        self, settings: Settings
    ) -> None:
        production = configured(settings, env=Environment.PRODUCTION)
        async with running(production) as application:
            transport = ASGITransport(app=application)
            async with AsyncClient(transport=transport, base_url="http://test") as client:
                response = await client.get("/metrics")
        assert "QM_METRICS_PORT" in problem(response, 404, "metrics-not-here")["detail"]

    async def test_a_metrics_token_is_required_when_set(self, settings: Settings) -> None:
        guarded = configured(
            settings, env=Environment.PRODUCTION, metrics_token=SecretStr("s3cret")
        )
        async with running(guarded) as application:
            transport = ASGITransport(app=application)
            async with AsyncClient(transport=transport, base_url="http://test") as client:
                anonymous = await client.get("/metrics")
                wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
                right = await client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
        assert (anonymous.status_code, wrong.status_code, right.status_code) == (401, 401, 200)
        assert anonymous.headers["www-authenticate"] == "Bearer"
        assert "qm_http_requests" in right.text

    async def test_a_metrics_port_of_its_own_with_or_without_a_token(
        self, settings: Settings
    ) -> None:
        from tests.smtpd import closed_port

        port = closed_port()
        separate = configured(settings, metrics_port=port)
        async with running(separate) as application:
            transport = ASGITransport(app=application)
            async with AsyncClient(transport=transport, base_url="http://test") as client:
                on_api_port = await client.get("/metrics")
                await client.get("/healthz")
            async with httpx.AsyncClient() as scraper:
                scraped = await scraper.get(f"http://127.0.0.1:{port}/metrics")
        assert f"port {port}" in problem(on_api_port, 404, "metrics-not-here")["detail"]
        assert scraped.status_code == 200
        assert 'route="/healthz"' in scraped.text

        port = closed_port()
        both = configured(settings, metrics_port=port, metrics_token=SecretStr("tok"))
        async with running(both), httpx.AsyncClient() as scraper:
            refused = await scraper.get(f"http://127.0.0.1:{port}/metrics")
            allowed = await scraper.get(
                f"http://127.0.0.1:{port}/metrics", headers={"Authorization": "Bearer tok"}
            )
        assert (refused.status_code, allowed.status_code) == (401, 200)
