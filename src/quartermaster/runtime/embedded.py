"""Embedded PostgreSQL and Redis for when no QM_DATABASE_URL / QM_REDIS_URL is configured.

Layout of a data dir (see DataDirLayout): `postgres/` (PGDATA), `redis/` (AOF),
`credentials.json` (0600, generated once), `runtime.json` (pids and ports while running),
`postgres.log`, `redis.log`. Servers outlive a SIGKILLed owner; the next start() adopts them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

import structlog

from quartermaster.runtime.errors import EmbeddedStartError, PortTaken
from quartermaster.runtime.layout import (
    Credentials,
    DataDirLayout,
    load_credentials,
    load_or_create_credentials,
    read_runtime,
    save_credentials,
    update_runtime,
)
from quartermaster.runtime.lock import StartLock
from quartermaster.runtime.pg_server import SUPERUSER, PostgresSupervisor, read_postmaster
from quartermaster.runtime.processes import choose_port
from quartermaster.runtime.provision import provision_database
from quartermaster.runtime.redis_server import RedisSupervisor, live_redis

logger = structlog.get_logger(__name__)

DATABASE = "quartermaster"
OWNER_ROLE = "qm_owner"
APP_ROLE = "qm_app"


@dataclass(frozen=True)
class EmbeddedUrls:
    """Connection URLs of the embedded servers; "" for a server that is not running."""

    admin_url: str
    database_owner_url: str
    database_url: str
    redis_url: str


def _pg_url(user: str, password: str, port: int, database: str) -> str:
    credentials = f"{quote(user, safe='')}:{quote(password, safe='')}"
    return f"postgresql://{credentials}@127.0.0.1:{port}/{database}"


def _urls(credentials: Credentials, pg_port: int | None, redis_port: int | None) -> EmbeddedUrls:
    admin = owner = app = redis_url = ""
    if pg_port is not None:
        admin = _pg_url(SUPERUSER, credentials.postgres_password, pg_port, "postgres")
        owner = _pg_url(OWNER_ROLE, credentials.owner_password, pg_port, DATABASE)
        app = _pg_url(APP_ROLE, credentials.app_password, pg_port, DATABASE)
    if redis_port is not None:
        redis_url = (
            f"redis://:{quote(credentials.redis_password, safe='')}@127.0.0.1:{redis_port}/0"
        )
    return EmbeddedUrls(
        admin_url=admin, database_owner_url=owner, database_url=app, redis_url=redis_url
    )


class EmbeddedServices:
    """Starts (or adopts) and stops the embedded PostgreSQL and Redis of one data dir.

    `fast=True` trades crash safety for speed (no fsync); for throwaway test data dirs only.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        postgres: bool = True,
        redis: bool = True,
        fast: bool = False,
        pg_bin_dir: Path | None = None,
        system_dir: Path | None = None,
    ) -> None:
        """``system_dir`` (default QM_EMBEDDED_SYSTEM_DIR or /var/lib/quartermaster) and
        ``pg_bin_dir`` (default the wheel's) matter only as root: see pg_access."""
        self._layout = DataDirLayout.of(data_dir)
        self._want_postgres = postgres
        self._want_redis = redis
        self._pg = PostgresSupervisor(
            self._layout, fast=fast, bin_dir=pg_bin_dir, system_dir=system_dir
        )
        self._redis = RedisSupervisor(self._layout)
        self._owns_postgres = False
        self._owns_redis = False
        self._urls: EmbeddedUrls | None = None
        self._stopping = False

    @property
    def data_dir(self) -> Path:
        return self._layout.root

    @property
    def postgres_log(self) -> Path:
        return self._layout.postgres_log

    @property
    def redis_log(self) -> Path:
        return self._layout.redis_log

    def start(self) -> EmbeddedUrls:
        """Start or adopt the servers; idempotent. Raises EmbeddedStartError with log tails."""
        if self._urls is not None:
            return self._urls
        root = self._layout.root
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        with StartLock(self._layout.start_lock):
            if (
                self._layout.pgdata / "PG_VERSION"
            ).exists() and not self._layout.credentials.exists():
                raise EmbeddedStartError(
                    f"{self._layout.pgdata} exists but {self._layout.credentials} is missing, so "
                    "its passwords are unknown; restore credentials.json, or delete "
                    f"{self._layout.pgdata} (losing its data) to initialise a new database"
                )
            credentials = load_or_create_credentials(self._layout)
            pg_port: int | None = None
            redis_port: int | None = None
            try:
                if self._want_postgres:
                    pg_port = self._start_postgres(credentials)
                if self._want_redis:
                    redis_port = self._start_redis(credentials)
            except BaseException:
                self.stop()
                raise
            remembered = replace(
                credentials,
                postgres_port=pg_port or credentials.postgres_port,
                redis_port=redis_port or credentials.redis_port,
            )
            if remembered != credentials:
                save_credentials(self._layout, remembered)
        self._urls = _urls(credentials, pg_port, redis_port)
        return self._urls

    def _start_postgres(self, credentials: Credentials) -> int:
        # Owned from here on, so a failure half-way through start() stops what did start.
        self._owns_postgres = True
        try:
            postmaster, _adopted = self._pg.ensure_started(
                credentials.postgres_password, choose_port(credentials.postgres_port)
            )
        except PortTaken:
            # Someone bound the port between our check and the server's bind: once more.
            logger.info("embedded.postgres.port_taken_retrying")
            postmaster, _adopted = self._pg.ensure_started(
                credentials.postgres_password, choose_port(None)
            )
        update_runtime(self._layout, "postgres", {"pid": postmaster.pid, "port": postmaster.port})
        urls = _urls(credentials, postmaster.port, None)
        try:
            provision_database(
                urls.admin_url,
                database=DATABASE,
                owner_role=OWNER_ROLE,
                owner_password=credentials.owner_password,
                app_role=APP_ROLE,
                app_password=credentials.app_password,
            )
        except Exception as exc:
            raise EmbeddedStartError(
                f"PostgreSQL started (port {postmaster.port}) but provisioning database "
                f"{DATABASE!r} failed: {exc}; see {self.postgres_log}"
            ) from exc
        return postmaster.port

    def _start_redis(self, credentials: Credentials) -> int:
        self._owns_redis = True  # see _start_postgres
        state = _redis_state(self._layout)
        if state is not None and self._redis.adopt(*state, credentials.redis_password):
            port = state[1]
        else:
            if state is not None:
                logger.info("embedded.redis.stale_state", pid=state[0], port=state[1])
            update_runtime(self._layout, "redis", None)
            # Strays on our AOF (e.g. runtime.json lost) must go before a new server uses it.
            self._redis.stop()
            port = choose_port(credentials.redis_port)
            try:
                self._redis.start(port, credentials.redis_password)
            except PortTaken:
                logger.info("embedded.redis.port_taken_retrying", port=port)
                port = choose_port(None)
                self._redis.start(port, credentials.redis_password)
        pid = self._redis.pid
        if pid is None:  # start() and adopt() set it; never None here
            raise EmbeddedStartError("Redis started but its pid is unknown")
        update_runtime(self._layout, "redis", {"pid": pid, "port": port})
        return port

    def stop(self) -> None:
        """Stop what this instance started or adopted; idempotent, safe from a signal handler."""
        if self._stopping:
            return
        self._stopping = True
        try:
            if self._owns_redis:
                self._redis.stop()
                update_runtime(self._layout, "redis", None)
                self._owns_redis = False
            if self._owns_postgres:
                self._pg.stop()
                update_runtime(self._layout, "postgres", None)
                self._owns_postgres = False
            self._urls = None
        finally:
            self._stopping = False

    def __enter__(self) -> EmbeddedUrls:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _redis_state(layout: DataDirLayout) -> tuple[int, int] | None:
    """(pid, port) of Redis as recorded in runtime.json, if recorded and well-formed."""
    state = read_runtime(layout).get("redis")
    if not isinstance(state, dict):
        return None
    try:
        return int(state["pid"]), int(state["port"])
    except (TypeError, KeyError, ValueError):
        return None


def running_urls(data_dir: Path) -> EmbeddedUrls | None:
    """URLs of the servers running for `data_dir` right now, or None if none is running.

    A server that is not running gets "" in its fields.
    """
    layout = DataDirLayout.of(data_dir)
    credentials = load_credentials(layout)
    if credentials is None:
        return None
    postmaster = read_postmaster(layout.pgdata)
    redis_port: int | None = None
    state = _redis_state(layout)
    if state is not None and live_redis(layout, state[0]) is not None:
        redis_port = state[1]
    if postmaster is None and redis_port is None:
        return None
    return _urls(credentials, postmaster.port if postmaster else None, redis_port)
