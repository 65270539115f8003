"""Helpers shared by the HTTP benchmarks: the pinned server, wrk, the machine, the record.

The server (one Uvicorn worker) runs on CPU 0 and the load generator on CPU 1, so a run
that is bound by its generator shows in the generator's CPU use. Imported by the scripts
in this folder as ``common`` (they are run as files: ``uv run python bench/<script>.py``).
"""

from __future__ import annotations

import os
import platform
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "bench" / "lua"
BENCHMARKS_MD = ROOT / "docs" / "benchmarks.md"
SERVER_CPU = "0"
GENERATOR_CPU = "1"


@contextmanager
def bench_temp_dir(prefix: str = "qm-bench-") -> Iterator[str]:
    """A temporary directory for a benchmark's embedded servers, removed afterwards. Made
    searchable (0711, not listable): run as root, PostgreSQL's own account must enter it,
    or its data would go to QM_EMBEDDED_SYSTEM_DIR and outlive the run."""
    with tempfile.TemporaryDirectory(prefix=prefix) as name:
        os.chmod(name, 0o711)  # noqa: S103 - search only, our own directory
        yield name


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(
    env: dict[str, str], port: int, *, tenant_id: str, user_id: str | None = None
) -> subprocess.Popen[bytes]:
    """The benchmark app (``bench.bench_app``) under one Uvicorn worker pinned to CPU 0;
    returns once ``/readyz`` answers 200."""
    proc = subprocess.Popen(
        [
            "taskset", "-c", SERVER_CPU, sys.executable, "-m", "uvicorn",
            "bench.bench_app:create_bench_app", "--factory", "--port", str(port),
            "--loop", "uvloop", "--http", "httptools", "--no-access-log",
            "--log-level", "warning",
        ],
        env={**env, "QM_BENCH_TENANT_ID": tenant_id, "QM_BENCH_USER_ID": user_id or tenant_id},
        cwd=ROOT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("benchmark server did not start")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


@dataclass(frozen=True)
class Measured:
    """A finished generator process: what it printed and the CPU it used."""

    output: str
    returncode: int
    elapsed: float
    cpu_seconds: float

    @property
    def cpu_share(self) -> float:
        """CPU seconds per wall-clock second (1.0 = one core busy all the time)."""
        return self.cpu_seconds / self.elapsed if self.elapsed else 0.0


def run_measured(command: list[str], *, env: dict[str, str] | None = None) -> Measured:
    """Run a load generator pinned to CPU 1 and measure its own CPU time (user + system,
    from ``wait4``; ``taskset`` execs the generator, so the pid is the generator's)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        ["taskset", "-c", GENERATOR_CPU, *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    # Read while it runs (a full pipe would block it), then reap it with its rusage.
    output = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Measured(
        output=output,
        returncode=proc.returncode,
        elapsed=time.perf_counter() - started,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
    )


def wrk(
    url: str,
    *,
    seconds: float,
    script: Path,
    env: dict[str, str],
    connections: int,
    threads: int,
    headers: dict[str, str],
    timeout: float = 30,
) -> tuple[dict[str, float], Measured]:
    """Run wrk with a Lua script whose ``done()`` prints ``RESULT key=value …``; returns
    those values and the measured process. The timeout is wrk's per request (its default,
    2 s, would drop the slow tail of a queueing run from the percentiles)."""
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", f"--timeout={timeout}s",
        "--latency", "-s", str(script),
    ]  # fmt: skip
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    measured = run_measured([*command, url], env=env)
    line = next((x for x in measured.output.splitlines() if x.startswith("RESULT ")), None)
    if line is None or measured.returncode != 0:
        raise RuntimeError(f"wrk said:\n{measured.output}")
    values = {key: float(value) for key, value in re.findall(r"(\w+)=([-\d.]+)", line)}
    return values, measured


def machine() -> str:
    """Host, CPU model, cores, RAM, architecture, Python and the load average when asked
    (a figure from a busy machine says so), for a record's header."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = psutil.virtual_memory().total / 2**30
    return (
        f"{platform.node()} ({model}, {os.cpu_count()} cores, {ram:.0f} GiB RAM, "
        f"{platform.machine()}, Python {platform.python_version()}; "
        f"load average {os.getloadavg()[0]:.1f})"
    )


def append_record(lines: list[str]) -> Path:
    """Append a section to docs/benchmarks.md (history is kept; the newest entry of a kind
    is the current one)."""
    with BENCHMARKS_MD.open("a") as handle:
        handle.write("\n".join(lines) + "\n")
    return BENCHMARKS_MD
