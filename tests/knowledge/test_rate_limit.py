"""The public help pages are rate limited per client address and organization
(QM_PUBLIC_RATE_LIMIT per window, counted in Redis): past the limit 429 problem+json with
Retry-After; another address or organization has its own count, and behind a trusted proxy
the client is the address the proxy saw (``core.deps.client_ip``), not a forged hop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient, Response

from quartermaster.api import create_app
from quartermaster.core.settings import Settings
from tests.builders import problem
from tests.identity.conftest import Identity

LIMIT = 3
# A day: the count of one test never straddles a window (windows start at midnight UTC).
WINDOW = 86_400


@asynccontextmanager
async def serving(settings: Settings, **overrides: Any) -> AsyncIterator[FastAPI]:
    application = create_app(settings.model_copy(update=overrides))
    async with application.router.lifespan_context(application):
        yield application


def client_of(application: FastAPI, ip: str) -> AsyncClient:
    return AsyncClient(
        transport=ASGITransport(app=application, client=(ip, 123)), base_url="http://test"
    )


async def collections(client: AsyncClient, slug: str, **headers: str) -> Response:
    return await client.get(f"/api/v1/public/{slug}/collections", headers=headers)


def answered(response: Response) -> bool:
    """Served, not limited (an organization without public articles has no help centre:
    404, the same as an unknown one)."""
    return response.status_code in (200, 404) and "Retry-After" not in response.headers


async def test_past_the_limit_an_address_gets_429_with_retry_after_others_do_not(
    settings: Settings, identity: Identity
) -> None:
    alpha = (await identity.signup("Alpha Help")).tenant_slug
    beta = (await identity.signup("Beta Help")).tenant_slug
    async with (
        serving(
            settings, public_rate_limit=LIMIT, public_rate_limit_window_seconds=WINDOW
        ) as application,
        client_of(application, "192.0.2.10") as first,
        client_of(application, "192.0.2.11") as second,
    ):
        for _ in range(LIMIT):
            assert answered(await collections(first, alpha))
        refused = await first.get(f"/api/v1/public/{alpha}/search", params={"q": "widget"})
        assert refused.status_code == 429, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        problem = refused.json()
        assert problem["code"] == "rate-limited"
        retry_after = int(refused.headers["Retry-After"])
        assert 1 <= retry_after <= WINDOW
        assert problem["retry_after"] == retry_after
        # Another address, and the same address at another organization, count apart.
        assert answered(await collections(second, alpha))
        assert answered(await collections(first, beta))
        assert (await first.get("/healthz")).status_code == 200  # not behind this limit


async def test_behind_a_trusted_proxy_each_client_counts_and_forged_hops_do_not_help(
    settings: Settings, identity: Identity
) -> None:
    slug = (await identity.signup("Proxied Help")).tenant_slug
    async with (
        serving(
            settings,
            public_rate_limit=LIMIT,
            public_rate_limit_window_seconds=WINDOW,
            trusted_proxies="10.0.0.0/8",
        ) as application,
        client_of(application, "10.0.0.2") as proxy,
    ):
        for index in range(LIMIT):
            # The client forges a different left-most hop each time; the proxy appends
            # the address it really saw, which is what counts.
            forged = f"203.0.113.{index}, 198.51.100.7"
            response = await collections(proxy, slug, **{"X-Forwarded-For": forged})
            assert answered(response), response.text
        refused = await collections(
            proxy, slug, **{"X-Forwarded-For": "203.0.113.99, 198.51.100.7"}
        )
        assert int(problem(refused, 429, "rate-limited")["status"]) == 429
        assert int(refused.headers["Retry-After"]) > 0
        # Another client behind the same proxy is not the one that was limited.
        other = await collections(proxy, slug, **{"X-Forwarded-For": "198.51.100.8"})
        assert answered(other)


async def test_zero_turns_the_limit_off(settings: Settings, identity: Identity) -> None:
    slug = (await identity.signup("Unlimited Help")).tenant_slug
    async with (
        serving(settings, public_rate_limit=0) as application,
        client_of(application, "192.0.2.20") as client,
    ):
        for _ in range(LIMIT + 2):
            assert answered(await collections(client, slug))
