"""Embedded start-up as a user meets it: `./qm serve` (what `make run` runs) until /readyz
answers 200, on a first start (an empty data dir: initdb, roles, migrations, the demo
organization) and on later starts (existing data). The demo data is left out
(`--no-demo-data`): its background fill would still be running, competing for the CPU,
when a start is stopped, and the next start would be measured with it; a later start
after a completed fill does what a later start without the data does.

For each start it also reports when the banner appeared: before it, the embedded servers
start and the schema is checked; after it, Uvicorn imports the app and runs its start-up.
`--busy N` keeps N processes spinning on the CPU meanwhile, to measure a busy machine.

Prints a table and, with --record, appends the figures to docs/benchmarks.md.
Usage: uv run python bench/startup.py [--runs 3] [--later 3] [--busy 0] [--record]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import signal
import socket
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil
from common import bench_temp_dir
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
BANNER = "is starting"
console = Console()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class Start:
    ready: float  # s from the command to /readyz 200
    banner: float | None  # s from the command to the banner
    stop: float  # s from SIGTERM to exit
    left: int  # processes left behind under the data dir


def one_start(data_dir: Path) -> Start:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("QM_")}
    env["QM_DATA_DIR"] = str(data_dir)
    env["COLUMNS"] = "200"
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(ROOT / "qm"), "serve", "--port", str(port), "--no-demo-data"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    banner: list[float] = []

    def watch() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            if not banner and BANNER in line:
                banner.append(time.perf_counter() - started)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    # One client for all polls: a new one per poll costs the measured machine CPU (an SSL
    # context each), which a busy 2-core machine takes from the server being measured.
    try:
        with httpx.Client(timeout=1) as client:
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"qm serve exited with {proc.returncode}")
                try:
                    if client.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.perf_counter() - started > 300:
                    raise RuntimeError("not ready within 300 s")
                time.sleep(0.05)
        ready = time.perf_counter() - started
    finally:
        stopping = time.perf_counter()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        stopped = time.perf_counter() - stopping
        watcher.join(timeout=5)
    left = [
        p
        for p in psutil.process_iter(["cmdline"])
        if str(data_dir) in " ".join(p.info["cmdline"] or [])
    ]
    return Start(ready, banner[0] if banner else None, stopped, len(left))


def _spin() -> None:
    while True:
        pass


def stats(values: list[float]) -> tuple[str, str, str]:
    if not values:
        return ("-", "-", "-")
    return (
        f"{statistics.median(values):.2f}",
        f"{min(values):.2f}",
        f"{max(values):.2f}",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="fresh data dirs")
    parser.add_argument("--later", type=int, default=3, help="later starts per data dir")
    parser.add_argument("--busy", type=int, default=0, help="CPU-spinning processes meanwhile")
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()

    # The wrapper syncs once if it must; that is installing, not starting: done first.
    subprocess.run([str(ROOT / "qm"), "version"], check=True, capture_output=True)
    spinners = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(args.busy)]
    for spinner in spinners:
        spinner.start()
    first: list[Start] = []
    later: list[Start] = []
    try:
        with Progress(console=console) as progress:
            task = progress.add_task(
                "starting and stopping ./qm serve", total=args.runs * (1 + args.later)
            )
            for _ in range(args.runs):
                with bench_temp_dir() as tmp:
                    data_dir = Path(tmp) / "data"
                    first.append(one_start(data_dir))
                    progress.advance(task)
                    for _ in range(args.later):
                        later.append(one_start(data_dir))
                        progress.advance(task)
    finally:
        for spinner in spinners:
            spinner.kill()

    load = f"{args.busy} busy processes" if args.busy else "idle"
    rows = [
        (f"first start ({load})", [s.ready for s in first], [s.banner for s in first]),
        (f"later starts ({load})", [s.ready for s in later], [s.banner for s in later]),
        ("SIGTERM → exit", [s.stop for s in first + later], []),
    ]
    orphans = sum(s.left for s in first + later)
    table = Table(title="Embedded start-up (./qm serve → /readyz 200)")
    for column in ("case", "starts", "median s", "min s", "max s", "banner median s"):
        table.add_column(column)
    for name, values, banners in rows:
        shown = [b for b in banners if b is not None]
        table.add_row(name, str(len(values)), *stats(values), stats(shown)[0])
    console.print(table)
    console.print(f"processes left behind after SIGTERM: {orphans}")

    if args.record:
        machine = (
            f"{platform.node()} ({os.cpu_count()} cores, {platform.machine()}, "
            f"Python {platform.python_version()}, load average "
            f"{os.getloadavg()[0]:.1f} at the end)"
        )
        command = (
            f"uv run python bench/startup.py --runs {args.runs} --later {args.later} "
            f"--busy {args.busy} --record"
        )
        lines = [
            "",
            f"### Embedded start-up — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            "",
            f"Machine: {machine}. Command: `{command}`. Each start is `./qm serve "
            "--no-demo-data` until `/readyz` answers 200; the banner column is when `qm serve` "
            "printed its banner (embedded servers up and the schema checked; the app is "
            "imported after it).",
            "",
            "| case | starts | median s | min s | max s | banner median s |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for name, values, banners in rows:
            shown = [b for b in banners if b is not None]
            median, low, high = stats(values)
            lines.append(
                f"| {name} | {len(values)} | {median} | {low} | {high} | {stats(shown)[0]} |"
            )
        lines.append(f"\nProcesses left behind after SIGTERM: {orphans}.\n")
        path = ROOT / "docs" / "benchmarks.md"
        with path.open("a") as handle:
            handle.write("\n".join(lines))
        console.print(f"recorded in {path}")


if __name__ == "__main__":
    main()
