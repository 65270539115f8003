"""Web app budgets (issue 13): what a browser downloads first, how fast the products screen
is ready with many products, and how soon a stock change reaches another screen.

1. **Initial JavaScript** of the shell: the module script and the chunks it preloads
   (``web/dist/index.html``), gzip level 6 as a server would send them. Budget ≤ 250 kB;
   every screen is its own chunk, loaded on navigation (the count of route chunks is shown).
2. **Products screen** with ``--products`` products (100,000 by default, inserted set-wise as
   the application role, as ``catalog_reads.py`` does): a fresh page load of ``/products``
   in the machine's Chromium, from navigation start (Navigation Timing's time origin) to
   the first rows on screen plus one answered frame. Budget ≤ 1.5 s. Also 4 s of steady
   scrolling: frame times and long frames (> 50 ms).
3. **Live level**: a second browser shows a product page; ``--events`` receipts are posted
   one after another from a first browser; delay from the 201's arrival to the new figure
   in the second page's DOM (both ``performance.timeOrigin + now()``, one machine clock).
   Budget p95 ≤ 250 ms. A negative delay means the event was on screen before the writer
   had read its 201.

The server is the real app (embedded PostgreSQL and Redis in a temporary directory, one
Uvicorn worker, the relay in the process), serving the built ``web/dist``.

    uv run python bench/web.py                                  # full size
    uv run python bench/web.py --products 2000 --runs 2 --events 5   # a quick check
    uv run python bench/web.py --record                         # append to docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from catalog_reads import seed
from common import ROOT, append_record, free_port, machine, stop_server
from rich.console import Console
from rich.table import Table

from quartermaster.core import migrate
from quartermaster.runtime import EmbeddedServices

console = Console()
WEB_TOOL = [sys.executable, str(ROOT / "scripts" / "web.py")]
DIST = ROOT / "web" / "dist"
PASSWORD = "bench-password-1"  # noqa: S105 - a throwaway organisation in a temp directory
BUDGET_JS_KB = 250
BUDGET_READY_MS = 1500
BUDGET_LIVE_P95_MS = 250


def initial_javascript() -> tuple[float, list[tuple[str, float]], int]:
    """(total gzip kB, [(file, gzip kB)], number of other JS chunks) of the shell."""
    index = (DIST / "index.html").read_text()
    files = re.findall(r'<script[^>]+type="module"[^>]+src="/([^"]+)"', index)
    files += re.findall(r'<link[^>]+rel="modulepreload"[^>]+href="/([^"]+)"', index)
    sizes = [(name, len(gzip.compress((DIST / name).read_bytes(), 6)) / 1000) for name in files]
    shell = {Path(f).name for f in files}
    chunks = len([p for p in (DIST / "assets").glob("*.js") if p.name not in shell])
    return sum(size for _, size in sizes), sizes, chunks


def start_app(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "uvicorn", "quartermaster.api:create_app_from_environment",
            "--factory", "--port", str(port), "--loop", "uvloop", "--http", "httptools",
            "--no-access-log", "--log-level", "warning",
        ],
        env=env,
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
    raise RuntimeError("the server did not start")


def tool(*args: str, env: dict[str, str] | None = None) -> str:
    command = [*WEB_TOOL, *args]
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        sys.exit(f"scripts/web.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def prepare(base: str) -> dict[str, str]:
    """An organisation with a warehouse and one product to receive into; its login."""
    email = "bench-web@example.org"
    body = httpx.post(
        f"{base}/api/v1/auth/signup",
        json={"organization": "Bench", "email": email, "password": PASSWORD, "full_name": "Bench"},
    ).json()
    token, tenant = body["access_token"], body["tenant"]["id"]
    auth = {"Authorization": f"Bearer {token}"}
    warehouse = httpx.post(
        f"{base}/api/v1/warehouses", headers=auth, json={"code": "MAIN", "name": "Main"}
    ).json()
    product = httpx.post(
        f"{base}/api/v1/products",
        headers=auth,
        json={"sku": "AAA-LIVE", "name": "Live level probe", "unit": "pcs"},
    ).json()
    return {
        "QM_BENCH_EMAIL": email,
        "QM_BENCH_PASSWORD": PASSWORD,
        "QM_BENCH_TOKEN": token,
        "QM_BENCH_TENANT": tenant,
        "QM_BENCH_PRODUCT": product["id"],
        "QM_BENCH_LOCATION": warehouse["default_location_id"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5, help="fresh loads of the products screen")
    parser.add_argument("--events", type=int, default=20, help="receipts for the live delay")
    parser.add_argument("--record", action="store_true", help="append to docs/benchmarks.md")
    args = parser.parse_args()

    tool("build")
    chromium = tool("chromium").strip().splitlines()[-1]
    js_total, js_files, route_chunks = initial_javascript()

    with (
        tempfile.TemporaryDirectory(prefix="qm-bench-web-") as tmp,
        EmbeddedServices(Path(tmp) / "data") as urls,
    ):
        migrate.upgrade(
            urls.database_owner_url,
            app_role=migrate.application_role(urls.database_url, urls.database_owner_url),
        )
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("QM_")}
        env.update(
            QM_DATABASE_URL=urls.database_url,
            QM_DATABASE_OWNER_URL=urls.database_owner_url,
            QM_REDIS_URL=urls.redis_url,
            QM_SECRET_KEY="bench-secret-key-that-is-long-enough-0123456789",
            QM_LOG_LEVEL="WARNING",
            QM_RUN_RELAY="true",
            QM_WEB_DIR=str(DIST),
        )
        server = start_app(env, port)
        try:
            login = prepare(base)
            asyncio.run(seed(urls.database_url, login["QM_BENCH_TENANT"], args.products))
            console.print(f"measuring in {chromium} …")
            measured = tool(
                "npm", "--", "exec", "--", "node", "bench/measure.mjs",
                env={
                    **os.environ, **login, "QM_BENCH_URL": base, "QM_CHROMIUM": chromium,
                    "QM_BENCH_RUNS": str(args.runs), "QM_BENCH_EVENTS": str(args.events),
                },
            )  # fmt: skip
        finally:
            stop_server(server)
    result = json.loads(measured.strip().splitlines()[-1])
    report(args, js_total, js_files, route_chunks, result)


def report(
    args: argparse.Namespace,
    js_total: float,
    js_files: list[tuple[str, float]],
    route_chunks: int,
    result: dict[str, dict[str, object]],
) -> None:
    products, scrolling, live = result["products"], result["scrolling"], result["live"]
    table = Table(title=f"Web app budgets ({args.products:,} products)")
    for column in ("measure", "value", "budget"):
        table.add_column(column)
    rows = [
        (
            "initial JS (gzip)",
            f"{js_total:.1f} kB in {len(js_files)} files",
            f"≤ {BUDGET_JS_KB} kB",
        ),
        ("route chunks loaded on demand", str(route_chunks), "code-split"),
        (
            "products screen ready",
            f"p50 {products['p50_ms']} ms, max {products['max_ms']} ms ({args.runs} loads)",
            f"≤ {BUDGET_READY_MS} ms",
        ),
        (
            "scrolling 4 s",
            f"p50 {scrolling['p50_frame_ms']} ms/frame, p95 {scrolling['p95_frame_ms']} ms, "
            f"{scrolling['long_frames']} long of {scrolling['frames']}, "
            f"{scrolling['rows_in_dom']} rows in the DOM",
            "no long frames",
        ),
        (
            "live level after 201",
            f"p50 {live['p50_ms']} ms, p95 {live['p95_ms']} ms, max {live['max_ms']} ms",
            f"p95 ≤ {BUDGET_LIVE_P95_MS} ms",
        ),
    ]
    for row in rows:
        table.add_row(*row)
    console.print(table)
    if args.record:
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        lines = [
            "",
            f"## Web app budgets — {when}",
            "",
            f"Machine: {machine()}. `uv run python bench/web.py --products {args.products} "
            f"--runs {args.runs} --events {args.events}`.",
            "",
            "| measure | value | budget |",
            "| --- | --- | --- |",
            *(f"| {a} | {b} | {c} |" for a, b, c in rows),
        ]
        console.print(f"recorded in {append_record(lines)}")


if __name__ == "__main__":
    main()
