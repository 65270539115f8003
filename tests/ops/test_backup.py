"""`qm backup` / `qm restore` of the embedded database, round trip, through the CLI."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from quartermaster.runtime import EmbeddedServices
from tests.test_cli import clean_env, processes_using, qm

TIMEOUT = 180.0


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "data"
    yield path
    for proc in processes_using(path):  # never leave servers behind, even on failure
        proc.kill()


def run(cwd: Path, data_dir: Path, *args: str) -> tuple[int, str]:
    result = subprocess.run(
        qm(*args),
        capture_output=True,
        text=True,
        cwd=cwd,
        env=clean_env(QM_DATA_DIR=str(data_dir)),
        timeout=TIMEOUT,
    )
    return result.returncode, " ".join((result.stdout + result.stderr).split())


def create_user(cwd: Path, data_dir: Path, email: str, organization: str) -> tuple[int, str]:
    return run(
        cwd,
        data_dir,
        "create-user",
        "--email",
        email,
        "--organization",
        organization,
        "--password",
        "a-long-password-1",
    )


@pytest.mark.slow
def test_restore_brings_back_exactly_what_was_backed_up(
    serve_cwd: Path, data_dir: Path, tmp_path: Path
) -> None:
    assert create_user(serve_cwd, data_dir, "ana@alpha.example", "Alpha")[0] == 0
    dump = tmp_path / "alpha.dump"
    code, output = run(serve_cwd, data_dir, "backup", str(dump))
    assert code == 0, output
    assert dump.stat().st_size > 0
    assert not dump.with_name("alpha.dump.partial").exists()
    code, output = run(serve_cwd, data_dir, "backup", str(dump))
    assert code == 1
    assert "exists" in output

    # A change after the backup, which the restore must undo.
    assert create_user(serve_cwd, data_dir, "bo@beta.example", "Beta")[0] == 0

    code, output = run(serve_cwd, data_dir, "restore", str(dump), "--yes")
    assert code == 0, output
    assert "quartermaster_before_restore_" in output

    # Alpha's owner is back (its e-mail is taken), Beta's is gone (its e-mail is free),
    # through the application role: grants and row-level security came back with the data.
    code, output = create_user(serve_cwd, data_dir, "ana@alpha.example", "Alpha again")
    assert code == 1
    assert "already" in output
    code, output = create_user(serve_cwd, data_dir, "bo@beta.example", "Beta")
    assert code == 0, output

    with EmbeddedServices(data_dir, redis=False) as urls:

        async def tables_without_forced_rls() -> list[str]:
            connection = await asyncpg.connect(
                make_url(urls.admin_url).set(database="quartermaster").render_as_string(False)
            )
            try:
                rows = await connection.fetch(
                    "SELECT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid "
                    "WHERE a.attname = 'tenant_id' AND c.relkind = 'r' "
                    "AND c.relnamespace = 'public'::regnamespace "
                    "AND NOT (c.relrowsecurity AND c.relforcerowsecurity)"
                )
                return [row["relname"] for row in rows]
            finally:
                await connection.close()

        assert asyncio.run(tables_without_forced_rls()) == []
    assert processes_using(data_dir) == []


def test_backup_refuses_external_mode(serve_cwd: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        qm("backup", str(tmp_path / "x.dump")),
        capture_output=True,
        text=True,
        cwd=serve_cwd,
        env=clean_env(QM_DATABASE_URL="postgresql://x@127.0.0.1:9/x"),
        timeout=TIMEOUT,
    )
    assert result.returncode == 1
    assert "embedded" in result.stderr
