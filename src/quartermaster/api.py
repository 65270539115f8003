"""The application factory: ``create_app(settings, modules=None)``."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import structlog
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from quartermaster import __version__
from quartermaster.core.db import Database, request_limits
from quartermaster.core.errors import install_error_handlers
from quartermaster.core.health import router as health_router
from quartermaster.core.http import RequestContextMiddleware
from quartermaster.core.logging import configure_logging
from quartermaster.core.mail import attach_mail_scheduler
from quartermaster.core.metrics import HttpMetrics, MetricsServer, pool_metrics_of
from quartermaster.core.pagination import cursor_key
from quartermaster.core.redis import create_redis
from quartermaster.core.responses import document_problems
from quartermaster.core.security import PasswordHasher
from quartermaster.core.settings import Settings, get_settings
from quartermaster.core.tracing import add_http_tracing, flush_tracing, setup_tracing
from quartermaster.core.urls import API
from quartermaster.jobs.public import JobQueue, MailQueue
from quartermaster.modules import load_routers, resolve_modules
from quartermaster.webapp import install_web

log = structlog.stdlib.get_logger(__name__)


class UnsafeDatabaseRole(RuntimeError):
    """The API would connect as a role that row-level security does not bind."""


def _operation_id(route: APIRoute) -> str:
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


async def _check_application_role(database: Database, settings: Settings) -> None:
    """Row-level security does not apply to superusers or BYPASSRLS roles: refuse them,
    except in development on a loopback address (a developer's own database), where it
    is a warning."""
    try:
        async with database.engine.connect() as connection:
            row = (
                await connection.execute(
                    text(
                        "SELECT current_user, rolsuper, rolbypassrls "
                        "FROM pg_roles WHERE rolname = current_user"
                    )
                )
            ).one()
    except (OSError, SQLAlchemyError) as exc:
        # Start anyway: /readyz reports the database as down until it is reachable.
        log.warning("database_unreachable_at_startup", error=str(exc))
        return
    if row.rolsuper or row.rolbypassrls:
        message = (
            f"QM_DATABASE_URL connects as {row.current_user!r}, which is a superuser or has "
            "BYPASSRLS, so tenant isolation would not be enforced. Use a NOSUPERUSER "
            "NOBYPASSRLS application role (see docs/operations.md); only QM_ENV=development "
            "on a loopback QM_HOST accepts it."
        )
        if not settings.local_development:
            raise UnsafeDatabaseRole(message)
        log.warning("unsafe_database_role", detail=message)


def create_app(settings: Settings | None = None, modules: list[str] | None = None) -> FastAPI:
    """The application. Raises ``InsecureSettings`` for a secret anyone could know (the
    published placeholder, or a short one) outside development on a loopback address."""
    settings = settings or get_settings()
    settings.ensure_safe_to_serve()
    configure_logging(settings.effective_log_format, settings.log_level)
    mounted = resolve_modules(modules)
    if settings.database_url is None or settings.redis_url is None:
        raise ValueError(
            "create_app needs QM_DATABASE_URL and QM_REDIS_URL; `qm serve` fills them in "
            "embedded mode"
        )
    database_url, redis_url = settings.database_url, settings.redis_url

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = Database(
            database_url,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
            pool_timeout=settings.database_pool_timeout_seconds,
            pgbouncer=settings.database_pgbouncer,
            pool_pre_ping=settings.database_pool_pre_ping,
            pool_recycle=settings.database_pool_recycle_seconds,
            limits=request_limits(settings),
        )
        redis = create_redis(redis_url)
        pool_metrics_of(app.state.metrics.registry).track("api", database)
        app.state.database = database
        app.state.redis = redis
        # Mail queued in requests goes to the job queue once the request committed.
        attach_mail_scheduler(
            database.engine, MailQueue(JobQueue(redis)), default_from=settings.mail_from
        )
        # The hasher's dummy hash (for logins of unknown accounts) is made off the start-up
        # path; the task is kept so it is not collected while it runs.
        app.state.hasher_ready = asyncio.create_task(
            asyncio.to_thread(app.state.password_hasher.prepare)
        )
        try:
            await _check_application_role(database, settings)
            # relay + live gateway, then the in-process job worker (stopped first) (issue 5)
            async with (
                _metrics_port(app, settings),
                _realtime(app, settings, mounted),
                _jobs_worker(app, settings),
                _inbound_smtp(app, settings, mounted),
            ):
                log.info("app_started", modules=mounted, env=settings.env.value)
                yield
        finally:
            await asyncio.gather(app.state.hasher_ready, return_exceptions=True)
            await redis.aclose()
            await database.dispose()
            flush_tracing()
            log.info("app_stopped")

    app = FastAPI(
        title="Quartermaster",
        version=__version__,
        summary="Inventory, service desk and knowledge base for many tenants, live.",
        openapi_url=f"{API}/openapi.json",
        docs_url=None,  # webapp.py serves Swagger UI from packaged assets, not a CDN
        redoc_url=None,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        openapi_tags=[{"name": tag} for tag in DOCUMENTED_TAGS],
    )
    app.state.settings = settings
    app.state.password_hasher = PasswordHasher(
        time_cost=settings.password_argon2_time_cost,
        memory_kib=settings.password_argon2_memory_kib,
    )
    app.state.metrics = HttpMetrics()
    app.state.cursor_key = cursor_key(settings.secret_key.get_secret_value())
    app.state.modules = mounted
    app.add_middleware(
        RequestContextMiddleware,
        metrics=app.state.metrics,
        max_body_bytes=settings.http_max_body_bytes,
    )
    # Off unless QM_OTLP_ENDPOINT is set; outermost, so the request id runs inside its span.
    if setup_tracing(settings, "quartermaster-api"):
        add_http_tracing(app)
    install_error_handlers(app)
    # FastAPI finds a request's route by trying the included routers in order, each by
    # scanning all of its routes (no prefix index), so the busiest calls' routers (products,
    # stock) go first; `openapi_tags` keeps the documentation in reading order.
    for name in sorted(mounted, key=_include_rank):
        for router in load_routers(name):
            app.include_router(router, prefix=API)
    app.include_router(health_router)
    _wire_modules(app, mounted)
    _document_problems(app)
    install_web(app, settings.web_dir)  # /docs, then the browser app for every other path
    return app


def _document_problems(app: FastAPI) -> None:
    """The generated OpenAPI document, with every operation's problem+json answers."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_problems(generate(), app.routes)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


# The order of the API documentation's sections (tags not listed come after them).
DOCUMENTED_TAGS = (
    "auth",
    "users",
    "invitations",
    "api-keys",
    "audit",
    "products",
    "units",
    "categories",
    "price-lists",
    "stock",
    "warehouses",
    "locations",
    "reports",
    "exports",
    "imports",
    "jobs",
    "tickets",
    "contacts",
    "teams",
    "sla-policies",
    "ticket-fields",
    "csat",
    "inbound",
    "collections",
    "articles",
    "help-pages",
    "search",
    "realtime",
    "mail",
    "health",
)
# The order routers are tried in: the modules of the busiest calls first (scanners and
# product pages, stock movements, search as people type; its three routes cost the rest
# little, where behind every other module a search paid ~150 failed route matches).
_INCLUDE_ORDER = (
    "catalog",
    "inventory",
    "search",
    "servicedesk",
    "jobs",
    "realtime",
    "identity",
)


def _include_rank(name: str) -> int:
    return _INCLUDE_ORDER.index(name) if name in _INCLUDE_ORDER else len(_INCLUDE_ORDER)


def _wire_modules(app: FastAPI, mounted: list[str]) -> None:
    """Cross-module extension points, filled in when both sides are mounted: the catalog
    filters products by stock (``below_reorder``) with inventory's expression."""
    if "catalog" in mounted and "inventory" in mounted:
        from quartermaster.catalog.public import AVAILABLE_TOTAL_STATE
        from quartermaster.inventory.public import available_totals

        setattr(app.state, AVAILABLE_TOTAL_STATE, available_totals)


def create_app_from_environment() -> FastAPI:
    """The factory uvicorn calls in each worker process (``qm serve``)."""
    modules = os.environ.get("QM_MODULES")
    names = [m.strip() for m in modules.split(",") if m.strip()] if modules else None
    return create_app(get_settings(), names)


@asynccontextmanager
async def _metrics_port(app: FastAPI, settings: Settings) -> AsyncIterator[None]:
    """/metrics on QM_METRICS_PORT, when set. With several worker processes only the first
    binds it (the others log it): scrape per process with QM_METRICS_TOKEN instead."""
    if settings.metrics_port is None:
        yield
        return
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    try:
        server = MetricsServer(
            app.state.metrics.registry,
            host=settings.host,
            port=settings.metrics_port,
            token=token,
        )
    except OSError as exc:
        log.warning("metrics_port_unavailable", port=settings.metrics_port, error=str(exc))
        yield
        return
    server.start()
    app.state.metrics_server = server
    try:
        yield
    finally:
        server.stop()


# --- Realtime (issue 5): the in-process outbox relay and the live gateway ------------------


@asynccontextmanager
async def _realtime(app: FastAPI, settings: Settings, mounted: list[str]) -> AsyncIterator[None]:
    """The outbox relay when ``QM_RUN_RELAY`` (embedded `qm serve` sets it; with --workers N
    each worker runs one, which SKIP LOCKED allows), and the WebSocket/SSE gateway when the
    realtime module is mounted. Shutdown: sockets close (1001) before the relay stops."""
    from quartermaster.core.relay import OutboxRelay, RelayMetrics, relay_in_background
    from quartermaster.realtime.public import channel_of, gateway_lifespan

    async with AsyncExitStack() as stack:
        if settings.run_relay:
            relay_url = (
                settings.relay_database_url or settings.database_owner_url or settings.database_url
            )
            assert relay_url is not None
            relay = OutboxRelay(
                relay_url,
                app.state.redis,
                channel_of,
                batch_size=settings.relay_batch_size,
                poll_interval=settings.relay_poll_interval_seconds,
                stream_maxlen=settings.realtime_stream_maxlen,
                metrics=RelayMetrics(app.state.metrics.registry),
            )
            app.state.relay = relay
            await stack.enter_async_context(relay_in_background(relay))
        if "realtime" in mounted:
            await stack.enter_async_context(gateway_lifespan(app, settings))
        yield


# --- end of realtime -------------------------------------------------------------------------


# --- Jobs (issue 5): the in-process arq worker ------------------------------------------------


@asynccontextmanager
async def _jobs_worker(app: FastAPI, settings: Settings) -> AsyncIterator[None]:
    """An arq worker inside this process when ``QM_RUN_WORKER`` (embedded `qm serve` sets
    it; external mode runs `qm worker` instead). It runs every module's tasks and
    schedules; on shutdown its running jobs go back to the queue."""
    if not settings.run_worker:
        yield
        return
    from quartermaster.jobs.metrics import JobMetrics
    from quartermaster.jobs.worker import InProcessWorker
    from quartermaster.modules import load_tasks

    metrics = JobMetrics(app.state.metrics.registry)
    worker = InProcessWorker(settings, *load_tasks(settings), metrics=metrics)
    worker.start()
    try:
        yield
    finally:
        await worker.stop()


# --- end of jobs -------------------------------------------------------------------------------


def openapi_document() -> str:
    """The OpenAPI document of every module, as ``web/openapi.json`` stores it (the web
    app's client is generated from that file; ``qm openapi`` and ``make web-client`` write
    it). Building the app connects to nothing, so placeholder URLs do."""
    import json

    settings = Settings(
        _env_file=None,
        database_url="postgresql+asyncpg://openapi@127.0.0.1/openapi",
        redis_url="redis://127.0.0.1/0",
    )
    spec = create_app(settings).openapi()
    return json.dumps(spec, indent=2, ensure_ascii=False) + "\n"


# --- Service desk (issue 14): the inbound SMTP listener ------------------------------------


@asynccontextmanager
async def _inbound_smtp(
    app: FastAPI, settings: Settings, mounted: list[str]
) -> AsyncIterator[None]:
    """aiosmtpd on the app's loop when ``QM_INBOUND_SMTP_PORT`` is set (embedded `qm serve`
    picks a free port) and the servicedesk module is mounted; its port is kept in
    ``app.state.inbound_smtp_port``."""
    if settings.inbound_smtp_port is None or "servicedesk" not in mounted:
        yield
        return
    from quartermaster.servicedesk.files import AttachmentStore
    from quartermaster.servicedesk.params import desk_mail
    from quartermaster.servicedesk.smtp import InboundHandler, smtp_listener

    handler = InboundHandler(
        app.state.database,
        AttachmentStore.from_settings(settings),
        domain=None,
        max_attachment_bytes=settings.servicedesk_max_attachment_bytes,
        desk_mail=desk_mail(settings),
    )
    async with smtp_listener(
        handler,
        settings.inbound_smtp_host,
        settings.inbound_smtp_port,
        max_bytes=settings.inbound_email_max_bytes,
        hostname=settings.inbound_email_domain,
    ) as port:
        app.state.inbound_smtp_port = port
        try:
            yield
        finally:
            app.state.inbound_smtp_port = None


# --- end of service desk -----------------------------------------------------------------------
