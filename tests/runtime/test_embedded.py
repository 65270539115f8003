"""The embedded PostgreSQL and Redis: real processes in temporary data dirs, no mocks."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import psutil
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from quartermaster.runtime import (
    DataDirBusy,
    EmbeddedServices,
    EmbeddedStartError,
    EmbeddedUrls,
    ServeLock,
    provision_database,
    provision_database_async,
    running_urls,
)

pytestmark = pytest.mark.slow

SERVER_NAMES = {"postgres", "redis-server"}


def server_processes(data_dir: Path) -> list[psutil.Process]:
    """Live postgres / redis-server processes whose command line mentions `data_dir` (or,
    as root, the home PostgreSQL's data was given when it could not enter `data_dir`:
    ``postgres`` there links to it)."""
    markers = {str(data_dir.resolve()), str((data_dir / "postgres").resolve())}
    found = []
    for proc in psutil.process_iter(["name", "cmdline", "status"]):
        if proc.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        cmdline = proc.info["cmdline"] or []
        names = {proc.info["name"], Path(cmdline[0]).name if cmdline else ""}
        if names & SERVER_NAMES and any(m in arg for m in markers for arg in cmdline):
            found.append(proc)
    return found


def postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "postgres" / "postmaster.pid").read_text().splitlines()[0])


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/")[0])


def redis_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=5)


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, EmbeddedUrls]]:
    data_dir = tmp_path_factory.mktemp("embedded") / ".qm"
    services = EmbeddedServices(data_dir, fast=True)
    urls = services.start()
    yield data_dir, urls
    services.stop()
    assert server_processes(data_dir) == []


class TestPersistenceAndShutdown:
    async def test_rows_and_keys_survive_a_restart_and_stop_leaves_no_server_behind(
        self, tmp_path_factory: pytest.TempPathFactory
    ) -> None:
        data_dir = tmp_path_factory.mktemp("restart") / ".qm"
        first = EmbeddedServices(data_dir, fast=True)
        urls = first.start()
        assert first.start() is urls  # idempotent
        conn = await asyncpg.connect(urls.database_owner_url)
        try:
            await conn.execute("CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL)")
            await conn.execute("INSERT INTO notes VALUES (1, 'kept')")
        finally:
            await conn.close()
        client = redis_client(urls.redis_url)
        client.set("qm:test:key", "kept")
        client.close()
        assert (data_dir / "runtime.json").exists()

        first.stop()
        first.stop()  # idempotent

        assert server_processes(data_dir) == []
        assert not (data_dir / "runtime.json").exists()
        assert running_urls(data_dir) is None

        # Something else took Redis's old port meanwhile: the restart must pick another one.
        squatter = socket.socket()
        squatter.bind(("127.0.0.1", port_of(urls.redis_url)))
        squatter.listen()
        second = EmbeddedServices(data_dir, fast=True)
        try:
            again = second.start()
        finally:
            squatter.close()
        try:
            assert again.database_url == urls.database_url  # same password, same free port
            assert port_of(again.redis_url) != port_of(urls.redis_url)
            conn = await asyncpg.connect(again.database_owner_url)
            try:
                assert await conn.fetchval("SELECT body FROM notes WHERE id = 1") == "kept"
            finally:
                await conn.close()
            client = redis_client(again.redis_url)
            assert client.get("qm:test:key") == b"kept"
            client.close()
        finally:
            second.stop()
        assert server_processes(data_dir) == []

        # A server that cannot start is reported with its log's tail and path.
        with (data_dir / "postgres" / "postgresql.conf").open("a") as conf:
            conf.write("\nqm_no_such_setting_at_all = 1\n")
        broken = EmbeddedServices(data_dir, redis=False, fast=True)
        with pytest.raises(EmbeddedStartError) as excinfo:
            broken.start()
        message = str(excinfo.value)
        assert "qm_no_such_setting_at_all" in message
        assert str(broken.postgres_log) in message
        assert server_processes(data_dir) == []


class TestAdoption:
    def test_a_second_instance_adopts_running_servers_and_its_stop_stops_them(
        self, tmp_path_factory: pytest.TempPathFactory
    ) -> None:
        data_dir = tmp_path_factory.mktemp("adopt") / ".qm"
        first = EmbeddedServices(data_dir, fast=True)
        urls = first.start()
        pid = postmaster_pid(data_dir)

        second = EmbeddedServices(data_dir, fast=True)
        assert second.start() == urls
        assert postmaster_pid(data_dir) == pid
        assert running_urls(data_dir) == urls

        second.stop()
        assert server_processes(data_dir) == []
        first.stop()  # what it started is gone already: nothing to do, no error
        assert server_processes(data_dir) == []

    def test_servers_of_a_sigkilled_owner_are_adopted_by_the_next_start(
        self, tmp_path_factory: pytest.TempPathFactory
    ) -> None:
        data_dir = tmp_path_factory.mktemp("sigkill") / ".qm"
        script = textwrap.dedent(
            f"""
            import dataclasses, json, sys, time
            from pathlib import Path
            from quartermaster.runtime import EmbeddedServices
            urls = EmbeddedServices(Path({str(data_dir)!r}), fast=True).start()
            print("URLS", json.dumps(dataclasses.asdict(urls)), flush=True)
            time.sleep(600)
            """
        )
        owner = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
        try:
            assert owner.stdout is not None
            # Its stdout also carries structlog lines; the URLs come on a line of their own.
            for line in owner.stdout:
                if line.startswith("URLS "):
                    break
            else:
                pytest.fail(f"the owner process exited with {owner.wait(timeout=5)}")
            urls = EmbeddedUrls(**json.loads(line.removeprefix("URLS ")))
            pid = postmaster_pid(data_dir)
        finally:
            os.kill(owner.pid, signal.SIGKILL)
            owner.wait(timeout=10)
            if owner.stdout is not None:
                owner.stdout.close()

        assert running_urls(data_dir) == urls  # the servers outlived their owner

        services = EmbeddedServices(data_dir, fast=True)
        assert services.start() == urls
        assert postmaster_pid(data_dir) == pid
        client = redis_client(urls.redis_url)
        assert client.ping()
        client.close()

        services.stop()
        assert server_processes(data_dir) == []
        assert running_urls(data_dir) is None


class TestServeLock:
    def test_another_process_cannot_take_the_lock_until_it_is_released(
        self, tmp_path: Path
    ) -> None:
        probe = textwrap.dedent(
            f"""
            import sys
            from pathlib import Path
            from quartermaster.runtime import DataDirBusy, ServeLock
            try:
                ServeLock(Path({str(tmp_path)!r})).acquire()
            except DataDirBusy as exc:
                print(exc)
                sys.exit(3)
            """
        )

        def other_process() -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60
            )

        with ServeLock(tmp_path):
            refused = other_process()
            assert refused.returncode == 3, refused.stderr
            assert f"pid {os.getpid()}" in refused.stdout
            assert str(tmp_path) in refused.stdout
            # Within one process a second lock object is refused too.
            with pytest.raises(DataDirBusy):
                ServeLock(tmp_path).acquire()

        assert other_process().returncode == 0


class TestSecurity:
    async def test_app_role_is_unprivileged_but_can_use_tables_the_owner_creates(
        self, running: tuple[Path, EmbeddedUrls]
    ) -> None:
        _, urls = running
        admin = await asyncpg.connect(urls.admin_url.rsplit("/", 1)[0] + "/quartermaster")
        owner = await asyncpg.connect(urls.database_owner_url)
        app = await asyncpg.connect(urls.database_url)
        try:
            role = await admin.fetchrow(
                "SELECT rolsuper, rolbypassrls, rolcreatedb, rolcreaterole"
                " FROM pg_roles WHERE rolname = 'qm_app'"
            )
            assert role is not None
            assert dict(role) == {
                "rolsuper": False,
                "rolbypassrls": False,
                "rolcreatedb": False,
                "rolcreaterole": False,
            }
            assert await admin.fetchval(
                "SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'"
            )

            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await app.execute("CREATE TABLE app_made (id int)")

            await owner.execute(
                "CREATE TABLE stock (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
                " sku text NOT NULL)"
            )
            await app.execute("INSERT INTO stock (sku) VALUES ('A-1'), ('B-2')")
            await app.execute("UPDATE stock SET sku = 'A-9' WHERE sku = 'A-1'")
            await app.execute("DELETE FROM stock WHERE sku = 'B-2'")
            assert await app.fetchval("SELECT string_agg(sku, ',') FROM stock") == "A-9"
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await app.execute("DROP TABLE stock")
        finally:
            await admin.close()
            await owner.close()
            await app.close()

    async def test_servers_listen_on_loopback_only_and_demand_the_password(
        self, running: tuple[Path, EmbeddedUrls]
    ) -> None:
        data_dir, urls = running
        conn = await asyncpg.connect(urls.admin_url)
        try:
            assert await conn.fetchval("SHOW listen_addresses") == "127.0.0.1"
            assert await conn.fetchval("SHOW unix_socket_directories") == ""
        finally:
            await conn.close()
        client = redis_client(urls.redis_url)
        assert client.config_get("bind") == {"bind": "127.0.0.1"}
        client.close()

        runtime = json.loads((data_dir / "runtime.json").read_text())
        for pid in (postmaster_pid(data_dir), runtime["redis"]["pid"]):
            listening = [
                c for c in psutil.Process(pid).net_connections() if c.status == psutil.CONN_LISTEN
            ]
            assert listening
            assert {c.laddr.ip for c in listening} == {"127.0.0.1"}

        wrong = urls.database_url.replace("qm_app:", "qm_app:wrong", 1)
        with pytest.raises(asyncpg.InvalidPasswordError):
            await asyncpg.connect(wrong)
        anonymous = redis.Redis(
            host="127.0.0.1",
            port=port_of(urls.redis_url),
            socket_timeout=5,
            retry=Retry(NoBackoff(), 0),
        )
        with pytest.raises(redis.AuthenticationError):
            anonymous.get("anything")
        anonymous.close()

    def test_secrets_are_readable_by_the_owner_only(
        self, running: tuple[Path, EmbeddedUrls]
    ) -> None:
        data_dir, _ = running
        for name in ("credentials.json", "redis.conf"):
            assert stat.S_IMODE((data_dir / name).stat().st_mode) == 0o600, name


class TestProvisioning:
    async def test_reprovisioning_is_idempotent_quotes_names_and_rotates_passwords(
        self, running: tuple[Path, EmbeddedUrls]
    ) -> None:
        _, urls = running
        port = port_of(urls.admin_url)
        odd = {"database": 'qm "odd" db', "owner_role": "o'wner", "app_role": 'a"pp'}
        await provision_database_async(
            urls.admin_url, owner_password="one", app_password="x'1", **odd
        )
        # The sync entry point also works from inside a running event loop.
        provision_database(urls.admin_url, owner_password="two", app_password="x'2", **odd)

        async def app_can_connect(password: str) -> bool:
            try:
                conn = await asyncpg.connect(
                    host="127.0.0.1",
                    port=port,
                    user='a"pp',
                    password=password,
                    database='qm "odd" db',
                )
            except asyncpg.InvalidPasswordError:
                return False
            await conn.close()
            return True

        assert await app_can_connect("x'2")
        assert not await app_can_connect("x'1")
