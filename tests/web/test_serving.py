"""The browser app and the API documentation are served by the API process: hashed assets
cached for a year, the shell revalidated, every non-API path answered by the shell, and the
API's own 404/405 problems untouched. Swagger UI comes from packaged files, never a CDN."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from httpx import ASGITransport, AsyncClient

from quartermaster.api import create_app
from quartermaster.core.settings import Settings
from tests.builders import problem
from tests.conftest import TEST_SECRET

INDEX = '<!doctype html><div id="root"></div><script type="module" src="/assets/index-abc123.js">'


def _settings(web_dir: Path) -> Settings:
    # No request here reaches the database or Redis: static files and routing only.
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none",
        redis_url="redis://127.0.0.1:1/0",
        secret_key=TEST_SECRET,
        log_level="WARNING",
        web_dir=web_dir,
    )


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text(INDEX)
    (root / "assets" / "index-abc123.js").write_text("console.log('app')")
    (root / "sw.js").write_text("self.addEventListener('fetch', () => {})")
    (root / "manifest.webmanifest").write_text('{"name": "Quartermaster"}')
    (tmp_path / "secret.txt").write_text("outside the web app")
    return root


async def _client(web_dir: Path) -> AsyncIterator[AsyncClient]:
    app = create_app(_settings(web_dir))
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as http:
        yield http


@pytest.fixture
async def web(dist: Path) -> AsyncIterator[AsyncClient]:
    async for http in _client(dist):
        yield http


async def test_root_serves_the_shell_revalidated_with_a_content_security_policy(
    web: AsyncClient,
) -> None:
    response = await web.get("/")
    assert response.status_code == 200
    assert response.text == INDEX
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    assert "default-src 'self'" in response.headers["content-security-policy"]


@pytest.mark.parametrize("path", ["/products", "/products/0199aa/edit", "/stock/count", "/x?y=1"])
async def test_client_side_routes_fall_back_to_the_shell(web: AsyncClient, path: str) -> None:
    response = await web.get(path)
    assert response.status_code == 200
    assert response.text == INDEX
    assert response.headers["cache-control"] == "no-cache"


async def test_hashed_assets_are_cached_for_a_year(web: AsyncClient) -> None:
    response = await web.get("/assets/index-abc123.js")
    assert response.status_code == 200
    assert response.text == "console.log('app')"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "javascript" in response.headers["content-type"]


@pytest.mark.parametrize("path", ["/sw.js", "/manifest.webmanifest"])
async def test_the_service_worker_and_manifest_are_revalidated(web: AsyncClient, path: str) -> None:
    response = await web.get(path)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"


async def test_a_missing_asset_is_a_plain_404_not_the_shell(web: AsyncClient) -> None:
    for path in ("/assets/index-old999.js", "/favicon-missing.png"):
        response = await web.get(path)
        assert response.status_code == 404
        assert '<div id="root">' not in response.text


async def test_head_is_answered_like_get(web: AsyncClient) -> None:
    response = await web.head("/products")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    "path", ["/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt"]
)
async def test_paths_never_leave_the_web_app_directory(web: AsyncClient, path: str) -> None:
    response = await web.get(path)
    assert "outside the web app" not in response.text


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
async def test_unknown_api_paths_stay_problem_json_404(web: AsyncClient, method: str) -> None:
    response = await web.request(method, "/api/v1/no-such-thing")
    problem(response, 404, "not-found")


async def test_a_wrong_method_on_an_api_route_stays_405(web: AsyncClient) -> None:
    response = await web.put("/api/v1/products")
    problem(response, 405, "method-not-allowed")
    assert set(response.headers["allow"].split(", ")) == {"GET", "POST"}


async def test_writes_to_app_paths_are_404_not_the_shell(web: AsyncClient) -> None:
    response = await web.post("/products", json={})
    problem(response, 404, "not-found")


async def test_a_server_without_a_built_app_says_how_to_build_it(tmp_path: Path) -> None:
    async for http in _client(tmp_path / "nothing-here"):
        response = await http.get("/")
        assert response.status_code == 404
        assert "make run" in response.text
        assert (await http.get("/api/v1/nope")).headers["content-type"] == (
            "application/problem+json"
        )


async def test_swagger_ui_loads_only_from_this_server(web: AsyncClient) -> None:
    page = await web.get("/docs")
    assert page.status_code == 200
    external = re.findall(r"""(?:src|href)\s*=\s*["'](https?:)?//""", page.text)
    assert external == [], page.text
    assert "https://" not in page.text
    assert "http://" not in page.text
    for asset in re.findall(r"""['"](/docs/assets/[^'"]+)['"]""", page.text):
        response = await web.get(asset)
        assert response.status_code == 200, asset
    script = await web.get("/docs/assets/swagger-ui-bundle.js")
    assert "SwaggerUIBundle" in script.text
    assert "/api/v1/openapi.json" in page.text


async def test_the_openapi_document_is_not_shadowed(web: AsyncClient) -> None:
    response = await web.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Quartermaster"
