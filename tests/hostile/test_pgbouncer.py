"""The transaction limits work behind pgbouncer in transaction mode: they travel with the
tenant statement (set_config(..., true)), not as startup parameters, so each transaction
gets them on whichever server connection pgbouncer lends it, and none leaks to the next."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

from quartermaster.core.db import Database, TransactionLimits
from quartermaster.core.settings import Settings
from quartermaster.runtime.provision import APP_ROLE_SETTINGS
from tests.conftest import TestServices
from tests.hostile.test_database_limits import REPORT, app_with, movements_locked
from tests.identity.conftest import Identity
from tests.inventory.conftest import Inventory

pytestmark = pytest.mark.slow
PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
UNPRIVILEGED = "qm-postgres"  # the account the embedded PostgreSQL runs as under root


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def bouncer_url(services: TestServices) -> Iterator[str]:
    """A pgbouncer in transaction mode in front of the test database, one server
    connection per pool (so consecutive transactions share it)."""
    app = make_url(services.app_url)
    port = _free_port()
    workdir = Path(tempfile.mkdtemp(prefix="qm-pgbouncer-"))
    workdir.chmod(0o755)  # pgbouncer drops root for an unprivileged account
    (workdir / "users.txt").write_text(f'"{app.username}" "{app.password}"\n')
    (workdir / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"{app.database} = host={app.host} port={app.port} dbname={app.database}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = scram-sha-256\nauth_file = {workdir / 'users.txt'}\n"
        "pool_mode = transaction\ndefault_pool_size = 1\nmax_client_conn = 50\n"
        "ignore_startup_parameters = extra_float_digits\n"
    )
    for name in ("users.txt", "pgbouncer.ini"):
        (workdir / name).chmod(0o644)
    command = [PGBOUNCER, str(workdir / "pgbouncer.ini")]
    if os.geteuid() == 0:
        command[1:1] = ["-u", UNPRIVILEGED]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while True:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        if process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            pytest.fail(f"pgbouncer exited: {output}")
        assert time.monotonic() < deadline, "pgbouncer did not listen"
        time.sleep(0.05)
    try:
        yield app.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
async def bounced(bouncer_url: str) -> AsyncIterator[Database]:
    database = Database(
        bouncer_url,
        pool_size=3,
        max_overflow=0,
        pgbouncer=True,
        limits=TransactionLimits.of(statement_timeout=2.5, idle_in_transaction_timeout=9),
    )
    yield database
    await database.dispose()


async def _show(database: Database, tenant: uuid.UUID | None) -> tuple[str, str, int]:
    async with database.transaction(tenant) as session:
        row = (
            await session.execute(
                text(
                    "SELECT current_setting('statement_timeout'), "
                    "current_setting('idle_in_transaction_session_timeout'), pg_backend_pid()"
                )
            )
        ).one()
    return row[0], row[1], row[2]


async def test_each_transaction_carries_its_limits_and_leaves_none_behind(
    bounced: Database,
) -> None:
    with_tenant = await _show(bounced, uuid.uuid4())
    without = await _show(bounced, None)
    assert with_tenant[:2] == ("2500ms", "9s")
    # The same server connection (pool size 1), the role's defaults again.
    assert without[2] == with_tenant[2]
    assert without[:2] == (
        APP_ROLE_SETTINGS["statement_timeout"],
        APP_ROLE_SETTINGS["idle_in_transaction_session_timeout"],
    )


async def test_a_stuck_report_behind_pgbouncer_is_stopped_with_a_503(
    settings: Settings, services: TestServices, bouncer_url: str
) -> None:
    overrides = {
        "database_url": bouncer_url,
        "database_pgbouncer": True,
        "database_statement_timeout_seconds": 0.5,
    }
    async with app_with(settings, **overrides) as application:
        transport = ASGITransport(app=application)
        async with AsyncClient(transport=transport, base_url="http://test") as client:
            inventory = Inventory(client, await Identity(client).signup("Acme"))
            async with movements_locked(services):
                response = await asyncio.wait_for(
                    inventory.get("/reports/movements", **REPORT), timeout=120
                )
            after = await inventory.get("/reports/movements", **REPORT)
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "statement-timeout"
    assert after.status_code == 200, after.text
