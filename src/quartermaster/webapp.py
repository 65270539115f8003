"""The browser app and the API documentation, served by the API process.

- ``/`` and every path no route claims (``/products/…``, ``/stock/count``): the built web app
  (``web/dist``, ``QM_WEB_DIR``). Files under ``/assets/`` carry a content hash in their name,
  so they are cached for a year (``immutable``); ``index.html``, the service worker and the
  manifest are revalidated on every load (``no-cache``), so a new release is picked up at
  once. Any other path answers ``index.html`` (the client-side router takes it from there).
- ``/api/…`` never falls back: an unknown API path stays a problem+json 404, and a wrong
  method on a known route stays a 405, because the fallback is the router's ``default``
  app — called only when no route matched at all, after the method check.
- ``/docs``: Swagger UI from the assets the ``fastapi-offline`` package ships (no CDN).

Application layer (like ``api.py``): it knows no business module.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

DOCS_URL = "/docs"
DOCS_ASSETS_URL = "/docs/assets"
# Paths that belong to the server: an unknown one is a 404, never the app's index.html.
SERVER_PREFIXES = ("/api/", "/docs/", "/healthz", "/readyz", "/metrics")
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# The app talks only to its own origin (REST and the live WebSocket); charts set inline
# style attributes, hence 'unsafe-inline' for styles only.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self' ws: wss:; "
    "worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'none'; form-action 'self'"
)
NOT_BUILT = """<!doctype html><html lang="en"><meta charset="utf-8">
<title>Quartermaster</title><body style="font-family:system-ui;margin:3rem;max-width:40rem">
<h1>The web app is not built</h1>
<p>This server has no built browser app (looked in <code>{where}</code>). From a checkout,
<code>make run</code> builds it before starting; <code>make web</code> builds it alone.
The API is at <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> and its documentation
at <a href="/docs">/docs</a>.</p></body></html>"""


def default_web_dir() -> Path:
    """``web/dist`` of the checkout this package runs from (src layout: two levels up)."""
    return Path(__file__).resolve().parents[2] / "web" / "dist"


def install_web(app: FastAPI, web_dir: Path | None) -> None:
    """Swagger UI at ``/docs`` and the web app for every path no route matches."""
    _install_docs(app)
    directory = web_dir or default_web_dir()
    app.router.default = WebAppFallback(directory, app.router.default)


class WebAppFallback:
    """The router's last resort: the built web app's files, else its ``index.html``."""

    def __init__(self, directory: Path, not_found: ASGIApp) -> None:
        self.directory = directory
        self.not_found = not_found
        self.files = StaticFiles(directory=directory, check_dir=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or path.startswith(SERVER_PREFIXES)
            or "\x00" in path
        ):
            await self.not_found(scope, receive, send)
            return
        response = await self._response(path, scope)
        await response(scope, receive, send)

    async def _response(self, path: str, scope: Scope) -> Response:
        index = self.directory / "index.html"
        if not index.is_file():
            return HTMLResponse(
                NOT_BUILT.format(where=self.directory), status_code=404, headers=_no_store()
            )
        relative = path.lstrip("/")
        if relative and relative != "index.html":
            try:
                response = await self.files.get_response(relative, scope)
            except StarletteHTTPException:  # no such file (or a path leaving the directory)
                response = None
            except (OSError, ValueError):  # a name the file system refuses (too long, …)
                response = None
            if response is not None and response.status_code in (200, 304):
                immutable = relative.startswith("assets/")
                response.headers["Cache-Control"] = IMMUTABLE if immutable else REVALIDATE
                response.headers["X-Content-Type-Options"] = "nosniff"
                return response
            if _looks_like_a_file(relative):
                # A missing script or image must not receive HTML (a stale service worker
                # asking for an old hashed asset gets a plain 404 and refetches the shell).
                return Response("Not Found", status_code=404, headers=_no_store())
        return FileResponse(index, headers=_index_headers())


def _looks_like_a_file(relative: str) -> bool:
    last = relative.rsplit("/", 1)[-1]
    return relative.startswith("assets/") or os.path.splitext(last)[1] != ""


def _index_headers() -> dict[str, str]:
    return {
        "Cache-Control": REVALIDATE,
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }


def _no_store() -> dict[str, str]:
    return {"Cache-Control": "no-store"}


def _install_docs(app: FastAPI) -> None:
    """Swagger UI from packaged assets; FastAPI's own ``/docs`` would load them from a CDN."""
    assets = files("fastapi_offline") / "static"
    app.mount(DOCS_ASSETS_URL, StaticFiles(directory=str(assets)), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"
    oauth2_redirect_url = app.swagger_ui_oauth2_redirect_url or f"{DOCS_URL}/oauth2-redirect"

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} — API",
            oauth2_redirect_url=f"{root}{oauth2_redirect_url}",
            swagger_js_url=f"{root}{DOCS_ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{DOCS_ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{DOCS_ASSETS_URL}/favicon.png",
            swagger_ui_parameters=app.swagger_ui_parameters,
        )

    @app.get(oauth2_redirect_url, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
