"""The roles and operations beyond one process (issue 16): `qm api`, the probe servers of
`qm relay` / `qm worker`, `qm backup` / `qm restore`. cli.py registers the commands."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator, Mapping
from contextlib import ExitStack
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any

import typer

from quartermaster.cli_common import _fail, _load_settings, console

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from quartermaster.core.probes import ReadinessCheck
    from quartermaster.core.settings import Settings
    from quartermaster.runtime import EmbeddedUrls


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """How every API process runs Uvicorn (`qm serve`, `qm api`)."""
    return {
        "factory": True,
        "loop": "uvloop",
        "http": "httptools",
        "log_config": None,
        "access_log": False,
        # The client's address comes from QM_TRUSTED_PROXIES (core.deps), not from
        # Uvicorn, which would trust X-Forwarded-For from 127.0.0.1 by default.
        "proxy_headers": False,
        "timeout_graceful_shutdown": settings.api_shutdown_grace_seconds,
        "timeout_keep_alive": settings.http_keepalive_seconds,
        # Live events are small JSON; compressing each one for each socket costs more CPU
        # than the bytes are worth (Centrifugo's default is off too).
        "ws_per_message_deflate": False,
    }


def require_known_schema(settings: Settings) -> str:
    """The database's schema revision, when it is this code's head; otherwise exit 1
    saying what to do. The API never serves a schema it was not written for."""
    import asyncpg

    from quartermaster.core.migrate import SchemaMismatch, check_schema

    assert settings.database_url is not None
    try:
        return asyncio.run(check_schema(settings.database_url))
    except SchemaMismatch as exc:
        raise _fail(str(exc)) from exc
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        raise _fail(
            f"cannot read the database's schema revision through QM_DATABASE_URL: {exc!r}. "
            "The API starts only once the database is reachable and migrated."
        ) from exc


def api(
    host: Annotated[str | None, typer.Option(help="Interface to bind (default QM_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to bind (default QM_PORT).")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Uvicorn worker processes.")] = 1,
    modules: Annotated[
        str | None, typer.Option(help="Comma-separated modules to mount (default: all).")
    ] = None,
) -> None:
    """Run the API only (external mode: QM_DATABASE_URL and QM_REDIS_URL), after checking
    that the database is at this release's schema. No relay and no job worker run inside
    unless QM_RUN_RELAY / QM_RUN_WORKER say so; SIGTERM drains requests and closes live
    connections with 1001."""
    import uvicorn

    from quartermaster.modules import UnknownModule, resolve_modules

    settings = _load_settings()
    if settings.embedded:
        raise _fail(
            "qm api serves the API against external PostgreSQL and Redis: set "
            "QM_DATABASE_URL and QM_REDIS_URL (for everything in one process, embedded "
            "servers included, use `qm serve`)."
        )
    module_names = [m.strip() for m in modules.split(",") if m.strip()] if modules else None
    try:
        resolve_modules(module_names)
    except UnknownModule as exc:
        raise _fail(str(exc)) from exc
    if modules:
        os.environ["QM_MODULES"] = modules
    revision = require_known_schema(settings)
    host, port = host or settings.host, port or settings.port
    console.print(
        f"API on http://{host}:{port} ({workers} worker process(es), schema {revision}); "
        "SIGTERM stops it.",
        highlight=False,
    )
    # Uvicorn drains on SIGTERM, then re-raises the signal: end with status 0 instead of
    # dying by it, as `qm serve` does.
    signal.signal(signal.SIGTERM, _interrupt)
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.run(
            "quartermaster.api:create_app_from_environment",
            host=host,
            port=port,
            workers=workers,
            **uvicorn_options(settings),
        )
    console.print("API stopped.")


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


# --- probes of the roles without an API ------------------------------------------------


@contextlib.asynccontextmanager
async def role_probes(
    host: str,
    port: int | None,
    registry: CollectorRegistry,
    checks: Mapping[str, ReadinessCheck],
    settings: Settings,
) -> AsyncIterator[None]:
    """``/healthz``, ``/readyz`` and ``/metrics`` on ``host:port`` while the role runs
    (nothing when no port is given). The port is the role's own, like QM_METRICS_PORT
    for the API; QM_METRICS_TOKEN, when set, guards its /metrics the same way."""
    if port is None:
        yield
        return
    from quartermaster.core.probes import probe_app, probe_server

    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    app = probe_app(registry, checks, metrics_token=token)
    async with probe_server(host, port, app):
        console.print(f"Probes on http://{host}:{port} (/healthz, /readyz, /metrics).")
        yield


def worker_role(settings: Settings, host: str, port: int | None) -> None:
    """`qm worker`: the arq worker, with its probes when ``port`` is given."""
    from quartermaster.core.tracing import setup_tracing, shutdown_tracing
    from quartermaster.jobs.metrics import JobMetrics
    from quartermaster.jobs.worker import build_worker, worker_checks
    from quartermaster.modules import load_tasks

    async def run() -> None:
        setup_tracing(settings, "quartermaster-worker")
        metrics = JobMetrics()
        worker = build_worker(settings, *load_tasks(settings), metrics=metrics)
        async with role_probes(host, port, metrics.registry, worker_checks(worker), settings):
            try:
                await worker.async_run()
            except asyncio.CancelledError:
                pass
            finally:
                await worker.close()
                shutdown_tracing()

    asyncio.run(run())


# --- backups of the embedded database ----------------------------------------------------


def _embedded_postgres(settings: Settings, stack: ExitStack) -> EmbeddedUrls:
    """The embedded PostgreSQL's URLs (the superuser's included): of the running
    `qm serve`, or of a server started for the duration of the command."""
    from quartermaster.runtime import EmbeddedServices, EmbeddedStartError, running_urls

    if settings.database_url is not None:
        raise _fail(
            "qm backup / qm restore are for the embedded PostgreSQL. With QM_DATABASE_URL, "
            "back up with your provider's tools or pg_dump as a role that bypasses row-level "
            "security (docs/operations.md, Backups)."
        )
    running = running_urls(settings.data_dir)
    if running is not None and running.admin_url:
        return running
    services = EmbeddedServices(settings.data_dir, postgres=True, redis=False)
    with console.status(f"Starting the embedded PostgreSQL in {settings.data_dir.resolve()} …"):
        try:
            urls = services.start()
        except EmbeddedStartError as exc:
            services.stop()
            raise _fail(str(exc)) from exc
    stack.callback(services.stop)
    return urls


def backup(
    output: Annotated[
        Path, typer.Argument(help="The dump file to write (PostgreSQL custom format).")
    ],
) -> None:
    """Dump the embedded database (schema, every organization's data, roles' grants) to
    a file with the wheel's pg_dump. Works while `qm serve` runs (one consistent
    snapshot) or starts the embedded PostgreSQL for the duration."""
    from quartermaster.runtime.backup import BackupFailed, dump_database

    settings = _load_settings()
    if output.exists():
        raise _fail(f"{output} exists; choose a new file (a backup never overwrites one).")
    with ExitStack() as stack:
        urls = _embedded_postgres(settings, stack)
        with console.status(f"Dumping the database to {output} …"):
            try:
                dump_database(urls.admin_url, output)
            except BackupFailed as exc:
                raise _fail(str(exc)) from exc
    console.print(f"Backup written: {output} ({output.stat().st_size:,} bytes).")


def restore(
    dump: Annotated[Path, typer.Argument(help="A dump written by `qm backup`.")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Replace the current data without asking.")
    ] = False,
) -> None:
    """Replace the embedded database with a dump from `qm backup`. The dump is restored
    into a new database first (in one transaction: a failure changes nothing), then
    swapped in; the previous database is kept, renamed, until you drop it. Migrations then
    bring the data to this release's schema. Stop `qm serve` first."""
    from quartermaster.core import migrate as migrations
    from quartermaster.runtime import running_urls
    from quartermaster.runtime.backup import BackupFailed, restore_database

    settings = _load_settings()
    if not dump.is_file():
        raise _fail(f"{dump} is not a file.")
    if settings.database_url is None and running_urls(settings.data_dir) is not None:
        raise _fail(
            f"the embedded servers of {settings.data_dir.resolve()} are running (`qm serve`?): "
            "stop it first, so nothing writes while the data is replaced."
        )
    if not yes and not typer.confirm(
        "This replaces every organization's data with the dump's. Continue?"
    ):
        raise typer.Exit(code=1)
    with ExitStack() as stack:
        urls = _embedded_postgres(settings, stack)
        with console.status(f"Restoring {dump} …"):
            try:
                kept = restore_database(settings.data_dir, urls.admin_url, dump)
            except BackupFailed as exc:
                raise _fail(f"{exc} The current data is unchanged.") from exc
        owner_url, app_url = urls.database_owner_url, urls.database_url
        with console.status("Applying database migrations …"):
            migrations.upgrade(owner_url, app_role=migrations.application_role(app_url, owner_url))
    console.print(
        f"Restored {dump}; the database is at {migrations.head_revision()}. The previous "
        f"data is kept in the database {kept!r}; drop it once you no longer need it: "
        f"psql \"$(qm db-url --admin)\" -c 'DROP DATABASE {kept}'",
        highlight=False,
        soft_wrap=True,
    )
