"""Embedded start-up: time from `qm serve` to /readyz 200, cold (empty data dir) and warm.

Prints a table and, with --record, appends the figures to docs/benchmarks.md.
Usage: uv run python bench/startup.py [--runs 3] [--record]
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

console = Console()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def one_start(data_dir: Path) -> tuple[float, float, int]:
    """(seconds to ready, seconds to exit after SIGTERM, processes left behind)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("QM_")}
    env["QM_DATA_DIR"] = str(data_dir)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "quartermaster", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"qm serve exited with {proc.returncode}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.perf_counter() - started > 120:
                raise RuntimeError("not ready within 120 s")
            time.sleep(0.02)
        ready = time.perf_counter() - started
    finally:
        stopping = time.perf_counter()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        stopped = time.perf_counter() - stopping
    left = [
        p
        for p in psutil.process_iter(["cmdline"])
        if str(data_dir) in " ".join(p.info["cmdline"] or [])
    ]
    return ready, stopped, len(left)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()

    cold: list[float] = []
    warm: list[float] = []
    stops: list[float] = []
    orphans = 0
    with Progress(console=console) as progress:
        task = progress.add_task("starting and stopping qm serve", total=args.runs * 2)
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory(prefix="qm-bench-") as tmp:
                data_dir = Path(tmp) / "data"
                for bucket in (cold, warm):
                    ready, stop, left = one_start(data_dir)
                    bucket.append(ready)
                    stops.append(stop)
                    orphans += left
                    progress.advance(task)

    table = Table(title="Embedded start-up (qm serve → /readyz 200)")
    for column in ("case", "runs", "median s", "min s", "max s"):
        table.add_column(column)
    rows = [
        ("cold (empty data dir)", cold),
        ("warm (existing data)", warm),
        ("SIGTERM → exit", stops),
    ]
    for name, values in rows:
        table.add_row(
            name,
            str(len(values)),
            f"{statistics.median(values):.2f}",
            f"{min(values):.2f}",
            f"{max(values):.2f}",
        )
    console.print(table)
    console.print(f"processes left behind after SIGTERM: {orphans}")

    if args.record:
        machine = (
            f"{platform.node()} ({os.cpu_count()} cores, {platform.machine()}, "
            f"Python {platform.python_version()})"
        )
        lines = [
            "",
            f"### Embedded start-up — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            "",
            f"Machine: {machine}. "
            f"Command: `uv run python bench/startup.py --runs {args.runs} --record`.",
            "",
            "| case | runs | median s | min s | max s |",
            "| --- | --- | --- | --- | --- |",
        ]
        for name, values in rows:
            lines.append(
                f"| {name} | {len(values)} | {statistics.median(values):.2f} | "
                f"{min(values):.2f} | {max(values):.2f} |"
            )
        lines.append(f"\nProcesses left behind after SIGTERM: {orphans}.\n")
        path = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
        with path.open("a") as handle:
            handle.write("\n".join(lines))
        console.print(f"recorded in {path}")


if __name__ == "__main__":
    main()
