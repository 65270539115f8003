"""Process, port and log helpers shared by the embedded PostgreSQL and Redis supervisors."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterable
from pathlib import Path

import psutil

LOG_TAIL_LINES = 30


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last `lines` lines of a log file (reads at most the last 64 KiB)."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - 65536))
            data = handle.read()
    except OSError as exc:
        return f"(could not read {path}: {exc})"
    text = data.decode("utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])


def log_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def log_since(path: Path, offset: int) -> str:
    """What was appended to a log after it was `offset` bytes long."""
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            return handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


def startup_failure(what: str, log: Path, detail: str = "") -> str:
    """A message for EmbeddedStartError: what failed, why if known, and the log's tail."""
    head = f"{what}" + (f": {detail}" if detail else "")
    return (
        f"{head}\n--- last {LOG_TAIL_LINES} lines of {log} ---\n"
        f"{log_tail(log)}\n--- end of {log} ---"
    )


def port_is_free(port: int) -> bool:
    """True if a server could listen on 127.0.0.1:port right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Same option the servers set, so ports in TIME_WAIT after a restart count as free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def choose_port(preferred: int | None) -> int:
    """The preferred port if it is free, else one the kernel hands out."""
    if preferred is not None and 0 < preferred < 65536 and port_is_free(preferred):
        return preferred
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def wait_for_port(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.05)
    return False


def is_alive(proc: psutil.Process) -> bool:
    """Running and not a zombie (an exited child nobody reaped yet counts as gone)."""
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def live_process(pid: int, name: str, arg: str) -> psutil.Process | None:
    """The live process `pid` if it is `name` and has `arg` on its command line, else None.

    Guards against a pid from a stale state file that was reused by an unrelated process.
    """
    try:
        proc = psutil.Process(pid)
        if not is_alive(proc):
            return None
        matches = Path(proc.cmdline()[0]).name == name or proc.name() == name
        if matches and arg in proc.cmdline():
            return proc
    except (psutil.Error, IndexError):
        return None
    return None


def processes_with_arg(names: Iterable[str], arg: str) -> list[psutil.Process]:
    """Every live process called one of `names` that has exactly `arg` among its arguments."""
    wanted = set(names)
    found: list[psutil.Process] = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        with contextlib.suppress(psutil.Error):
            cmdline = proc.info["cmdline"] or []
            exe_name = Path(cmdline[0]).name if cmdline else ""
            named = proc.info["name"] in wanted or exe_name in wanted
            if named and arg in cmdline and is_alive(proc):
                found.append(proc)
    return found


def wait_gone(procs: Iterable[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Wait until all `procs` have exited; returns those still alive at the deadline."""
    pending = list(procs)
    deadline = time.monotonic() + timeout
    while pending:
        pending = [proc for proc in pending if is_alive(proc)]
        if not pending or time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    return pending


def kill_all(procs: Iterable[psutil.Process], timeout: float = 5.0) -> list[psutil.Process]:
    """SIGKILL `procs`; returns any that somehow survive."""
    procs = list(procs)
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    return wait_gone(procs, timeout)
