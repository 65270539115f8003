"""Catalog read and RLS-cost benchmarks (issue 4, benchmarks 3 and 4).

1. GET /api/v1/products/{id} (FastAPI, authentication, the request's SQLAlchemy session
   and transaction, RLS, Pydantic; its SELECT is plain SQL on the session's connection,
   docs/architecture.md rule 12) vs a raw asyncpg endpoint in the same process running the
   same SELECT (the app's own SQL string) in its own transaction (target ≥ 0.7x).
2. GET /api/v1/products?q=…&limit=50 on a 100,000-product tenant: p95 (target ≤ 50 ms).
3. The same read, and a write (POST /api/v1/products), with and without row-level
   security on the products table (target ≥ 0.95x).

The server (one Uvicorn worker) is pinned to CPU 0 and wrk to CPU 1; PostgreSQL and Redis
are not pinned. wrk's own CPU use is reported so a generator-bound run shows, and the
server's CPU per successful answer (its process CPU time from /proc over the answers),
which a busy machine disturbs less than req/s. Throughput and the ratios count successful
answers only (not 4xx/5xx, which wrk counts apart).
Usage: uv run python bench/catalog_reads.py [--products 100000] [--seconds 10] [--record]
Needs wrk (Debian: apt-get install wrk).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import psutil
from common import bench_temp_dir, free_port, start_server, stop_server
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from quartermaster.core import migrate
from quartermaster.runtime import EmbeddedServices

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "bench" / "lua"
console = Console()
WORDS = ["drill", "screw", "hammer", "saw", "bolt", "nut", "washer", "cable", "pipe", "valve"]


@dataclass
class Result:
    name: str
    rps: float  # successful answers (not 4xx/5xx) per second
    p50: float
    p95: float
    p99: float
    errors: int
    generator_cpu: float
    server_cpu_ms: float = float("nan")  # the server's CPU per successful answer


def wrk(
    name: str,
    url: str,
    token: str,
    *,
    seconds: int,
    script: Path,
    env: dict[str, str],
    connections: int = 16,
) -> Result:
    command = [
        "taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
        "-H", f"Authorization: Bearer {token}", "-s", str(script), url,
    ]  # fmt: skip
    started = time.perf_counter()
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    output = proc.stdout.read() if proc.stdout else ""
    elapsed = time.perf_counter() - started
    match = re.search(
        r"RESULT requests=(\d+) errors=(\d+) non2xx=(\d+) rps=[\d.]+ ok_rps=([\d.]+) "
        r"p50=([\d.]+) p95=([\d.]+) p99=([\d.]+)",
        output,
    )
    if match is None:
        raise RuntimeError(f"wrk said:\n{output}")
    for line in output.splitlines():
        if line.startswith("first failure"):
            console.print(f"[yellow]{name}: {line[:300]}[/]")
    return Result(
        name=name,
        rps=float(match[4]),
        p50=float(match[5]),
        p95=float(match[6]),
        p99=float(match[7]),
        errors=int(match[2]) + int(match[3]),
        generator_cpu=(usage.ru_utime + usage.ru_stime) / elapsed,
    )


async def seed(app_url: str, tenant_id: str, count: int) -> list[str]:
    """``count`` products with searchable names, inserted set-wise as the app role."""
    connection = await asyncpg.connect(app_url)
    try:
        with Progress(console=console) as progress:
            task = progress.add_task(f"seeding {count:,} products", total=count)
            step = 10_000
            for start in range(1, count + 1, step):
                end = min(start + step - 1, count)
                async with connection.transaction():
                    await connection.execute(
                        "SELECT set_config('app.tenant_id', $1, true)", tenant_id
                    )
                    await connection.execute(
                        """
                        INSERT INTO products (id, tenant_id, sku, name, unit_code, barcode)
                        SELECT gen_random_uuid(), $1::uuid, 'SKU-' || lpad(g::text, 7, '0'),
                               initcap(($4::text[])[1 + g % 10]) || ' ' || g || ' '
                                 || ($4::text[])[1 + (g / 10) % 10],
                               'pcs', (4000000000000 + g)::text
                        FROM generate_series($2::int, $3::int) AS g
                        """,
                        tenant_id,
                        start,
                        end,
                        WORDS,
                    )
                progress.update(task, completed=end)
        async with connection.transaction():
            await connection.execute("SELECT set_config('app.tenant_id', $1, true)", tenant_id)
            ids = await connection.fetch(
                "SELECT id::text FROM products ORDER BY random() LIMIT 2000"
            )
        return [row["id"] for row in ids]
    finally:
        await connection.close()


async def set_rls(owner_url: str, *, enabled: bool) -> None:
    connection = await asyncpg.connect(owner_url)
    try:
        if enabled:
            await connection.execute("ALTER TABLE products ENABLE ROW LEVEL SECURITY")
            await connection.execute("ALTER TABLE products FORCE ROW LEVEL SECURITY")
        else:
            await connection.execute("ALTER TABLE products NO FORCE ROW LEVEL SECURITY")
            await connection.execute("ALTER TABLE products DISABLE ROW LEVEL SECURITY")
        await connection.execute("ANALYZE products")
    finally:
        await connection.close()


COLUMNS = (
    "case", "2xx/s", "p50 ms", "p95 ms", "p99 ms", "errors", "wrk CPU", "server CPU ms/2xx",
)  # fmt: skip


def cells(r: Result) -> list[str]:
    return [
        r.name, f"{r.rps:.0f}", f"{r.p50:.1f}", f"{r.p95:.1f}", f"{r.p99:.1f}", str(r.errors),
        f"{r.generator_cpu:.0%}", f"{r.server_cpu_ms:.2f}",
    ]  # fmt: skip


def _cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) the server process has used (``taskset`` execs it)."""
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian/Ubuntu: apt-get install wrk)")

    with (
        bench_temp_dir() as tmp,
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
            QM_DATABASE_POOL_SIZE="16",
        )
        # The tenant and its owner, through the API, before the raw endpoint needs them.
        signup = start_server(env, port, tenant_id="pending")
        try:
            body = httpx.post(
                f"{base}/api/v1/auth/signup",
                json={
                    "organization": "Bench",
                    "email": "bench@example.org",
                    "password": "bench-password-1",
                    "full_name": "Bench",
                },
            ).json()
            token, tenant_id = body["access_token"], body["tenant"]["id"]
            user_id = body["user"]["id"]  # the raw read's member scope is this user's
            first = httpx.post(
                f"{base}/api/v1/products",
                headers={"Authorization": f"Bearer {token}"},
                json={"sku": "FIRST", "name": "First", "unit": "pcs"},
            )
            first.raise_for_status()  # also creates the tenant's units
        finally:
            stop_server(signup)
        ids = asyncio.run(seed(urls.database_url, tenant_id, args.products))
        asyncio.run(set_rls(urls.database_owner_url, enabled=True))

        server = start_server(env, port, tenant_id=tenant_id, user_id=user_id)
        results: list[Result] = []
        try:
            paths = Path(tmp) / "paths"
            wrk_env = dict(os.environ, WRK_PATHS=str(paths))
            report = LUA / "percentiles.lua"

            def run(
                name: str, lines: list[str], script: Path = report, connections: int = 16
            ) -> Result:
                paths.write_text("\n".join(lines) + "\n")
                wrk(name, base + lines[0], token, seconds=2, script=script, env=wrk_env)  # warm
                cpu_before = _cpu_seconds(server.pid)
                result = wrk(
                    name,
                    base + lines[0],
                    token,
                    seconds=args.seconds,
                    script=script,
                    env=wrk_env,
                    connections=connections,
                )
                answered = result.rps * args.seconds
                used = _cpu_seconds(server.pid) - cpu_before
                result.server_cpu_ms = used / answered * 1000 if answered else float("nan")
                results.append(result)
                return result

            rng = random.Random(7)
            orm = run(
                "GET /products/{id} (auth+RLS+session, plain SQL)",
                [f"/api/v1/products/{i}" for i in ids],
            )
            raw = run("raw asyncpg, the same SELECT", [f"/bench/raw-products/{i}" for i in ids])
            terms = [rng.choice(WORDS) for _ in range(50)]
            terms += [f"SKU-{rng.randint(1, args.products):07d}"[:9] for _ in range(50)]
            terms += [str(rng.randint(100, 99999)) for _ in range(50)]
            searches = [f"/api/v1/products?q={t}&limit=50" for t in terms]
            saturated = run("GET /products?q=…&limit=50", searches)
            # The latency of one search, with the server not queueing requests behind it.
            listing = run("GET /products?q=…&limit=50, 1 connection", searches, connections=1)
            write_on = run(
                "POST /products (RLS on)", ["/api/v1/products"], LUA / "create_products.lua"
            )
            stop_server(server)
            asyncio.run(set_rls(urls.database_owner_url, enabled=False))
            server = start_server(env, port, tenant_id=tenant_id, user_id=user_id)
            read_off = run("GET /products/{id} (RLS off)", [f"/api/v1/products/{i}" for i in ids])
            write_off = run(
                "POST /products (RLS off)", ["/api/v1/products"], LUA / "create_products.lua"
            )
        finally:
            stop_server(server)
            asyncio.run(set_rls(urls.database_owner_url, enabled=True))

    table = Table(
        title=f"Catalog reads and RLS cost ({args.products:,} products, "
        "16 connections unless marked)"
    )
    for column in COLUMNS:
        table.add_column(column)
    for r in results:
        table.add_row(*cells(r))
    console.print(table)
    ratios = {
        "app read / raw read of the same SELECT (target ≥ 0.7)": orm.rps / raw.rps,
        "server CPU per read, app / raw (for the record)": orm.server_cpu_ms / raw.server_cpu_ms,
        "read with RLS / without (target ≥ 0.95)": orm.rps / read_off.rps,
        "write with RLS / without (target ≥ 0.95)": write_on.rps / write_off.rps,
    }
    for label, value in ratios.items():
        console.print(f"{label}: {value:.2f}")
    console.print(
        f"list p95: {listing.p95:.1f} ms with 1 connection (target ≤ 50 ms); "
        f"{saturated.p95:.1f} ms with 16 (queueing behind a saturated worker)"
    )

    if args.record:
        record(args, results, ratios, listing, saturated)


def record(
    args: argparse.Namespace,
    results: list[Result],
    ratios: dict[str, float],
    listing: Result,
    saturated: Result,
) -> None:
    machine = (
        f"{platform.node()} ({os.cpu_count()} cores, {platform.machine()}, "
        f"Python {platform.python_version()})"
    )
    lines = [
        "",
        f"### Catalog reads and RLS cost — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {machine}; server pinned to CPU 0 (1 Uvicorn worker), wrk to CPU 1, "
        "PostgreSQL 18 (embedded) and Redis unpinned. Command: "
        f"`uv run python bench/catalog_reads.py --products {args.products} "
        f"--seconds {args.seconds} --record`. wrk: 1 thread, 16 connections (1 where marked).",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "| " + " | ".join("---" for _ in COLUMNS) + " |",
    ]
    for r in results:
        lines.append("| " + " | ".join(cells(r)) + " |")
    lines.append("")
    for label, value in ratios.items():
        lines.append(f"- {label}: **{value:.2f}**")
    lines.append(
        f"- list `q` search p95 on {args.products:,} products: **{listing.p95:.1f} ms** with "
        f"1 connection; {saturated.p95:.1f} ms with 16 (queueing behind a saturated worker)"
    )
    lines.append("")
    path = ROOT / "docs" / "benchmarks.md"
    with path.open("a") as handle:
        handle.write("\n".join(lines))
    console.print(f"recorded in {path}")


if __name__ == "__main__":
    main()
