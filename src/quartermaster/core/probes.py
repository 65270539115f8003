"""Probes and metrics for the roles that serve no API (`qm relay`, `qm worker`).

The same three paths as the API's, on a port of their own: ``/healthz`` (the process's
event loop answers — the server runs on it), ``/readyz`` (the role's own checks, 503
naming what is down) and ``/metrics`` (the role's Prometheus registry). Served by Uvicorn
on the role's event loop; the role keeps its own SIGTERM/SIGINT handling (Uvicorn's
signal capture is turned off for this server).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Generator, Mapping
from typing import Any

import uvicorn
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from quartermaster.core.errors import problem_body, problem_response
from quartermaster.core.metrics import metrics_token_matches

CHECK_TIMEOUT_SECONDS = 2.0

# Each check answers "ok" or says what is wrong.
ReadinessCheck = Callable[[], Awaitable[str]]


async def run_check(check: ReadinessCheck) -> str:
    try:
        return await asyncio.wait_for(check(), CHECK_TIMEOUT_SECONDS)
    except Exception:
        return "down"


def probe_app(
    registry: CollectorRegistry,
    checks: Mapping[str, ReadinessCheck],
    alive: Callable[[], str] = lambda: "ok",
    *,
    metrics_token: str | None = None,
) -> Starlette:
    """The probe paths; ``/metrics`` asks for ``Authorization: Bearer <metrics_token>``
    when one is given (QM_METRICS_TOKEN, as on the API's metrics)."""

    async def healthz(request: Request) -> Response:
        status = alive()
        if status == "ok":
            return JSONResponse({"status": "ok"})
        body = problem_body(status=503, code="not-alive", detail=status, instance=request.url.path)
        return problem_response(503, body)

    async def readyz(request: Request) -> Response:
        names = list(checks)
        results = await asyncio.gather(*(run_check(checks[name]) for name in names))
        states = dict(zip(names, results, strict=True))
        down = [name for name, state in states.items() if state != "ok"]
        if not down:
            return JSONResponse(states)
        body = problem_body(
            status=503,
            code="not-ready",
            detail=f"Not ready: {', '.join(down)} {'is' if len(down) == 1 else 'are'} down.",
            instance=request.url.path,
            extensions={**states, "checks": states},
        )
        return problem_response(503, body)

    async def metrics(request: Request) -> Response:
        if metrics_token is not None and not metrics_token_matches(
            metrics_token, request.headers.get("authorization")
        ):
            body = problem_body(
                status=401,
                code="metrics-token-required",
                detail="Metrics need 'Authorization: Bearer <QM_METRICS_TOKEN>'.",
                instance=request.url.path,
            )
            return problem_response(401, body, {"WWW-Authenticate": "Bearer"})
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
        ]
    )


class _QuietServer(uvicorn.Server):
    """Uvicorn without its signal capture: the role's own handlers stop it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


@contextlib.asynccontextmanager
async def probe_server(host: str, port: int, app: Starlette) -> Any:
    """Serve ``app`` on ``host:port`` for the duration of the block."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        lifespan="off",
        loop="none",
    )
    server = _QuietServer(config)
    task = asyncio.create_task(server.serve(), name="probe-server")
    while not server.started:
        if task.done():
            task.result()  # the bind failed: raise it
            raise RuntimeError(f"the probe server on {host}:{port} stopped at start-up")
        await asyncio.sleep(0.01)
    try:
        yield server
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
