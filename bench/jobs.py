"""Jobs benchmark (issue 5, benchmark 3): enqueue → start latency and import throughput.

1. **Enqueue → start**: one job at a time (a stock-levels export of an empty tenant), from
   the moment the submitting transaction has committed (the after-commit hook enqueues
   it) to the moment a `qm worker` process has claimed it (``jobs.started_at``); p50/p95/p99
   over ``--jobs`` jobs. Target: p95 ≤ 50 ms. The worker is idle between jobs, so this is
   the wake-up path (BLPOP on the wake list), not queueing behind other work.
2. **Import throughput**: a ``--rows``-row CSV (all columns of the products export,
   50 categories) imported by the same worker: rows/s from ``started_at`` to
   ``finished_at`` (pre-pass, validation, upserts and checkpoints, every chunk one
   transaction), then the same file again (every row unchanged).

PostgreSQL 18 and Redis are embedded in a temporary directory (durable commits).
Usage: uv run python bench/jobs.py [--jobs 200] [--rows 100000] [--record]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.engine import make_url

from quartermaster.core import migrate
from quartermaster.core.db import Database
from quartermaster.core.security import PasswordHasher
from quartermaster.identity.public import create_account
from quartermaster.jobs.enqueueing import JobQueue, wait_for_enqueues
from quartermaster.jobs.files import JobFiles
from quartermaster.jobs.public import submit_job
from quartermaster.modules import import_models
from quartermaster.runtime import EmbeddedServices

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import append_record, bench_temp_dir, machine

console = Console()
SECRET = "bench-secret-key-that-is-long-enough-0123456789"  # noqa: S105 - throwaway
WORDS = ["drill", "screw", "hammer", "saw", "bolt", "nut", "washer", "cable", "pipe", "valve"]


def plain(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def product_csv(rows: int) -> bytes:
    header = [
        "sku", "name", "description", "category", "unit", "barcode",
        "reorder_point", "reorder_quantity", "is_active", "attributes",
    ]  # fmt: skip
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for i in range(rows):
        word = WORDS[i % len(WORDS)]
        writer.writerow(
            [
                f"BENCH-{i:07d}",
                f"{word.title()} {i}",
                f"A {word} for benchmark row {i}",
                f"Bench / {WORDS[(i // 10) % 10].title()} / Group {i % 5}",
                "pcs",
                f"4{i:012d}",
                str(i % 20),
                str(i % 50),
                "true",
                json.dumps({"size": i % 7, "color": WORDS[i % 3]}),
            ]
        )
    return buffer.getvalue().encode()


async def owner_account(app_url: str) -> Any:
    database = Database(app_url, pool_size=1, max_overflow=0)
    try:
        return await create_account(
            database,
            PasswordHasher(time_cost=1, memory_kib=1024),
            email="bench@example.org",
            password="bench-password-1",
            full_name="Bench",
            organization="Bench",
        )
    finally:
        await database.dispose()


async def tenant_of(admin_url: str, database: str, slug: str) -> uuid.UUID:
    connection = await asyncpg.connect(plain(admin_url, database))
    try:
        value = await connection.fetchval("SELECT id FROM tenants WHERE slug = $1", slug)
    finally:
        await connection.close()
    assert isinstance(value, uuid.UUID)
    return value


async def job_row(connection: asyncpg.Connection, tenant: uuid.UUID, job_id: uuid.UUID) -> Any:
    async with connection.transaction():
        await connection.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant))
        return await connection.fetchrow(
            "SELECT status, progress, started_at, finished_at, result, error FROM jobs "
            "WHERE id = $1",
            job_id,
        )


async def measure_latency(
    app_url: str, redis_url: str, tenant: uuid.UUID, count: int
) -> list[float]:
    from redis.asyncio import Redis

    database = Database(app_url, pool_size=2, max_overflow=0)
    redis = Redis.from_url(redis_url)
    queue = JobQueue(redis)
    connection = await asyncpg.connect(plain(app_url))
    latencies: list[float] = []
    try:
        with Progress(
            TextColumn("enqueue → start"), BarColumn(), TextColumn("{task.completed}/{task.total}")
        ) as progress:
            task = progress.add_task("latency", total=count)
            for _ in range(count):
                async with database.transaction(tenant) as session:
                    job = await submit_job(session, queue, tenant, "stock_levels_export")
                committed = datetime.now(UTC)
                assert job is not None
                await wait_for_enqueues()
                while True:
                    row = await job_row(connection, tenant, job.id)
                    if row["started_at"] is not None:
                        break
                    await asyncio.sleep(0.002)
                latencies.append((row["started_at"] - committed).total_seconds() * 1000)
                while (  # noqa: ASYNC110 - polling the database
                    await job_row(connection, tenant, job.id)
                )["finished_at"] is None:
                    await asyncio.sleep(0.005)
                progress.advance(task)
    finally:
        await connection.close()
        await redis.aclose()
        await database.dispose()
    return latencies


async def run_import(
    app_url: str,
    redis_url: str,
    files: JobFiles,
    tenant: uuid.UUID,
    content: bytes,
    label: str,
) -> dict[str, Any]:
    from redis.asyncio import Redis

    database = Database(app_url, pool_size=2, max_overflow=0)
    redis = Redis.from_url(redis_url)
    connection = await asyncpg.connect(plain(app_url))
    try:
        job_id = uuid.uuid4()
        relative = files.upload_name(tenant, job_id, ".csv")
        target = files.resolve(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        async with database.transaction(tenant) as session:
            await submit_job(
                session, JobQueue(redis), tenant, "product_import",
                params={"dry_run": False}, input_file=relative, job_id=job_id,
            )  # fmt: skip
        await wait_for_enqueues()
        with Progress(
            TextColumn(label), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
        ) as progress:  # fmt: skip
            task = progress.add_task(label, total=100)
            while True:
                row = await job_row(connection, tenant, job_id)
                progress.update(task, completed=row["progress"])
                if row["status"] not in ("queued", "running"):
                    break
                await asyncio.sleep(0.2)
        if row["status"] != "succeeded":
            raise SystemExit(f"the import {row['status']}: {row['error']}")
        result = json.loads(row["result"]) if isinstance(row["result"], str) else row["result"]
        seconds = (row["finished_at"] - row["started_at"]).total_seconds()
        return {"seconds": seconds, "result": result}
    finally:
        await connection.close()
        await redis.aclose()
        await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    import_models()
    load_at_start = os.getloadavg()[0]

    with (
        bench_temp_dir("qm-bench-jobs-") as tmp,
        EmbeddedServices(Path(tmp) / "data") as urls,
    ):
        migrate.upgrade(
            urls.database_owner_url,
            app_role=migrate.application_role(urls.database_url, urls.database_owner_url),
        )
        created = asyncio.run(owner_account(urls.database_url))
        db_name = make_url(urls.database_url).database
        assert db_name is not None
        tenant = asyncio.run(tenant_of(urls.admin_url, db_name, created.tenant_slug))
        files_dir = Path(tmp) / "jobs"
        env = {k: v for k, v in os.environ.items() if not k.startswith("QM_")}
        env.update(
            QM_DATABASE_URL=urls.database_url,
            QM_DATABASE_OWNER_URL=urls.database_owner_url,
            QM_REDIS_URL=urls.redis_url,
            QM_SECRET_KEY=SECRET,
            QM_DATA_DIR=str(Path(tmp) / "data"),
            QM_JOBS_FILES_DIR=str(files_dir),
            QM_LOG_LEVEL="WARNING",
        )
        worker = subprocess.Popen(
            [sys.executable, "-m", "quartermaster", "worker"],
            env=env,
            cwd=tmp,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(3)  # the worker's imports and first poll
            latencies = asyncio.run(
                measure_latency(urls.database_url, urls.redis_url, tenant, args.jobs)
            )
            content = product_csv(args.rows)
            files = JobFiles(files_dir)
            first = asyncio.run(
                run_import(urls.database_url, urls.redis_url, files, tenant, content, "import")
            )
            again = asyncio.run(
                run_import(urls.database_url, urls.redis_url, files, tenant, content, "re-import")
            )
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=60)

    p50, p95, p99 = (percentile(latencies, q) for q in (0.5, 0.95, 0.99))
    table = Table(title="Jobs")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row(f"enqueue → start p50 ({args.jobs} jobs)", f"{p50:.1f} ms")
    table.add_row("enqueue → start p95 (target ≤ 50 ms)", f"{p95:.1f} ms")
    table.add_row("enqueue → start p99", f"{p99:.1f} ms")
    table.add_row("enqueue → start mean", f"{statistics.fmean(latencies):.1f} ms")
    for label, run in (("import", first), ("re-import (unchanged)", again)):
        result = run["result"]
        table.add_row(
            f"{label}: {args.rows:,} rows",
            f"{args.rows / run['seconds']:,.0f} rows/s ({run['seconds']:.1f} s; "
            f"created {result['created']:,}, updated {result['updated']:,}, "
            f"unchanged {result['unchanged']:,})",
        )
    console.print(table)
    if args.record:
        lines = [
            "",
            f"### Jobs — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            "",
            f"Machine: {machine()}. Embedded PostgreSQL 18 and Redis 6.2, one `qm worker` "
            "process (defaults: 4 jobs at a time, 1,000-row import chunks). Command: "
            f"`uv run python bench/jobs.py --jobs {args.jobs} --rows {args.rows} --record`. "
            f"Load average (1 min) at start: {load_at_start:.1f}.",
            "",
            "| measure | value |",
            "| --- | --- |",
            f"| enqueue → start p50 / p95 / p99 | {p50:.1f} / {p95:.1f} / {p99:.1f} ms "
            "(target p95 ≤ 50 ms) |",
        ]
        for label, run in (("import", first), ("re-import, every row unchanged", again)):
            lines.append(
                f"| {label}, {args.rows:,} rows | {args.rows / run['seconds']:,.0f} rows/s "
                f"({run['seconds']:.1f} s) |"
            )
        console.print(f"recorded in {append_record(lines)}")


if __name__ == "__main__":
    main()
