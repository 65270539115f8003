"""The roles as separate commands: `qm api` (refuses a schema it does not know),
`qm relay` and `qm worker` with their probes; each stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from quartermaster.core import migrate
from tests.conftest import TestServices, plain
from tests.test_cli import clean_env, free_port, qm, stop, wait_ready

TIMEOUT = 90.0


def external_env(services: TestServices, **extra: str) -> dict[str, str]:
    return clean_env(
        QM_DATABASE_URL=services.app_url,
        QM_DATABASE_OWNER_URL=services.owner_url,
        QM_REDIS_URL=services.redis_url,
        QM_LOG_FORMAT="json",
        **extra,
    )


def wait_for(url: str, proc: subprocess.Popen[str], timeout: float = TIMEOUT) -> httpx.Response:
    """The first 200 from ``url`` (the process must stay up meanwhile)."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"exited with {proc.returncode}:\n{out}\n{err}")
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code == 200:
                return response
            last = response.text
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer 200 within {timeout} s: {last}")


@pytest.fixture
def scratch_database(services: TestServices) -> Iterator[str]:
    """An empty database beside the test one, as a URL of a role that may read it."""
    name = "qm_schema_check"

    async def run(statement: str) -> None:
        connection = await asyncpg.connect(plain(services.admin_url))
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    yield make_url(services.admin_url).set(database=name).render_as_string(hide_password=False)
    asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def run_api(env: dict[str, str], cwd: Path) -> tuple[int, str]:
    """Exit code and stderr, its lines joined (the console wraps long messages)."""
    result = subprocess.run(
        qm("api", "--port", str(free_port())),
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=TIMEOUT,
    )
    return result.returncode, " ".join(result.stderr.split())


class TestApiRefusesASchemaItDoesNotKnow:
    def test_without_a_schema(
        self, services: TestServices, scratch_database: str, serve_cwd: Path
    ) -> None:
        env = external_env(services) | {"QM_DATABASE_URL": scratch_database}
        code, stderr = run_api(env, serve_cwd)
        assert code == 1
        assert "no schema yet" in stderr
        assert "Run `qm migrate`" in stderr

    def test_at_an_older_revision(
        self, services: TestServices, scratch_database: str, serve_cwd: Path
    ) -> None:
        self._stamp(scratch_database, "0009_realtime")
        code, stderr = run_api(
            external_env(services) | {"QM_DATABASE_URL": scratch_database}, serve_cwd
        )
        assert code == 1
        assert "at revision 0009_realtime, older than this code's" in stderr

    def test_at_a_revision_of_a_newer_release(
        self, services: TestServices, scratch_database: str, serve_cwd: Path
    ) -> None:
        self._stamp(scratch_database, "0099_from_the_future")
        code, stderr = run_api(
            external_env(services) | {"QM_DATABASE_URL": scratch_database}, serve_cwd
        )
        assert code == 1
        assert "0099_from_the_future, which this code does not know" in stderr

    def test_without_external_services(self, serve_cwd: Path, tmp_path: Path) -> None:
        code, stderr = run_api(clean_env(QM_DATA_DIR=str(tmp_path / "unused")), serve_cwd)
        assert code == 1
        assert "QM_DATABASE_URL and QM_REDIS_URL" in stderr
        assert not (tmp_path / "unused").exists()

    @staticmethod
    def _stamp(url: str, revision: str) -> None:
        async def run() -> None:
            connection = await asyncpg.connect(plain(url))
            try:
                await connection.execute(
                    "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)"
                )
                await connection.execute("INSERT INTO alembic_version VALUES ($1)", revision)
            finally:
                await connection.close()

        asyncio.run(run())


def test_schema_mismatch_names_what_to_do() -> None:
    head = migrate.head_revision()
    assert migrate.schema_mismatch(head) is None
    assert migrate.known_revisions() >= {head, "0001_baseline"}


@pytest.mark.slow
def test_api_serves_at_head_and_drains_on_sigterm(services: TestServices, serve_cwd: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        qm("api", "--port", str(port), "--workers", "2"),
        cwd=serve_cwd,
        env=external_env(services),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_ready(proc, port)
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz")
        assert ready.json() == {"database": "ok", "redis": "ok", "live": "ok"}
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics").text
        # The API process reports its pool; it runs neither relay nor worker.
        assert 'qm_db_pool_capacity{pool="api"} 20.0' in metrics
        assert "qm_relay_published_events_total" not in metrics
        assert "qm_jobs_finished_total" not in metrics
    finally:
        code, output = stop(proc)
    assert code == 0, output
    assert f"schema {migrate.head_revision()}" in output
    assert "API stopped." in output


@pytest.mark.slow
def test_relay_role_probes_and_metrics(services: TestServices, serve_cwd: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        qm("relay", "--port", str(port)),
        cwd=serve_cwd,
        env=external_env(services),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        assert wait_for(f"{base}/healthz", proc).json() == {"status": "ok"}
        assert wait_for(f"{base}/readyz", proc).json() == {"database": "ok", "redis": "ok"}
        metrics = wait_for(f"{base}/metrics", proc).text
        for name in (
            "qm_relay_lag_seconds_bucket",
            "qm_relay_published_events_total",
            "qm_outbox_pending_events",
            "qm_outbox_oldest_pending_age_seconds",
        ):
            assert name in metrics, name
    finally:
        code, output = stop(proc)
    assert code == 0, output
    assert "Relay stopped." in output


def test_relay_behind_pgbouncer_needs_a_direct_url(services: TestServices, serve_cwd: Path) -> None:
    result = subprocess.run(
        qm("relay"),
        capture_output=True,
        text=True,
        cwd=serve_cwd,
        env=external_env(services, QM_DATABASE_PGBOUNCER="true"),
        timeout=TIMEOUT,
    )
    assert result.returncode == 1
    assert "QM_RELAY_DATABASE_URL" in result.stderr


@pytest.mark.slow
def test_worker_role_probes_and_metrics(
    services: TestServices, serve_cwd: Path, tmp_path: Path
) -> None:
    port = free_port()
    proc = subprocess.Popen(
        qm("worker", "--port", str(port)),
        cwd=serve_cwd,
        env=external_env(services, QM_JOBS_FILES_DIR=str(tmp_path / "jobs")),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        assert wait_for(f"{base}/readyz", proc).json() == {"database": "ok", "redis": "ok"}
        metrics = wait_for(f"{base}/metrics", proc).text
        for name in (
            "qm_jobs_queued",
            "qm_jobs_running",
            'qm_db_pool_capacity{pool="worker"}',
            'qm_db_pool_capacity{pool="scheduler"}',
        ):
            assert name in metrics, name
    finally:
        code, output = stop(proc)
    assert code == 0, output
    assert "Worker stopped." in output


def test_settings_read_secret_files_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from quartermaster.core.settings import SECRETS_DIR_ENV, get_settings

    (tmp_path / "QM_SECRET_KEY").write_text("k" * 40)
    (tmp_path / "QM_REDIS_URL").write_text("redis://from-file:6379/0")
    (tmp_path / "QM_DATABASE_OWNER_DIRECT_URL").write_text("not a setting: ignored")
    for name in ("QM_SECRET_KEY", "QM_REDIS_URL", "QM_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(SECRETS_DIR_ENV, str(tmp_path))
    monkeypatch.setenv("QM_DATABASE_URL", "postgresql://env@db/x")
    monkeypatch.setenv("QM_ENV", "production")
    monkeypatch.chdir(tmp_path)  # no .env file here
    get_settings.cache_clear()
    try:
        settings = get_settings()
    finally:
        get_settings.cache_clear()
    assert settings.secret_key.get_secret_value() == "k" * 40
    assert settings.redis_url == "redis://from-file:6379/0"
    assert settings.database_url == "postgresql://env@db/x"
