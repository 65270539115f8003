"""Liveness, readiness and metrics endpoints (not under /api/v1: probes and scrapers)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from quartermaster.core.db import get_database
from quartermaster.core.errors import problem_body, problem_response
from quartermaster.core.metrics import CONTENT_TYPE_LATEST, HttpMetrics
from quartermaster.core.redis import get_redis

router = APIRouter(tags=["health"])

CHECK_TIMEOUT_SECONDS = 2.0


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


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    registry = request.app.state.metrics
    assert isinstance(registry, HttpMetrics)
    return Response(registry.render(), media_type=CONTENT_TYPE_LATEST)
