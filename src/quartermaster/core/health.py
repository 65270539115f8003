"""Liveness, readiness and metrics endpoints (not under /api/v1: probes and scrapers)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from quartermaster.core.db import get_database
from quartermaster.core.errors import AppError, problem_body, problem_response
from quartermaster.core.metrics import CONTENT_TYPE_LATEST, HttpMetrics, metrics_token_matches
from quartermaster.core.redis import get_redis
from quartermaster.core.settings import Settings

router = APIRouter(tags=["health"])

CHECK_TIMEOUT_SECONDS = 2.0
_READINESS_CHECKS = "readiness_checks"

ReadinessCheck = Callable[[], bool]


def add_readiness_check(app: FastAPI, name: str, check: ReadinessCheck) -> None:
    """Have ``/readyz`` report ``name`` too: "ok" while ``check()`` is true, else "down"
    (and 503). For what a module runs in the background (the live gateway's delivery)."""
    checks: dict[str, ReadinessCheck] = getattr(app.state, _READINESS_CHECKS, {})
    setattr(app.state, _READINESS_CHECKS, {**checks, name: check})


async def _check(probe: Callable[[], Awaitable[Any]]) -> str:
    try:
        await asyncio.wait_for(probe(), timeout=CHECK_TIMEOUT_SECONDS)
    except Exception:
        return "down"
    return "ok"


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="PostgreSQL and Redis are reachable",
    responses={503: {"description": "A dependency is down; the body names it"}},
)
async def readyz(request: Request) -> Response:
    database = get_database(request)
    redis = get_redis(request)
    db_status, redis_status = await asyncio.gather(_check(database.ping), _check(redis.ping))
    checks = {"database": db_status, "redis": redis_status}
    extra: dict[str, ReadinessCheck] = getattr(request.app.state, _READINESS_CHECKS, {})
    for name, check in extra.items():
        checks[name] = "ok" if check() else "down"
    down = [name for name, status in checks.items() if status != "ok"]
    if not down:
        return JSONResponse(checks)
    body = problem_body(
        status=503,
        code="not-ready",
        detail=f"Not ready: {', '.join(down)} {'is' if len(down) == 1 else 'are'} down.",
        instance=request.url.path,
        request_id=getattr(request.state, "request_id", None),
        extensions={**checks, "checks": checks},
    )
    return problem_response(503, body)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={
        401: {"description": "QM_METRICS_TOKEN is set and this request did not present it"},
        404: {"description": "Not served on this port (production, or QM_METRICS_PORT)"},
    },
)
async def metrics(request: Request) -> Response:
    settings = request.app.state.settings
    assert isinstance(settings, Settings)
    if settings.metrics_token is not None:
        if not metrics_token_matches(
            settings.metrics_token.get_secret_value(), request.headers.get("authorization")
        ):
            raise AppError(
                401,
                "metrics-token-required",
                "Metrics need 'Authorization: Bearer <QM_METRICS_TOKEN>'.",
                headers={"WWW-Authenticate": "Bearer"},
            )
    elif settings.metrics_port is not None or settings.is_production:
        raise AppError(
            404,
            "metrics-not-here",
            "Metrics are not served on the API's port here: "
            + (
                f"they are on port {settings.metrics_port}."
                if settings.metrics_port is not None
                else "set QM_METRICS_PORT (a port of their own) or QM_METRICS_TOKEN."
            ),
        )
    registry = request.app.state.metrics
    assert isinstance(registry, HttpMetrics)
    return Response(registry.render(), media_type=CONTENT_TYPE_LATEST)
