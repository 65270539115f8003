"""Start, break and stop the processes of one topology.

PostgreSQL is the embedded one (a data directory of the topology's own) unless
``QM_TOPOLOGY_DATABASE_URL`` names a server and a role that may create roles and
databases (the machine's PostgreSQL): then a database and two roles with random names are
created for the run and dropped at the end. Redis is always the embedded one. Everything
else is started from the generated configuration in the topology's directory.

The application processes run exactly as in production (`qm api`, `qm relay`,
`qm worker`, `QM_ENV=production`), connected through pgbouncer in transaction mode
(QM_DATABASE_PGBOUNCER=true), except the relay, which LISTENs and so connects directly
(QM_RELAY_DATABASE_URL).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

import asyncpg
import httpx
import psutil
from sqlalchemy.engine import make_url

from quartermaster.core import migrate
from quartermaster.runtime import EmbeddedServices, provision_database
from quartermaster.runtime.pg_server import BIN_DIR
from topology import configs, tools

START_TIMEOUT = 120.0
STOP_TIMEOUT = 60.0
DATABASE_ENV = "QM_TOPOLOGY_DATABASE_URL"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _url(user: str, password: str, port: int, database: str) -> str:
    credentials = f"{quote(user, safe='')}:{quote(password, safe='')}"
    return f"postgresql://{credentials}@127.0.0.1:{port}/{database}"


def wait_until(
    condition: Any, what: str, timeout: float = START_TIMEOUT, *, proc: Proc | None = None
) -> None:
    """Poll ``condition()`` until true; fail naming ``what`` (and the process's log tail
    if it died meanwhile)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and not proc.alive():
            raise RuntimeError(f"{proc.name} exited while waiting for {what}:\n{proc.tail()}")
        with contextlib.suppress(Exception):
            if condition():
                return
        time.sleep(0.1)
    detail = f"\n{proc.tail()}" if proc is not None else ""
    raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}{detail}")


def http_ok(url: str) -> bool:
    return httpx.get(url, timeout=2).status_code == 200


@dataclass
class Proc:
    """One process of the topology, restartable with the same command and port."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    port: int | None = None
    ready_path: str | None = "/readyz"
    popen: subprocess.Popen[bytes] | None = None
    _log_handle: IO[bytes] | None = field(default=None, repr=False)
    starts: int = 0

    def start(self) -> None:
        self._log_handle = self.log.open("ab")
        self.popen = subprocess.Popen(
            self.argv, env=self.env, stdout=self._log_handle, stderr=subprocess.STDOUT
        )
        self.starts += 1

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        if self.port is None or self.ready_path is None:
            return
        url = f"http://127.0.0.1:{self.port}{self.ready_path}"
        wait_until(lambda: http_ok(url), f"{self.name} ({url})", timeout, proc=self)

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL, as a crash: no shutdown code runs."""
        if self.alive():
            assert self.popen is not None
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(STOP_TIMEOUT)
        self._close_log()

    def terminate(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM and wait: the process's graceful shutdown; its exit code."""
        if self.popen is None:
            return 0
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
        try:
            code = self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            code = self.popen.wait(STOP_TIMEOUT)
        self._close_log()
        return code

    def restart(self) -> None:
        self.start()
        self.wait_ready()

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def _close_log(self) -> None:
        if self._log_handle is not None:
            self._log_handle.close()
            self._log_handle = None


@dataclass
class Database:
    """Where the application's data lives, and who may do what there."""

    host_port: int
    name: str
    owner: str
    owner_password: str
    app: str
    app_password: str
    admin_url: str

    def direct(self, role: str) -> str:
        if role == "owner":
            return _url(self.owner, self.owner_password, self.host_port, self.name)
        return _url(self.app, self.app_password, self.host_port, self.name)


class Topology:
    """PostgreSQL, pgbouncer, Redis, ``api_replicas`` times `qm api`, one `qm relay`,
    ``workers`` times `qm worker`, and nginx in front; :meth:`start`, then :meth:`stop`."""

    def __init__(
        self,
        directory: Path,
        *,
        api_replicas: int = 2,
        workers: int = 2,
        env: dict[str, str] | None = None,
        api_workers: int = 1,
        bouncer_pool_size: int = 8,
    ) -> None:
        self.directory = directory
        self.api_replicas = api_replicas
        self.worker_count = workers
        self.extra_env = dict(env or {})
        self.api_workers = api_workers
        self.bouncer_pool_size = bouncer_pool_size
        self.apis: list[Proc] = []
        self.workers: list[Proc] = []
        self.relay: Proc | None = None
        self.pgbouncer: Proc | None = None
        self.nginx: Proc | None = None
        self.database: Database | None = None
        self.redis_url = ""
        self.bouncer_port = 0
        self.nginx_port = 0
        self._embedded: EmbeddedServices | None = None
        self._external_admin: str | None = None
        self.admin_password = secrets.token_urlsafe(16)
        self.secret_key = secrets.token_urlsafe(48)
        self.replica_names = [chr(ord("a") + i) for i in range(api_replicas)]

    # -- what a client needs --------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.nginx_port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.nginx_port}/api/v1/ws"

    def api(self, name: str) -> Proc:
        return self.apis[self.replica_names.index(name)]

    # -- start and stop -------------------------------------------------------------------

    def start(self) -> Topology:
        tools.ensure(tools.PGBOUNCER, tools.NGINX)
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / "jobs").mkdir(exist_ok=True)
        try:
            self._start_data()
            self._start_pgbouncer()
            self._migrate()
            self._start_roles()
            self._start_nginx()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_data(self) -> None:
        external = os.environ.get(DATABASE_ENV)
        self._embedded = EmbeddedServices(
            self.directory / "data", postgres=not external, redis=True, fast=True
        )
        urls = self._embedded.start()
        self.redis_url = urls.redis_url
        suffix = secrets.token_hex(4)
        if external:
            self._external_admin = external
            admin = make_url(external)
            database = Database(
                host_port=int(admin.port or 5432),
                name=f"qm_topology_{suffix}",
                owner=f"qm_topology_owner_{suffix}",
                owner_password=secrets.token_urlsafe(16),
                app=f"qm_topology_app_{suffix}",
                app_password=secrets.token_urlsafe(16),
                admin_url=external,
            )
            provision_database(
                external,
                database=database.name,
                owner_role=database.owner,
                owner_password=database.owner_password,
                app_role=database.app,
                app_password=database.app_password,
            )
        else:
            owner, app = make_url(urls.database_owner_url), make_url(urls.database_url)
            database = Database(
                host_port=int(owner.port or 5432),
                name=str(owner.database),
                owner=str(owner.username),
                owner_password=str(owner.password),
                app=str(app.username),
                app_password=str(app.password),
                admin_url=urls.admin_url,
            )
        self.database = database

    def _start_pgbouncer(self) -> None:
        assert self.database is not None
        directory = self.directory / "pgbouncer"
        directory.mkdir(exist_ok=True)
        run_as = None
        if os.geteuid() == 0:  # pgbouncer refuses to run as root
            run_as = "nobody"
            account = pwd.getpwnam(run_as)
            os.chown(directory, account.pw_uid, account.pw_gid)
            _traversable(directory)
        self.bouncer_port = free_port()
        (directory / "pgbouncer.ini").write_text(
            configs.pgbouncer_ini(
                directory,
                listen_port=self.bouncer_port,
                postgres_host="127.0.0.1",
                postgres_port=self.database.host_port,
                database=self.database.name,
                run_as=run_as,
                pool_size=self.bouncer_pool_size,
            )
        )
        userlist = directory / "userlist.txt"
        userlist.write_text(
            configs.pgbouncer_userlist(
                {
                    self.database.owner: self.database.owner_password,
                    self.database.app: self.database.app_password,
                    "pgbouncer_admin": self.admin_password,
                }
            )
        )
        userlist.chmod(0o644 if run_as else 0o600)
        self.pgbouncer = Proc(
            "pgbouncer",
            [tools.path_of(tools.PGBOUNCER), str(directory / "pgbouncer.ini")],
            dict(os.environ),
            self.directory / "pgbouncer.out",
        )
        self.pgbouncer.start()
        wait_until(lambda: self._bouncer_answers(), "pgbouncer", proc=self.pgbouncer)

    def _bouncer_answers(self) -> bool:
        return bool(self.bouncer_show("VERSION"))

    def bouncer(self, role: str) -> str:
        """A URL through pgbouncer."""
        assert self.database is not None
        user, password = (
            (self.database.owner, self.database.owner_password)
            if role == "owner"
            else (self.database.app, self.database.app_password)
        )
        return _url(user, password, self.bouncer_port, self.database.name)

    def bouncer_show(self, what: str) -> list[dict[str, str]]:
        """``SHOW <what>`` on pgbouncer's admin console (simple query protocol: psql)."""
        env = {**os.environ, "PGPASSWORD": self.admin_password}
        result = subprocess.run(
            [
                str(BIN_DIR / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.bouncer_port),
                "-U",
                "pgbouncer_admin",
                "-d",
                "pgbouncer",
                "-X",
                "-A",
                "-F",
                "\t",
                "-P",
                "footer=off",
                "-c",
                f"SHOW {what}",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        lines = result.stdout.splitlines()
        if not lines:
            return []
        header = lines[0].split("\t")
        return [dict(zip(header, line.split("\t"), strict=False)) for line in lines[1:]]

    def _migrate(self) -> None:
        # Migrations run directly as the owner: DDL and long transactions do not belong
        # behind transaction pooling (the Kubernetes Job does the same).
        assert self.database is not None
        migrate.upgrade(self.database.direct("owner"), app_role=self.database.app)

    def app_env(self) -> dict[str, str]:
        assert self.database is not None
        env = {k: v for k, v in os.environ.items() if not k.startswith("QM_")}
        env.update(
            {
                "QM_ENV": "production",
                "QM_SECRET_KEY": self.secret_key,
                "QM_LOG_FORMAT": "json",
                "QM_HOST": "127.0.0.1",
                "QM_DATA_DIR": str(self.directory / "unused"),
                "QM_DATABASE_URL": self.bouncer("app"),
                "QM_DATABASE_OWNER_URL": self.bouncer("owner"),
                "QM_DATABASE_PGBOUNCER": "true",
                "QM_RELAY_DATABASE_URL": self.database.direct("owner"),
                "QM_REDIS_URL": self.redis_url,
                "QM_JOBS_FILES_DIR": str(self.directory / "jobs"),
                "QM_DATABASE_POOL_SIZE": "5",
                "QM_DATABASE_MAX_OVERFLOW": "5",
                "QM_TRUSTED_PROXIES": "127.0.0.1",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(self.extra_env)
        return env

    def _qm(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "quartermaster", *args]

    def _start_roles(self) -> None:
        env = self.app_env()
        for name in self.replica_names:
            port = free_port()
            self.apis.append(
                Proc(
                    f"api-{name}",
                    self._qm("api", "--port", str(port), "--workers", str(self.api_workers)),
                    env,
                    self.directory / f"api-{name}.log",
                    port=port,
                )
            )
        relay_port = free_port()
        self.relay = Proc(
            "relay",
            self._qm("relay", "--port", str(relay_port)),
            env,
            self.directory / "relay.log",
            port=relay_port,
        )
        for index in range(self.worker_count):
            port = free_port()
            self.workers.append(
                Proc(
                    f"worker-{index + 1}",
                    self._qm("worker", "--port", str(port)),
                    env,
                    self.directory / f"worker-{index + 1}.log",
                    port=port,
                )
            )
        everything = [*self.apis, self.relay, *self.workers]
        for proc in everything:
            proc.start()
        for proc in everything:
            proc.wait_ready()

    def _start_nginx(self) -> None:
        self.nginx_port = free_port()
        for part in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.directory / "nginx-temp" / part).mkdir(parents=True, exist_ok=True)
        self._write_nginx(self.replica_names)
        self.nginx = Proc(
            "nginx",
            [
                tools.path_of(tools.NGINX),
                "-p",
                str(self.directory),
                "-e",
                str(self.directory / "nginx-error.log"),
                "-c",
                str(self.directory / "nginx.conf"),
            ],
            dict(os.environ),
            self.directory / "nginx.out",
            port=self.nginx_port,
        )
        self.nginx.start()
        self.nginx.wait_ready()

    def _write_nginx(self, active: list[str]) -> None:
        replicas = [
            (name, proc.port or 0) for name, proc in zip(self.replica_names, self.apis, strict=True)
        ]
        (self.directory / "nginx.conf").write_text(
            configs.nginx_conf(
                self.directory, listen_port=self.nginx_port, replicas=replicas, active=active
            )
        )

    def route_to(self, active: list[str]) -> None:
        """Balance over ``active`` replicas only (a reload: connections in flight finish
        on the old configuration); returns once nginx's new workers serve."""
        assert self.nginx is not None
        self._write_nginx(active)
        master = psutil.Process(self.nginx.pid)
        before = {child.pid for child in master.children()}
        os.kill(self.nginx.pid, signal.SIGHUP)

        def new_workers() -> bool:
            now = {child.pid for child in master.children()}
            return len(now - before) >= 2

        wait_until(new_workers, "nginx to reload", proc=self.nginx)

    def rolling_restart(self) -> None:
        """Each API replica in turn: out of nginx's pool, SIGTERM (it drains), a new one
        on the same port, ready, back into the pool — what a Deployment's rolling update
        does with a readiness probe and a Service."""
        for name in self.replica_names:
            others = [other for other in self.replica_names if other != name]
            self.route_to(others)
            proc = self.api(name)
            code = proc.terminate()
            if code != 0:
                raise RuntimeError(f"{proc.name} exited with {code} on SIGTERM:\n{proc.tail()}")
            proc.restart()
            self.route_to(self.replica_names)

    def stop(self) -> None:
        """Everything down, the gentle way (then by force); idempotent."""
        for proc in [self.nginx, *self.apis, self.relay, *self.workers, self.pgbouncer]:
            if proc is not None:
                with contextlib.suppress(Exception):
                    proc.terminate(timeout=30)
        if self._external_admin and self.database is not None:
            with contextlib.suppress(Exception):
                asyncio.run(_drop_database(self._external_admin, self.database))
            self._external_admin = None
        if self._embedded is not None:
            self._embedded.stop()
            self._embedded = None

    def __enter__(self) -> Topology:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def _traversable(path: Path) -> None:
    """Let other users reach ``path`` (search permission on it and its parents): the
    unprivileged account pgbouncer switches to must open its files."""
    for directory in [path, *path.parents]:
        mode = directory.stat().st_mode
        if not mode & stat.S_IXOTH:
            directory.chmod(mode | stat.S_IXOTH)


async def _drop_database(admin_url: str, database: Database) -> None:
    dsn = make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{database.name}" WITH (FORCE)')
        for role in (database.app, database.owner):
            await connection.execute(f'DROP ROLE IF EXISTS "{role}"')
    finally:
        await connection.close()
