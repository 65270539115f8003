"""What the `qm` commands share: the console, failing with a message, and running async
work on a small connection pool (kept apart so cli.py and cli_demo.py can both use it)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import typer
from rich.console import Console

from quartermaster import __version__

if TYPE_CHECKING:
    from quartermaster.core.db import Database
    from quartermaster.core.security import PasswordHasher
    from quartermaster.core.settings import Settings

T = TypeVar("T")

console = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    # soft_wrap: one line per message, so paths in it stay copy-pasteable.
    console.print(f"[bold red]error:[/] {message}", soft_wrap=True, highlight=False)
    return typer.Exit(code=1)


def _load_settings() -> Settings:
    from pydantic import ValidationError

    from quartermaster.core.logging import configure_logging
    from quartermaster.core.settings import InsecureSettings, get_settings

    try:
        settings = get_settings()
    except (ValidationError, InsecureSettings) as exc:
        raise _fail(str(exc)) from exc
    configure_logging(settings.effective_log_format, settings.log_level)
    return settings


def _hasher(settings: Settings) -> PasswordHasher:
    from quartermaster.core.security import PasswordHasher

    return PasswordHasher(
        time_cost=settings.password_argon2_time_cost,
        memory_kib=settings.password_argon2_memory_kib,
    )


def _run_with_database(
    settings: Settings, work: Callable[[Database], Awaitable[T]], *, uvloop: bool = False
) -> T:
    """``work`` on a one-connection pool; ``uvloop`` for long runs of small statements (the
    demo seed), where it halves the event loop's share of each round trip."""
    import asyncio

    from quartermaster.core.db import Database, job_limits

    async def run() -> T:
        assert settings.database_url is not None
        database = Database(
            settings.database_url, pool_size=1, max_overflow=0, limits=job_limits(settings)
        )
        try:
            return await work(database)
        finally:
            await database.dispose()

    if uvloop:
        import uvloop as uvloop_module

        return uvloop_module.run(run())
    return asyncio.run(run())


def _qm_as_typed() -> str:
    """How to run `qm` here: ``./qm`` in a checkout (the wrapper runs from its directory,
    and works without uv on PATH), else ``qm`` (an installed package, a container)."""
    from pathlib import Path

    return "./qm" if (Path.cwd() / "qm").is_file() else "qm"


def _print_banner(
    settings: Settings,
    host: str,
    port: int,
    *,
    embedded: bool,
    demo: dict[str, str] | None,
    mailbox: bool = False,
    smtp_port: int | None = None,
) -> None:
    base = f"http://{host}:{port}"
    lines = [
        f"[bold]Quartermaster {__version__}[/] is starting",
        f"  App      {base}/",
        f"  API      {base}/api/v1",
        f"  Docs     {base}/docs",
        f"  Health   {base}/readyz",
    ]
    if embedded:
        lines.append("  Mode     embedded PostgreSQL + Redis")
        lines.append(f"  Data     {settings.data_dir.resolve()}")
        qm = _qm_as_typed()
        lines.append(f'  psql     {qm} psql    (or: url=$({qm} db-url) && psql "$url")')
        if mailbox:
            lines.append(
                f"  Mail     captured, not sent: {(settings.data_dir / 'mailbox').resolve()} "
                f"({qm} mail list)"
            )
    else:
        lines.append("  Mode     external PostgreSQL and Redis (QM_DATABASE_URL, QM_REDIS_URL)")
    if demo:
        lines.append(
            f"  Demo     {demo['email']} / {demo['password']}  ({demo['organization']}; "
            "as created on the first start)"
        )
    if smtp_port is not None:
        lines.append(
            f"  Mail in  smtp://{settings.inbound_smtp_host}:{smtp_port}  (to "
            f"support+<organization id>@{settings.inbound_email_domain}; "
            "GET /api/v1/inbound/address)"
        )
    lines.append("Press Ctrl-C to stop.")
    # soft_wrap: long paths must stay on one line, copy-pasteable.
    console.print("\n".join(lines), soft_wrap=True, highlight=False)


def _admin_url(settings: Settings, *, embedded: bool) -> str | None:
    """A connection that sees every tenant: QM_DATABASE_ADMIN_URL, else (embedded) the
    embedded PostgreSQL's superuser, pointed at the application's database. Used only to
    list tenants, never to read or write tenant data."""
    from sqlalchemy.engine import make_url

    url = settings.database_admin_url
    if not url and embedded:
        from quartermaster.runtime import running_urls

        running = running_urls(settings.data_dir)
        url = running.admin_url if running and running.admin_url else None
    if not url:
        return None
    assert settings.database_url is not None
    database = make_url(settings.database_url).database
    return make_url(url).set(database=database).render_as_string(hide_password=False)
