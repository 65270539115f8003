"""Schemathesis over every operation of the OpenAPI document, against the real app served
by Uvicorn on real PostgreSQL and Redis, as an owner with seeded data (so path ids exist
half the time): no server error, and every status code and content type returned is the
one the document declares (problem+json errors included).

Bounded: a fixed number of generated cases per operation (positive and negative data),
derandomised so a run is repeatable; a few minutes on a busy 2-core machine.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import requests
import schemathesis
import uvicorn
from fastapi import FastAPI
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance

from quartermaster.api import create_app
from quartermaster.core.settings import Settings
from tests.builders import API

pytestmark = pytest.mark.slow

# QM_FUZZ_CASES=200 for a deeper run by hand; the suite's run is 30 per operation.
CASES_PER_OPERATION = int(os.environ.get("QM_FUZZ_CASES", "30"))
REQUEST_TIMEOUT = 15.0  # seconds; the event stream is read this long at most
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@asynccontextmanager
async def served(settings: Settings) -> AsyncIterator[tuple[FastAPI, str]]:
    application = create_app(settings)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(application, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 60
    while not server.started:
        if task.done():
            task.result()
        assert time.monotonic() < deadline, "uvicorn did not start"
        await asyncio.sleep(0.02)
    try:
        yield application, f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def _seed(base_url: str) -> tuple[str, dict[str, str]]:
    """An owner's access token and one existing id per path parameter name."""
    async with httpx.AsyncClient(base_url=base_url + API, timeout=60) as http:

        async def call(method: str, path: str, **kwargs: Any) -> dict[str, Any]:
            response = await http.request(method, path, **kwargs)
            assert response.status_code < 300, response.text
            body: dict[str, Any] = response.json()
            return body

        signup = await call(
            "POST",
            "/auth/signup",
            json={
                "organization": "Fuzz",
                "email": "fuzz-owner@example.org",
                "password": "correct horse battery",
                "full_name": "Fuzz Owner",
            },
        )
        token = signup["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"
        category = await call("POST", "/categories", json={"name": "Tools"})
        product = await call(
            "POST",
            "/products",
            json={
                "sku": "FUZZ-1",
                "name": "Fuzzed",
                "category_id": category["id"],
                "reorder_point": "5",
            },
        )
        price_list = await call("POST", "/price-lists", json={"name": "Retail", "currency": "EUR"})
        await call(
            "POST",
            f"/products/{product['id']}/prices",
            json={"price_list_id": price_list["id"], "amount": "9.99"},
        )
        warehouse = await call("POST", "/warehouses", json={"code": "MAIN", "name": "Main"})
        location = await call(
            "POST",
            "/locations",
            json={"warehouse_id": warehouse["id"], "code": "A-01", "name": "Bin A-01"},
        )
        await call(
            "POST",
            "/stock/movements",
            json={
                "kind": "receipt",
                "product_id": product["id"],
                "to_location_id": location["id"],
                "quantity": "10",
                "unit_cost": "2.50",
            },
        )
        reservation = await call(
            "POST",
            "/stock/reservations",
            json={
                "product_id": product["id"],
                "location_id": location["id"],
                "quantity": "6",
                "reference": "SO-1",
            },
        )
        alerts = await call("GET", "/stock/alerts")
        job = await call("POST", "/exports/stock-levels")
        invitation = await call(
            "POST", "/invitations", json={"email": "fuzz-viewer@example.org", "role": "viewer"}
        )
        me = await call("GET", "/me")
        mail = await call("GET", "/mail/outbox")
        key = await call("POST", "/api-keys", json={"name": "fuzz", "role": "viewer"})
        collection = await call("POST", "/collections", json={"name": "Guides"})
        article = await call(
            "POST",
            "/articles",
            json={"title": "Fuzz guide", "body": "# Hi", "collection_id": collection["id"]},
        )
        ids = {
            "product_id": product["id"],
            "category_id": category["id"],
            "price_list_id": price_list["id"],
            "warehouse_id": warehouse["id"],
            "location_id": location["id"],
            "reservation_id": reservation["id"],
            "job_id": job["id"],
            "user_id": me["user"]["id"],
            "invitation_id": invitation["id"],
            "message_id": mail["items"][0]["id"],
            "key_id": key["id"],
            "code": "pcs",
            "collection_id": collection["id"],
            "article_id": article["id"],
            "number": "1",
            "slug": article["slug"],
            "tenant_slug": signup["tenant"]["slug"],
        }
        if alerts["items"]:
            ids["alert_id"] = alerts["items"][0]["id"]
        return token, ids


def _first_failure(
    operation: Any, strategy: Any, base_url: str, session: requests.Session
) -> str | None:
    found: list[str] = []

    @hypothesis_settings(
        max_examples=CASES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: schemathesis.Case) -> None:
        if found:
            return
        try:
            response = case.call(base_url=base_url, session=session, timeout=REQUEST_TIMEOUT)
            case.validate_response(response, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as exc:  # every failure is reported, not raised
            found.append(f"{operation.label}: {exc}")

    run()
    return found[0] if found else None


def _fuzz(document: dict[str, Any], base_url: str, token: str, ids: dict[str, str]) -> list[str]:
    """Run the cases (blocking: in a thread, while Uvicorn serves in the test's loop);
    the first failure of each operation, with a curl command to reproduce it."""
    schema = schemathesis.openapi.from_dict(document)
    headers = {"Authorization": f"Bearer {token}"}
    failures: list[str] = []
    with requests.Session() as session:
        for result in schema.get_all_operations():
            operation = result.ok()
            names = {p.name for p in operation.path_parameters}
            known = {name: ids[name] for name in names if name in ids}
            strategies = [
                operation.as_strategy(headers=headers),
                operation.as_strategy(
                    generation_mode=schemathesis.GenerationMode.NEGATIVE, headers=headers
                ),
            ]
            if known:
                strategies.append(operation.as_strategy(headers=headers, path_parameters=known))
            failure = _first_failure(operation, st.one_of(strategies), base_url, session)
            if failure is not None:
                failures.append(failure)
    return failures


async def test_schemathesis_finds_no_server_error_and_nothing_undocumented(
    settings: Settings,
) -> None:
    async with served(settings) as (application, base_url):
        token, ids = await _seed(base_url)
        document = application.openapi()
        failures = await asyncio.to_thread(_fuzz, document, base_url, token, ids)
    assert not failures, "\n\n".join(failures)
