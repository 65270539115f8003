"""Every error a client can see is RFC 9457 problem+json with a precise detail."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import iter_route_contexts
from httpx import ASGITransport, AsyncClient
from pydantic import BaseModel, ConfigDict, Field

from quartermaster.api import create_app
from quartermaster.core.errors import (
    PROBLEM_CONTENT_TYPE,
    AppError,
    Conflict,
    summarize_problems,
)
from quartermaster.core.settings import Settings
from tests.builders import problem


class WidgetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    quantity: int


probe = APIRouter(prefix="/api/v1/probe", tags=["probe"])


@probe.post("/widgets", status_code=201)
async def create_widget(body: WidgetIn) -> WidgetIn:
    return body


@probe.get("/conflict")
async def conflict() -> None:
    raise Conflict("Widget W-1 is already reserved.", extensions={"widget": "W-1"})


@probe.get("/teapot")
async def teapot() -> None:
    raise AppError(418, "teapot", "This endpoint brews tea only.")


@probe.get("/crash")
async def crash() -> None:
    raise RuntimeError("SELECT secret FROM internals -- boom")


@pytest.fixture(scope="module")
async def probe_client(settings: Settings) -> AsyncIterator[AsyncClient]:
    app: FastAPI = create_app(settings)
    app.include_router(probe)
    async with (
        app.router.lifespan_context(app),
        AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as http,
    ):
        yield http


def assert_problem(response_body: dict[str, object], status: int, code: str) -> None:
    assert response_body["status"] == status
    assert response_body["type"] == f"urn:quartermaster:problem:{code}"
    assert response_body["code"] == code
    assert isinstance(response_body["title"], str)
    assert response_body["title"]
    assert isinstance(response_body["detail"], str)
    assert response_body["detail"]
    assert isinstance(response_body["instance"], str)


async def test_malformed_json_is_400_with_position(probe_client: AsyncClient) -> None:
    response = await probe_client.post(
        "/api/v1/probe/widgets",
        content=b'{"name": "bolt", "quantity": ',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE
    body = response.json()
    assert_problem(body, 400, "malformed-json")
    assert "not valid JSON" in body["detail"]
    assert "position" in body["detail"]


async def test_wrong_type_is_422_with_field_location(probe_client: AsyncClient) -> None:
    response = await probe_client.post(
        "/api/v1/probe/widgets", json={"name": "bolt", "quantity": "many"}
    )
    assert response.status_code == 422
    body = response.json()
    assert_problem(body, 422, "validation-failed")
    assert body["errors"] == [
        {
            "location": "body",
            "field": "quantity",
            "loc": ["body", "quantity"],
            "message": body["errors"][0]["message"],
            "type": "int_parsing",
        }
    ]
    assert "quantity" in body["detail"]


async def test_unknown_field_is_422_naming_it(probe_client: AsyncClient) -> None:
    response = await probe_client.post(
        "/api/v1/probe/widgets", json={"name": "bolt", "quantity": 1, "colour": "red"}
    )
    problem(response, 422, "validation-failed")
    body = response.json()
    assert [e["field"] for e in body["errors"]] == ["colour"]
    assert body["errors"][0]["type"] == "extra_forbidden"


async def test_several_invalid_fields_are_all_reported(probe_client: AsyncClient) -> None:
    response = await probe_client.post("/api/v1/probe/widgets", json={"name": ""})
    body = response.json()
    problem(response, 422, "validation-failed")
    assert sorted(e["field"] for e in body["errors"]) == ["name", "quantity"]


async def test_unknown_route_is_404_problem(probe_client: AsyncClient) -> None:
    response = await probe_client.get("/api/v1/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE
    body = response.json()
    assert_problem(body, 404, "not-found")
    assert body["detail"] == "No resource at GET /api/v1/nowhere."
    assert body["instance"] == "/api/v1/nowhere"


async def test_wrong_method_is_405_with_allow(probe_client: AsyncClient) -> None:
    response = await probe_client.delete("/api/v1/probe/widgets")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    body = response.json()
    assert_problem(body, 405, "method-not-allowed")
    assert body["detail"] == "DELETE is not allowed on /api/v1/probe/widgets; allowed: POST."


async def test_domain_error_keeps_status_code_and_extensions(probe_client: AsyncClient) -> None:
    response = await probe_client.get("/api/v1/probe/conflict")
    assert response.status_code == 409
    body = response.json()
    assert_problem(body, 409, "conflict")
    assert body["detail"] == "Widget W-1 is already reserved."
    assert body["widget"] == "W-1"

    teapot = await probe_client.get("/api/v1/probe/teapot")
    assert teapot.status_code == 418
    assert teapot.json()["title"] == "I'm a Teapot"


async def test_unexpected_exception_is_500_without_internals(
    probe_client: AsyncClient, capfd: pytest.CaptureFixture[str]
) -> None:
    response = await probe_client.get(
        "/api/v1/probe/crash", headers={"X-Request-ID": "crash-test-1"}
    )
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE
    assert response.headers["x-request-id"] == "crash-test-1"
    body = response.json()
    assert_problem(body, 500, "internal-error")
    assert body["request_id"] == "crash-test-1"
    text = json.dumps(body)
    assert "SELECT" not in text
    assert "Traceback" not in text
    assert "RuntimeError" not in text
    logged = capfd.readouterr().err
    assert "Traceback" in logged
    assert "SELECT secret FROM internals" in logged
    assert "crash-test-1" in logged


def test_problem_summaries_do_not_double_the_final_period() -> None:
    # email-validator's messages end with a period of their own ("…an @-sign.").
    summary = summarize_problems(
        [("email", "An email address must have an @-sign."), ("quantity", "too precise")]
    )
    assert summary == "email: An email address must have an @-sign; quantity: too precise"
    many = summarize_problems([(f"f{n}", "bad") for n in range(7)])
    assert many.endswith("f4: bad (and 2 more)")


def test_an_extension_cannot_shadow_a_standard_member() -> None:
    with pytest.raises(ValueError, match="status"):
        AppError(409, "x", "detail", extensions={"status": "released"})


class TestAllowListsEveryMethodOfThePath:
    """A 405's ``Allow`` names every method the path has, whichever route the router tried
    first (it used to name that route's methods only: ``PUT /products`` → ``Allow: GET``)."""

    @staticmethod
    def _paths(app: FastAPI) -> dict[str, set[str]]:
        """Every route template of the app with the methods of all its routes."""
        paths: dict[str, set[str]] = {}
        for route in iter_route_contexts(app.routes):
            if route.methods and route.path:
                paths.setdefault(route.path, set()).update(route.methods)
        return paths

    @staticmethod
    def _methods_of_other_templates(app: FastAPI, template: str, path: str) -> set[str]:
        methods: set[str] = set()
        for route in iter_route_contexts(app.routes):
            pattern = getattr(route, "path_regex", None)
            if route.path != template and route.methods and pattern and pattern.match(path):
                methods |= route.methods
        return methods

    @staticmethod
    def _another_template_takes(app: FastAPI, template: str, method: str, path: str) -> bool:
        """Whether ``path`` is also an instance of another route's template that answers
        ``method`` (a static segment beside a parameter: /articles/preview and
        /articles/{article_id}); the request then goes to that route, not to a 405."""
        for route in iter_route_contexts(app.routes):
            pattern = getattr(route, "path_regex", None)
            if (
                route.path != template
                and route.methods
                and method in route.methods
                and pattern is not None
                and pattern.match(path)
            ):
                return True
        return False

    async def test_every_path_of_the_app_answers_a_wrong_method_with_all_of_its_methods(
        self, app: FastAPI, client: AsyncClient
    ) -> None:
        paths = self._paths(app)
        checked: dict[tuple[str, str], str] = {}
        routed_elsewhere: dict[tuple[str, str], int] = {}
        for template, methods in paths.items():
            path = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), template)
            for method in sorted({"GET", "POST", "PUT", "PATCH", "DELETE"} - methods):
                response = await client.request(method, path)
                if self._another_template_takes(app, template, method, path):
                    # e.g. DELETE /articles/preview is DELETE /articles/{article_id} with
                    # the id "preview": that route answers (401 here, 422 signed in).
                    assert 400 <= response.status_code < 500, (method, template)
                    assert response.status_code != 405, (method, template)
                    routed_elsewhere[(method, template)] = response.status_code
                    continue
                assert response.status_code == 405, (method, template, response.text)
                # At /articles/preview the methods of /articles/{article_id} are answered too.
                answered = methods | self._methods_of_other_templates(app, template, path)
                assert set(response.headers["allow"].split(", ")) == answered, (method, template)
                assert response.json()["code"] == "method-not-allowed"
                checked[(method, template)] = response.headers["allow"]
        # Not vacuous: the cases the bug report named, and many more.
        assert checked[("PUT", "/api/v1/products")] == "GET, POST"
        assert checked[("PUT", "/api/v1/products/{product_id}")] == "GET, PATCH, DELETE"
        assert checked[("DELETE", "/api/v1/stock/movements")] == "GET, POST"
        assert checked[("PUT", "/api/v1/warehouses")] == "GET, POST"
        assert checked[("DELETE", "/api/v1/jobs")] == "GET"
        assert len(checked) > 100
        assert routed_elsewhere[("DELETE", "/api/v1/articles/preview")] == 401
        assert checked[("PUT", "/api/v1/articles/preview")] == "GET, POST, PATCH, DELETE"
        assert len(routed_elsewhere) < 20

    async def test_the_detail_names_the_allowed_methods(self, client: AsyncClient) -> None:
        response = await client.put("/api/v1/products")
        assert response.json()["detail"] == (
            "PUT is not allowed on /api/v1/products; allowed: GET, POST."
        )
