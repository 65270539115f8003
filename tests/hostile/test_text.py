"""NUL characters and lone surrogates in any string a client sends (JSON bodies, forms,
query parameters, path segments) are a 422 at the edge, naming where, for every route;
they used to reach PostgreSQL and come back as 500s with a traceback in the log."""

from __future__ import annotations

import json
import logging

import pytest
from httpx import AsyncClient, Response

from tests.builders import API, problem
from tests.catalog.conftest import ok
from tests.inventory.conftest import Inventory


def assert_refused(response: Response, location: str, field: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "invalid-text"
    [error] = problem["errors"]
    assert (error["location"], error["field"]) == (location, field), error


@pytest.fixture
def no_tracebacks(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.WARNING)
    return caplog


def assert_no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    errors = [r for r in caplog.records if r.name == "quartermaster.errors"]
    assert errors == [], [r.getMessage() for r in errors]


async def test_a_nul_in_the_login_form_is_a_422_for_anyone(
    client: AsyncClient, no_tracebacks: pytest.LogCaptureFixture
) -> None:
    response = await client.post(
        f"{API}/auth/token",
        content=b"username=a%00@example.com&password=whatever-it-is",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert_refused(response, "form", "username")
    assert_no_traceback(no_tracebacks)


async def test_a_form_value_that_is_not_utf8_is_a_422(client: AsyncClient) -> None:
    response = await client.post(
        f"{API}/auth/token",
        content=b"username=a%ED%A0%80@example.com&password=whatever-it-is",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert_refused(response, "form", "username")


@pytest.mark.parametrize("field", ["organization", "full_name", "email", "password"])
async def test_a_nul_anywhere_in_the_signup_body_is_a_422(
    client: AsyncClient, field: str, no_tracebacks: pytest.LogCaptureFixture
) -> None:
    body = {
        "organization": "Acme",
        "email": "olive@example.org",
        "password": "correct horse battery",
        "full_name": "Olive",
    }
    body[field] = body[field][:2] + "\x00" + body[field][2:]
    response = await client.post(f"{API}/auth/signup", json=body)
    assert_refused(response, "body", field)
    assert_no_traceback(no_tracebacks)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (rb'{"sku":"A1","name":"x","attributes":{"colour":"\ud800"}}', "attributes.colour"),
        (rb'{"sku":"A1","name":"x","attributes":{"a":["ok","\udfff!"]}}', "attributes.a.1"),
        (rb'{"sku":"A1","name":"x","attributes":{"k\u0000":"v"}}', "attributes.k\\x00"),
        (rb'{"sku":"A\u0000","name":"x"}', "sku"),
        (rb'{"sku":"A1","name":"x","description":"tail \udc80"}', "description"),
    ],
)
async def test_nul_and_lone_surrogates_in_a_json_body_are_a_422_naming_the_field(
    inventory: Inventory, raw: bytes, field: str, no_tracebacks: pytest.LogCaptureFixture
) -> None:
    response = await inventory.client.post(
        f"{API}/products",
        content=raw,
        headers={**inventory.headers, "content-type": "application/json"},
    )
    assert_refused(response, "body", field)
    assert_no_traceback(no_tracebacks)
    assert (await inventory.all_products()) == []


async def test_surrogate_pairs_and_escaped_backslashes_are_text_like_any_other(
    inventory: Inventory,
) -> None:
    # "\ud83d\ude00" is one emoji; "\\u0000" is a backslash followed by "u0000".
    raw = rb'{"sku":"EMOJI","name":"smile \ud83d\ude00","description":"literally \\u0000"}'
    response = await inventory.client.post(
        f"{API}/products",
        content=raw,
        headers={**inventory.headers, "content-type": "application/json"},
    )
    product = ok(response, 201)
    assert product["name"] == "smile \U0001f600"
    assert product["description"] == "literally \\u0000"


@pytest.mark.parametrize(
    ("path", "params", "location", "field"),
    [
        ("/products", {"q": "a\x00"}, "query", "q"),
        ("/stock/movements", {"reference": "SO-\x00"}, "query", "reference"),
        ("/audit-log", {"action": "x\x00"}, "query", "action"),
        ("/jobs", {"kind": "\x00"}, "query", "kind"),
        ("/reports/movements", {"tz": "Europe/\x00"}, "query", "tz"),
    ],
)
async def test_a_nul_in_a_query_parameter_is_a_422(
    inventory: Inventory,
    path: str,
    params: dict[str, str],
    location: str,
    field: str,
    no_tracebacks: pytest.LogCaptureFixture,
) -> None:
    response = await inventory.get(path, **params)
    assert_refused(response, location, field)
    assert_no_traceback(no_tracebacks)


async def test_a_query_parameter_that_is_not_utf8_is_a_422(inventory: Inventory) -> None:
    response = await inventory.client.get(f"{API}/products?q=%ED%A0%80", headers=inventory.headers)
    assert_refused(response, "query", "q")


@pytest.mark.parametrize("segment", ["a%00b", "%ED%A0%80"])
async def test_a_bad_path_segment_is_a_422(
    inventory: Inventory, segment: str, no_tracebacks: pytest.LogCaptureFixture
) -> None:
    response = await inventory.client.get(f"{API}/units/{segment}", headers=inventory.headers)
    assert_refused(response, "path", segment)
    assert_no_traceback(no_tracebacks)


async def test_a_json_body_over_the_limit_is_a_413(inventory: Inventory) -> None:
    body = json.dumps({"sku": "BIG", "name": "x", "description": "y" * (2 * 1024 * 1024)})
    response = await inventory.client.post(
        f"{API}/products",
        content=body.encode(),
        headers={**inventory.headers, "content-type": "application/json"},
    )
    assert response.status_code == 413, response.text
    assert response.json()["code"] == "payload-too-large"


async def test_clean_bodies_and_queries_pass_untouched(inventory: Inventory) -> None:
    product = await inventory.product(name="Schraube M8 — verzinkt", attributes={"ä": ["ö"]})
    assert product["attributes"] == {"ä": ["ö"]}
    found = ok(await inventory.get("/products", q="verzinkt"))
    assert [p["id"] for p in found["items"]] == [product["id"]]


@pytest.mark.parametrize("depth", [40, 1500])
async def test_attributes_nested_too_deep_are_refused(inventory: Inventory, depth: int) -> None:
    raw = '{"sku":"DEEP","name":"x","attributes":{"a":' + "[" * depth + "]" * depth + "}}"
    response = await inventory.client.post(
        f"{API}/products",
        content=raw.encode(),
        headers={**inventory.headers, "content-type": "application/json"},
    )
    # Too deep for the JSON parser is a body it cannot read (400); within its reach, the
    # attributes' own depth rule refuses it (422).
    if depth > 1000:
        problem(response, 400, "bad-request")
    else:
        assert "attributes" in problem(response, 422, "validation-failed")["detail"]
    assert (await inventory.all_products()) == []
