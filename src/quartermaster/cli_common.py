"""What the `qm` commands share: the console, failing with a message, and running async
work on a small connection pool (kept apart so cli.py and cli_demo.py can both use it)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import typer
from rich.console import Console

if TYPE_CHECKING:
    from quartermaster.core.db import Database
    from quartermaster.core.security import PasswordHasher
    from quartermaster.core.settings import Settings

T = TypeVar("T")

console = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code=1)


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

    from quartermaster.core.db import Database

    async def run() -> T:
        assert settings.database_url is not None
        database = Database(settings.database_url, pool_size=1, max_overflow=0)
        try:
            return await work(database)
        finally:
            await database.dispose()

    if uvloop:
        import uvloop as uvloop_module

        return uvloop_module.run(run())
    return asyncio.run(run())
