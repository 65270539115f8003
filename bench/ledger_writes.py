"""Ledger write benchmarks (issue 4, benchmarks 1 and 2; issue 12).

1. Ledger writes: stock-movement commits/s through HTTP (POST /api/v1/stock/movements,
   16 connections) in two scenarios, each also sent to a hand-written endpoint of the
   benchmark server (``bench_app``: the same statements from one asyncpg transaction with
   nothing else, the floor of a Python service sending them) in the same run:
   a. *within a warehouse*: a transfer of 1 unit of a random product between two random
      locations of one warehouse, no Idempotency-Key. Its two (product, warehouse) pairs
      are one, whose available total does not change, so the low-stock alert statements
      are skipped. pgbench runs the same transaction as SQL (same statements, same
      application role under row-level security, 16 clients) for scale.
   b. *across warehouses, with a key*: a transfer of 1 unit between a location of one
      warehouse and one of another (random direction), with a fresh Idempotency-Key: the
      key's claim and stored response, and the alert path (pair locks, available totals,
      the resolve, as the products have a reorder point) — what a real movement does.
   Target (issue 12): the app's server CPU per committed movement ≤ 1.3x the raw
   endpoint's, in each scenario. Commits/s, p99 and the ratios count 2xx answers only.
   The retired target "HTTP ≥ 0.35x pgbench" is not judged (the raw endpoint itself
   reaches only about that on two cores); HTTP / pgbench is still reported.
2. Hot SKU: 32 connections issuing (60 %) or receiving 1 unit of one product at one
   location that starts with little stock. Reported: throughput, p99, 409s; checked: no
   2xx lost (every answered movement is in the ledger), the level never negative (running
   sum of the ledger in lock order), the level equal to the ledger (`ledger_mismatches`).

The server (one Uvicorn worker) is pinned to CPU 0, wrk and pgbench to CPU 1; PostgreSQL
(embedded, durable commits) and Redis are not pinned. The generators' CPU is reported so a
generator-bound run shows, and so are the server's and PostgreSQL's.

The SQL of one movement of each scenario, through HTTP and through the raw endpoint, is
captured from PostgreSQL's log (log_statement=all for one request) and compared statement
by statement (scenario a with the pgbench script too), so a change of the write path that
the baselines do not follow shows in the output.

Usage: uv run python bench/ledger_writes.py [--products 1000] [--seconds 30] [--rounds 2]
       [--record]
  --show-sql       print the captured HTTP statements and the generated pgbench script
  --profile FILE   py-spy the server during the HTTP run (folded stacks to FILE + summary)
Needs wrk and pgbench (Debian: apt-get install wrk postgresql-client).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse

import asyncpg
import httpx
import psutil
from common import (
    LUA,
    ROOT,
    append_record,
    bench_temp_dir,
    free_port,
    machine,
    run_measured,
    start_server,
    stop_server,
    wrk,
)
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from quartermaster.core import migrate
from quartermaster.core.db import Database, request_limits
from quartermaster.core.settings import Settings
from quartermaster.inventory.public import ledger_mismatches
from quartermaster.runtime import EmbeddedServices, EmbeddedUrls
from quartermaster.runtime.layout import DataDirLayout

console = Console()

CPU_TARGET = 1.3  # the app's server CPU per commit / the raw endpoint's, at most
LOCATIONS = 4  # locations per warehouse (two warehouses: MAIN and EAST)
INITIAL_STOCK = 100_000  # per (product, location): transfers of 1 never run it out
REORDER_POINT = 5  # > 0, so every movement takes the full alert path (pair lock, total)
HOT_INITIAL_STOCK = 5
RECEIPTS_PER_BATCH = 500  # MAX_LINES of a movement batch
# Seeded product ids are a fixed prefix + the product number in hex, so the pgbench
# script can compute the id of product :p without a lookup the HTTP path does not make.
PRODUCT_ID_PREFIX = "01900000-0000-7000-8000-"


def product_id(number: int) -> str:
    return f"{PRODUCT_ID_PREFIX}{number:012x}"


@dataclass
class Fixture:
    """What setup made: one tenant, its owner's token, products, one warehouse."""

    token: str
    tenant_id: str
    user_id: str
    user_label: str
    warehouse_id: str
    locations: list[str]  # MAIN's
    other_locations: list[str]  # EAST's
    products: list[str]
    hot_product: str
    hot_location: str


@dataclass
class CpuSample:
    server: float
    postgres: float


@dataclass
class RunResult:
    name: str
    clients: int
    commits_per_s: float
    p50: float
    p95: float
    p99: float
    statuses: dict[str, int]
    other_failures: int
    generator_cpu: float
    server_cpu: float | None
    postgres_cpu: float


# Setup


def setup(base: str, app_url: str, products: int) -> Fixture:
    """Tenant, warehouse and locations through the API; products set-wise as the
    application role (the catalog benchmark's way); initial stock through the API."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        account = progress.add_task("tenant, warehouses, locations", total=3 + 2 * LOCATIONS)
        body = _ok(
            httpx.post(
                f"{base}/api/v1/auth/signup",
                json={
                    "organization": "Ledger bench",
                    "email": "ledger-bench@example.org",
                    "password": "bench-password-1",
                    "full_name": "Ledger Bench",
                },
            )
        ).json()
        token = body["access_token"]
        tenant_id, user_id, email = body["tenant"]["id"], body["user"]["id"], body["user"]["email"]
        client = httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60
        )
        # The first product through the API also creates the tenant's units.
        _ok(client.post("/api/v1/products", json={"sku": "FIRST", "name": "First"}))
        progress.advance(account)

        def stocked_warehouse(code: str, bins: list[str]) -> tuple[str, list[str]]:
            """A warehouse and its locations: the default one, then ``bins``."""
            made = _ok(client.post("/api/v1/warehouses", json={"code": code, "name": code}))
            warehouse = made.json()
            places = [warehouse["default_location_id"]]
            progress.advance(account)
            for name in bins:
                body = {"warehouse_id": warehouse["id"], "code": name, "name": name}
                places.append(_ok(client.post("/api/v1/locations", json=body)).json()["id"])
                progress.advance(account)
            return warehouse["id"], places

        bins = [f"BIN-{n}" for n in range(1, LOCATIONS)]
        warehouse_id, locations = stocked_warehouse("MAIN", [*bins, "HOT"])
        hot_location = locations.pop()
        _, other_locations = stocked_warehouse("EAST", bins)

        seeding = progress.add_task(f"{products:,} products (SQL, app role)", total=1)
        asyncio.run(_seed_products(app_url, tenant_id, products))
        progress.advance(seeding)

        ids = [product_id(n) for n in range(1, products + 1)]
        lines = [
            {"kind": "receipt", "product_id": p, "quantity": INITIAL_STOCK, "to_location_id": loc}
            for p in ids
            for loc in locations + other_locations
        ]
        stocking = progress.add_task(
            f"initial stock: {len(lines):,} receipt lines (API)", total=len(lines)
        )
        for start in range(0, len(lines), RECEIPTS_PER_BATCH):
            batch = lines[start : start + RECEIPTS_PER_BATCH]
            _ok(client.post("/api/v1/stock/movements", json={"lines": batch, "reference": "seed"}))
            progress.advance(stocking, len(batch))
        hot = product_id(0)
        _ok(
            client.post(
                "/api/v1/stock/movements",
                json={
                    "kind": "receipt",
                    "product_id": hot,
                    "quantity": HOT_INITIAL_STOCK,
                    "to_location_id": hot_location,
                    "reference": "seed",
                },
            )
        )
        client.close()
    return Fixture(
        token=token,
        tenant_id=tenant_id,
        user_id=user_id,
        user_label=email,
        warehouse_id=warehouse_id,
        locations=locations,
        other_locations=other_locations,
        products=ids,
        hot_product=hot,
        hot_location=hot_location,
    )


def _ok(response: httpx.Response) -> httpx.Response:
    if response.status_code >= 300:
        raise RuntimeError(
            f"{response.request.method} {response.request.url}: "
            f"{response.status_code} {response.text[:500]}"
        )
    return response


async def _seed_products(app_url: str, tenant_id: str, count: int) -> None:
    """Products 0 (the hot one) … count, with the fixed-prefix ids and a reorder point."""
    connection = await asyncpg.connect(app_url)
    try:
        async with connection.transaction():
            await connection.execute("SELECT set_config('app.tenant_id', $1, true)", tenant_id)
            await connection.execute(
                """
                INSERT INTO products (id, tenant_id, sku, name, unit_code, reorder_point)
                SELECT ($2 || lpad(to_hex(g), 12, '0'))::uuid, $1::uuid,
                       'LW-' || lpad(g::text, 6, '0'), 'Ledger bench ' || g, 'pcs', $4
                FROM generate_series(0, $3::int) AS g
                """,
                tenant_id,
                PRODUCT_ID_PREFIX,
                count,
                REORDER_POINT,
            )
    finally:
        await connection.close()


async def _analyze(owner_url: str) -> None:
    connection = await asyncpg.connect(owner_url)
    try:
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


# CPU accounting


class CpuMeter:
    """CPU seconds used by the server process and by PostgreSQL (postmaster, its live
    children, and the children it has reaped) between two samples."""

    def __init__(self, server_pid: int | None, postmaster_pid: int) -> None:
        self.server = psutil.Process(server_pid) if server_pid else None
        self.postmaster = psutil.Process(postmaster_pid)

    def sample(self) -> CpuSample:
        server = 0.0
        if self.server is not None:
            times = self.server.cpu_times()
            server = times.user + times.system
        own = self.postmaster.cpu_times()
        postgres = own.user + own.system + own.children_user + own.children_system
        for child in self.postmaster.children(recursive=True):
            try:
                times = child.cpu_times()
            except psutil.NoSuchProcess:
                continue
            postgres += times.user + times.system
        return CpuSample(server=server, postgres=postgres)


def postmaster_pid(data_dir: Path) -> int:
    return int((DataDirLayout.of(data_dir).pgdata / "postmaster.pid").read_text().split()[0])


@contextmanager
def measuring(meter: CpuMeter) -> Iterator[dict[str, float]]:
    """Yields a dict filled on exit with server and PostgreSQL CPU (cores busy)."""
    shares: dict[str, float] = {}
    before, started = meter.sample(), time.perf_counter()
    yield shares
    after, elapsed = meter.sample(), time.perf_counter() - started
    shares["server"] = (after.server - before.server) / elapsed
    shares["postgres"] = (after.postgres - before.postgres) / elapsed


# Capturing the SQL of one HTTP movement

LOG_RECORD = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ \[(\d+)\] (\S*) ([A-Z]+):  (.*)$"
)
STATEMENT = re.compile(r"^(?:statement|execute [^:]*): (.*)$", re.DOTALL)


async def _set_statement_logging(admin_url: str, *, enabled: bool) -> None:
    connection = await asyncpg.connect(admin_url)
    try:
        if enabled:
            await connection.execute("ALTER SYSTEM SET log_statement = 'all'")
            await connection.execute("ALTER SYSTEM SET log_line_prefix = '%m [%p] %u '")
        else:
            await connection.execute("ALTER SYSTEM RESET log_statement")
            await connection.execute("ALTER SYSTEM RESET log_line_prefix")
        await connection.execute("SELECT pg_reload_conf()")
    finally:
        await connection.close()


def capture_movement_sql(
    admin_url: str, log: Path, url: str, body: dict[str, object], headers: dict[str, str],
    app_role: str,
) -> list[str]:  # fmt: skip
    """The statements PostgreSQL received for one POST of ``body`` to ``url`` (a movement,
    through the app or the raw endpoint), in order, as the application role sent them."""
    asyncio.run(_set_statement_logging(admin_url, enabled=True))
    # Backends re-read the configuration before their next command; give the postmaster
    # a moment to signal them.
    time.sleep(0.5)
    try:
        offset = log.stat().st_size
        _ok(httpx.post(url, headers=headers, json=body))
        time.sleep(0.3)  # let the server finish writing its log lines
    finally:
        asyncio.run(_set_statement_logging(admin_url, enabled=False))
        time.sleep(0.5)
    with log.open("rb") as handle:
        handle.seek(offset)
        text = handle.read().decode("utf-8", "replace")
    records: list[tuple[str, str, str, str]] = []  # pid, user, level, message
    for line in text.splitlines():
        match = LOG_RECORD.match(line)
        if match:
            records.append((match[1], match[2], match[3], match[4]))
        elif records and line.startswith("\t"):
            pid, user, level, message = records[-1]
            records[-1] = (pid, user, level, message + "\n" + line[1:])
    by_pid: dict[str, list[str]] = {}
    for pid, user, level, message in records:
        statement = STATEMENT.match(message)
        if user == app_role and level == "LOG" and statement:
            by_pid.setdefault(pid, []).append(statement[1].strip())
    writers = [s for s in by_pid.values() if any("stock_movements" in x for x in s)]
    if len(writers) != 1:
        raise RuntimeError(f"could not find the movement's statements in {log}:\n{text[-3000:]}")
    return writers[0]


def shape(sql: str) -> str:
    """What a statement is, for comparing two transactions: verb, table, locking."""
    flat = " ".join(sql.split()).rstrip(";").strip()
    upper = flat.upper()
    if not flat:
        return "(empty statement: pool pre-ping)"
    if upper.startswith(("BEGIN", "START TRANSACTION")):
        return "BEGIN"
    if upper.startswith(("COMMIT", "END")):
        return "COMMIT"
    if upper.startswith("WITH") and "INSERT INTO" in upper:
        table = flat[upper.index("INSERT INTO") :].split()[2].split("(")[0]
        notify = " + pg_notify" if "pg_notify(" in flat.lower() else ""
        return f"INSERT {table}{notify}"
    if upper.startswith("INSERT INTO"):
        table = flat.split()[2].split("(")[0]
        suffix = ""
        if "ON CONFLICT" in upper:
            suffix = " ON CONFLICT DO UPDATE" if "DO UPDATE" in upper else " ON CONFLICT DO NOTHING"
        return f"INSERT {table}{suffix}"
    if upper.startswith("UPDATE"):
        return f"UPDATE {flat.split()[1]}"
    if upper.startswith("DELETE FROM"):
        return f"DELETE {flat.split()[2]}"
    if upper.startswith("SELECT"):
        for function in ("qm_enter_member", "set_config", "pg_notify", "pg_advisory_xact_lock"):
            if f"{function}(" in flat.lower():
                return f"SELECT {function}(…)"
        tables = re.findall(r"\b(?:FROM|JOIN) (\w+)", flat, re.IGNORECASE)
        lock = " FOR NO KEY UPDATE" if "FOR NO KEY UPDATE" in upper else ""
        return f"SELECT {' ⋈ '.join(dict.fromkeys(tables))}{lock}"
    return flat[:40]


# The same transaction for pgbench

PGBENCH_SCRIPT = """\
-- One stock movement as the HTTP path runs it (POST /api/v1/stock/movements, a transfer of
-- 1 unit of product :p from location :a to location :b), statement for statement. Made by
-- bench/ledger_writes.py. Differences: literals where the app binds parameters (the
-- reserved-delta lookup's flag is false, as for every movement); ids from uuidv7()
-- (PostgreSQL 18) where the app makes UUIDv7s in Python.
\\set p random(1, {products})
\\set a random(0, {last_location})
\\set b (:a + random(1, {last_location})) % {locations}
BEGIN;
SELECT qm_enter_member('{tenant}', '{user}'), set_config('statement_timeout', '{timeout}', true),
  set_config('idle_in_transaction_session_timeout', '{idle_timeout}', true);
SELECT p.id, p.sku, p.name, p.unit_code, u.decimals, p.reorder_point, p.is_active,
  p.category_id
  FROM products p JOIN units u ON u.tenant_id = p.tenant_id AND u.code = p.unit_code
  WHERE p.tenant_id = '{tenant}' AND p.id = ANY(ARRAY[{product}]::uuid[]);
SELECT l.id, l.code, l.allow_negative, w.id, w.code, w.is_active
  FROM locations l JOIN warehouses w ON w.tenant_id = l.tenant_id AND w.id = l.warehouse_id
  WHERE l.tenant_id = '{tenant}' AND l.id = ANY(ARRAY[{from_location}, {to_location}]::uuid[]);
INSERT INTO stock_levels AS s (tenant_id, product_id, location_id, on_hand, reserved,
    updated_at)
  SELECT '{tenant}', k.product_id, k.location_id, k.on_hand, greatest(k.reserved, 0), now()
  FROM unnest(ARRAY[{product}, {product}]::uuid[],
    ARRAY[least({from_location}, {to_location}), greatest({from_location}, {to_location})]::uuid[],
    ARRAY[{first_delta}, -({first_delta})]::numeric[], ARRAY[0, 0]::numeric[])
    WITH ORDINALITY AS k(product_id, location_id, on_hand, reserved, n)
  ORDER BY k.n
  ON CONFLICT (tenant_id, product_id, location_id) DO UPDATE
  SET on_hand = s.on_hand + EXCLUDED.on_hand,
    reserved = s.reserved + CASE WHEN false THEN (
      SELECT r.reserved FROM unnest(ARRAY[{product}, {product}]::uuid[],
        ARRAY[{from_location}, {to_location}]::uuid[], ARRAY[0, 0]::numeric[])
        AS r(product_id, location_id, reserved)
      WHERE r.product_id = s.product_id AND r.location_id = s.location_id
    ) ELSE EXCLUDED.reserved END,
    updated_at = EXCLUDED.updated_at
  RETURNING s.product_id, s.location_id, s.on_hand, s.reserved;
INSERT INTO stock_movements (tenant_id, recorded_by, recorded_by_label, recorded_at, id,
  batch_id, line_no, kind, product_id, from_location_id, to_location_id, quantity, unit_cost,
  reason, reference, note)
  SELECT '{tenant}', '{user}', '{label}', now(), m.*
  FROM unnest(ARRAY[uuidv7()], ARRAY[uuidv7()], ARRAY[1]::smallint[], ARRAY['transfer'],
    ARRAY[{product}], ARRAY[{from_location}], ARRAY[{to_location}], ARRAY[1]::numeric[],
    ARRAY[NULL]::numeric[], ARRAY[NULL]::text[], ARRAY[NULL]::text[], ARRAY[NULL]::text[])
    AS m;
INSERT INTO outbox_events (id, tenant_id, type, payload, trace_context)
  VALUES (uuidv7(), '{tenant}', 'inventory.stock.moved', '{payload}'::text::jsonb, NULL);
COMMIT;
"""


def pgbench_literal(payload: object) -> str:
    """A JSON document as an SQL literal that pgbench leaves alone: pgbench reads ``:name``
    anywhere in a command as a variable, so no colon may be followed by a name character
    (``": "`` between keys and values; ``\\u003a`` for colons inside strings)."""
    text = json.dumps(payload, separators=(", ", ": "))
    return re.sub(r":(?=\S)", r"\\u003a", text).replace("'", "''")


def pgbench_script(fixture: Fixture, payload: object) -> str:
    locations = ", ".join(f"'{location}'" for location in fixture.locations)
    from_location = f"(ARRAY[{locations}]::uuid[])[:a::int + 1]"
    to_location = f"(ARRAY[{locations}]::uuid[])[:b::int + 1]"
    limits = request_limits(Settings())  # the API's defaults, as the server runs them
    return PGBENCH_SCRIPT.format(
        timeout=limits.statement_timeout_ms,
        idle_timeout=limits.idle_in_transaction_timeout_ms,
        products=len(fixture.products),
        locations=len(fixture.locations),
        last_location=len(fixture.locations) - 1,
        tenant=fixture.tenant_id,
        user=fixture.user_id,
        label=fixture.user_label.replace("'", "''"),
        warehouse=fixture.warehouse_id,
        product=f"('{PRODUCT_ID_PREFIX}' || lpad(to_hex(:p::int), 12, '0'))::uuid",
        from_location=from_location,
        to_location=to_location,
        payload=pgbench_literal(payload),
        # The app passes the keys sorted: the lower location id first, with its delta.
        first_delta=f"CASE WHEN {from_location} < {to_location} THEN -1 ELSE 1 END",
    )


def script_statements(script: str) -> list[str]:
    """The SQL commands of a pgbench script (meta-commands and comments left out)."""
    body = "\n".join(
        line for line in script.splitlines() if not line.lstrip().startswith(("\\", "--"))
    )
    return [part.strip() for part in body.split(";\n") if part.strip()]


async def _last_event_payload(app_url: str, tenant_id: str) -> object:
    connection = await asyncpg.connect(app_url)
    try:
        async with connection.transaction():
            await connection.execute("SELECT set_config('app.tenant_id', $1, true)", tenant_id)
            payload = await connection.fetchval(
                # The app's event (the raw endpoint's is a one-line stand-in).
                "SELECT payload::text FROM outbox_events WHERE type = 'inventory.stock.moved' "
                "AND payload ? 'levels' ORDER BY id DESC LIMIT 1"
            )
        return json.loads(payload)
    finally:
        await connection.close()


def split_ping(http: list[str]) -> tuple[list[str], list[str]]:
    """(the pool's pre-ping, the movement's transaction) of the captured statements. The
    pre-ping (SQLAlchemy's ``pool_pre_ping`` on asyncpg) is BEGIN, an empty query that
    log_statement does not show, ROLLBACK."""
    first_work = next(i for i, sql in enumerate(http) if shape(sql) not in ("BEGIN", "ROLLBACK"))
    begin = max(i for i in range(first_work) if shape(http[i]) == "BEGIN")
    return http[:begin], http[begin:]


def split_after_commit(transaction: list[str]) -> tuple[list[str], list[str]]:
    """(the transaction up to its COMMIT, what followed it). What follows is not the
    movement's: the relay's wake-up (a NOTIFY after the commit, once per burst of
    commits) when it went out on the same pooled connection."""
    end = next((i for i, sql in enumerate(transaction) if shape(sql) == "COMMIT"), None)
    if end is None:
        return transaction, []
    return transaction[: end + 1], transaction[end + 1 :]


def ping_round_trips(ping: list[str]) -> int:
    return len(ping) + 1 if ping else 0  # + the empty query


def compare_shapes(
    http: list[str], script: list[str], *, title: str, other: str
) -> tuple[Table, bool]:
    """The HTTP transaction's statements next to another transaction's (a captured one's
    or the pgbench script's). The pre-ping before BEGIN is shown but not compared: it is
    the connection pool's, not the movement's; nor is what follows the COMMIT."""
    ping, transaction = split_ping(http)
    transaction, after = split_after_commit(transaction)
    script = split_after_commit(split_ping(script)[1])[0]  # the same cut on the other side
    table = Table(title=title)
    for column in ("#", "HTTP (PostgreSQL log)", other, ""):
        table.add_column(column)
    for sql in ping:
        table.add_row("", f"[dim]{shape(sql)} (pool pre-ping)[/]", "", "")
    if ping:
        table.add_row("", "[dim](empty query ';', not logged) (pool pre-ping)[/]", "", "")
    same = len(transaction) == len(script)
    for index in range(max(len(transaction), len(script))):
        left = shape(transaction[index]) if index < len(transaction) else "—"
        right = shape(script[index]) if index < len(script) else "—"
        same = same and left == right
        table.add_row(str(index + 1), left, right, "✓" if left == right else "[red]≠[/]")
    for sql in after:
        table.add_row("", f"[dim]{shape(sql)} (after the commit: relay wake-up)[/]", "", "")
    return table, same


@dataclass
class PgbenchRun:
    tps: float
    transactions: int
    failed: int
    latencies_ms: list[float]
    statement_ms: list[tuple[float, str]]
    measured_cpu: float


def run_pgbench(url: str, script: Path, *, clients: int, seconds: int, log_dir: Path) -> PgbenchRun:
    for old in log_dir.glob("pgbench_log*"):
        old.unlink()
    prefix = log_dir / "pgbench_log"
    command = [
        "pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", "2",
        "-T", str(seconds), "-f", str(script), "-r", "-l", f"--log-prefix={prefix}", url,
    ]  # fmt: skip
    measured = run_measured(command)
    output = measured.output
    tps = re.search(r"^tps = ([\d.]+)", output, re.MULTILINE)
    processed = re.search(r"actually processed: (\d+)", output)
    if measured.returncode != 0 or tps is None or processed is None:
        raise RuntimeError(f"pgbench said:\n{output}")
    failed = re.search(r"number of failed transactions: (\d+)", output)
    latencies = []
    for path in log_dir.glob("pgbench_log*"):
        for line in path.read_text().splitlines():
            fields = line.split()
            latencies.append(int(fields[2]) / 1000)
    statement_ms = []
    if "statement latencies" in output:
        for line in output.split("statement latencies", 1)[1].splitlines()[1:]:
            match = re.match(r"^\s+([\d.]+)\s+(?:\d+\s+)?(\S.*)$", line)
            if match:
                statement_ms.append((float(match[1]), match[2]))
    return PgbenchRun(
        tps=float(tps[1]),
        transactions=int(processed[1]),
        failed=int(failed[1]) if failed else 0,
        latencies_ms=sorted(latencies),
        statement_ms=statement_ms,
        measured_cpu=measured.cpu_share,
    )


def percentile(ordered: list[float], share: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# Hot SKU checks


@dataclass
class HotCheck:
    answered_issues: int
    answered_receipts: int
    refused: int  # answered 409 insufficient-stock
    lost: int  # 2xx responses whose movement is not in the ledger
    unanswered: int  # run movements in the ledger without a 2xx seen (in flight at the end)
    unanswered_net: Decimal  # what those did to the level
    level: Decimal
    expected_level: Decimal  # initial + 2xx receipts - 2xx issues + unanswered net
    min_running: Decimal  # lowest level in lock (ledger id) order, over the whole history
    negative: int  # levels below 0 in that history
    mismatches: int  # ledger_mismatches of the tenant (whole benchmark)


async def check_hot(
    app_url: str,
    fixture: Fixture,
    answered: dict[str, str],
    refused: int,
    prefix: str,
    before: Decimal,
) -> HotCheck:
    """Compare what the clients were told (``answered``: reference → kind of every 2xx)
    with the ledger and the level of the hot (product, location)."""
    connection = await asyncpg.connect(app_url)
    try:
        async with connection.transaction():
            await connection.execute(
                "SELECT set_config('app.tenant_id', $1, true)", fixture.tenant_id
            )
            rows = await connection.fetch(
                """
                SELECT reference, kind,
                       CASE WHEN to_location_id = $3 THEN quantity ELSE -quantity END AS delta
                FROM stock_movements
                WHERE tenant_id = $1 AND product_id = $2
                  AND (from_location_id = $3 OR to_location_id = $3)
                ORDER BY id
                """,
                uuid.UUID(fixture.tenant_id),
                uuid.UUID(fixture.hot_product),
                uuid.UUID(fixture.hot_location),
            )
            level = await connection.fetchval(
                "SELECT on_hand FROM stock_levels WHERE tenant_id = $1 AND product_id = $2 "
                "AND location_id = $3",
                uuid.UUID(fixture.tenant_id),
                uuid.UUID(fixture.hot_product),
                uuid.UUID(fixture.hot_location),
            )
    finally:
        await connection.close()
    # Ledger ids are UUIDv7s made after the level row is locked, by one server process:
    # their order is the order in which the movements held the lock.
    running, lowest, negative = Decimal(0), Decimal(0), 0
    in_run: dict[str, Decimal] = {}
    for row in rows:
        running += row["delta"]
        lowest = min(lowest, running)
        negative += running < 0
        if row["reference"] and row["reference"].startswith(f"{prefix}-"):
            in_run[row["reference"]] = row["delta"]
    unanswered = {ref: delta for ref, delta in in_run.items() if ref not in answered}
    issues = sum(1 for kind in answered.values() if kind == "issue")
    receipts = sum(1 for kind in answered.values() if kind == "receipt")
    database = Database(app_url, pool_size=1, max_overflow=0)
    try:
        async with database.transaction(uuid.UUID(fixture.tenant_id)) as session:
            mismatches = await ledger_mismatches(session, uuid.UUID(fixture.tenant_id))
    finally:
        await database.dispose()
    return HotCheck(
        answered_issues=issues,
        answered_receipts=receipts,
        refused=refused,
        lost=sum(1 for ref in answered if ref not in in_run),
        unanswered=len(unanswered),
        unanswered_net=sum(unanswered.values(), Decimal(0)),
        level=Decimal(level),
        expected_level=before + receipts - issues + sum(unanswered.values(), Decimal(0)),
        min_running=lowest,
        negative=negative,
        mismatches=len(mismatches),
    )


# Profiling (optional)


@contextmanager
def profiling(output: Path | None, pid: int, seconds: int) -> Iterator[None]:
    """py-spy samples the server process (on the generator's CPU) while the block runs;
    prints where the server's time goes, by function, inclusive and self."""
    if output is None:
        yield
        return
    spy = ["py-spy"] if shutil.which("py-spy") else ["uvx", "py-spy"]
    command = [
        "taskset", "-c", "1", *spy, "record", "--pid", str(pid), "--duration", str(seconds),
        "--rate", "200", "--format", "raw", "--output", str(output), "--nonblocking",
    ]  # fmt: skip
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        yield
    finally:
        proc.wait(timeout=seconds + 60)
    if output.exists():
        summarize_profile(output)


def summarize_profile(folded: Path, top: int = 15) -> None:
    """Self time by package and by function, and inclusive time of our own functions
    (SQLAlchemy runs statements in greenlets, whose stacks py-spy shows apart from the
    request's, so inclusive figures of callers above a statement are low)."""
    packages: dict[str, int] = {}
    functions: dict[str, int] = {}
    ours: dict[str, int] = {}
    total = 0
    for line in folded.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        count = int(count_text)
        frames = [f.replace(str(ROOT) + "/", "") for f in stack.split(";") if " (" in f]
        total += count
        if not frames:
            continue
        leaf = frames[-1]
        package = re.sub(r"^.*\(([^/:]+).*$", r"\1", leaf)
        packages[package] = packages.get(package, 0) + count
        functions[leaf] = functions.get(leaf, 0) + count
        for frame in {f.rsplit(":", 1)[0] + ")" for f in frames if "(quartermaster/" in f}:
            ours[frame] = ours.get(frame, 0) + count
    for title, counts in (
        ("self time by package", packages),
        ("self time by function", functions),
        ("inclusive time of quartermaster functions", ours),
    ):
        table = Table(title=f"server profile during the HTTP run: {title}")
        table.add_column("%", justify="right")
        table.add_column("where")
        for frame, count in sorted(counts.items(), key=lambda item: -item[1])[:top]:
            table.add_row(f"{count / total:.1%}", frame[:110])
        console.print(table)


# Running it all


def wrk_result(
    name: str,
    values: dict[str, float],
    generator_cpu: float,
    shares: dict[str, float],
    clients: int,
) -> RunResult:
    statuses = {key[1:]: int(v) for key, v in values.items() if re.fullmatch(r"s\d{3}", key)}
    ok = sum(count for status, count in statuses.items() if status.startswith("2"))
    return RunResult(
        name=name,
        clients=clients,
        commits_per_s=ok / values["seconds"],
        p50=values["p50"],
        p95=values["p95"],
        p99=values["p99"],
        statuses=statuses,
        other_failures=int(values["errors"]),
        generator_cpu=generator_cpu,
        server_cpu=shares["server"],
        postgres_cpu=shares["postgres"],
    )


def combined(results: list[RunResult]) -> RunResult:
    """Runs of equal length as one: commits/s and CPU shares averaged (so CPU per commit
    is the total CPU over the total commits), statuses summed, percentiles averaged."""
    if len(results) == 1:
        return results[0]

    def mean(values: list[float]) -> float:
        return sum(values) / len(values)

    statuses: dict[str, int] = {}
    for result in results:
        for status, count in result.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    first = results[0]
    return RunResult(
        name=f"{first.name} ({len(results)} rounds)",
        clients=first.clients,
        commits_per_s=mean([r.commits_per_s for r in results]),
        p50=mean([r.p50 for r in results]),
        p95=mean([r.p95 for r in results]),
        p99=mean([r.p99 for r in results]),
        statuses=statuses,
        other_failures=sum(r.other_failures for r in results),
        generator_cpu=mean([r.generator_cpu for r in results]),
        server_cpu=mean([r.server_cpu or 0.0 for r in results]),
        postgres_cpu=mean([r.postgres_cpu for r in results]),
    )


@dataclass
class Scenario:
    """One transfer scenario through the app and through the raw endpoint, and how their
    captured statements compare."""

    name: str
    http: RunResult
    raw: RunResult
    shapes: Table
    shapes_match: bool
    http_statements: int
    raw_statements: int
    http_sql: list[str]  # the app's captured statements

    @property
    def cpu_ratio(self) -> float:
        """The app's server CPU per commit / the raw endpoint's (the target's measure)."""
        assert self.http.server_cpu is not None
        assert self.raw.server_cpu is not None
        return per_commit(self.http.server_cpu, self.http) / per_commit(
            self.raw.server_cpu, self.raw
        )

    def lines(self) -> list[str]:
        ok = self.cpu_ratio <= CPU_TARGET
        http_ms = per_commit(self.http.server_cpu or 0.0, self.http)
        raw_ms = per_commit(self.raw.server_cpu or 0.0, self.raw)
        return [
            f"{self.name}: server CPU per commit, app {http_ms:.2f} ms / raw endpoint "
            f"{raw_ms:.2f} ms = **{self.cpu_ratio:.2f}x** (target ≤ {CPU_TARGET}x: "
            + ("met" if ok else "NOT met")
            + f"); commits/s app / raw {self.http.commits_per_s / self.raw.commits_per_s:.2f}",
            f"{self.name}: statements per movement, app {self.http_statements} in the "
            f"transaction, raw endpoint {self.raw_statements}; shapes "
            + ("match" if self.shapes_match else "DIFFER: update the raw endpoint"),
        ]


@dataclass
class Report:
    within: Scenario
    across: Scenario
    pgbench: RunResult
    pgbench_statements: list[tuple[float, str]]
    hot: RunResult
    hot_check: HotCheck
    script_shapes: Table
    script_match: bool
    http_ping: int
    script_statements: int

    @property
    def ratio(self) -> float:
        return self.within.http.commits_per_s / self.pgbench.commits_per_s

    @property
    def raw_ratio(self) -> float:
        return self.within.raw.commits_per_s / self.pgbench.commits_per_s

    def rows(self) -> tuple[RunResult, ...]:
        return (
            self.within.http,
            self.within.raw,
            self.pgbench,
            self.across.http,
            self.across.raw,
            self.hot,
        )

    def summary(self) -> list[str]:
        return [
            *self.within.lines(),
            *self.across.lines(),
            f"within a warehouse: app / pgbench (same SQL) {self.ratio:.2f}x, raw endpoint / "
            f"pgbench {self.raw_ratio:.2f}x (for scale; no longer a target); pgbench script "
            f"{self.script_statements} statements, shapes "
            + ("match" if self.script_match else "DIFFER: update the script")
            + f"; the app's transaction is preceded by {self.http_ping} round trips of pool "
            "pre-ping",
        ]

    def show(self) -> None:
        for table in (self.script_shapes, self.within.shapes, self.across.shapes):
            console.print(table)
        if self.pgbench_statements:
            table = Table(title="pgbench per-statement latency (ms, -r)")
            table.add_column("ms", justify="right")
            table.add_column("statement")
            for ms, statement in self.pgbench_statements:
                table.add_row(f"{ms:.3f}", Text(statement[:100]))
            console.print(table)
        # One column per case, so the table fits a narrow terminal.
        cells = [result_cells(row) for row in self.rows()]
        table = Table(title="Ledger writes and hot SKU (2xx answers only)")
        table.add_column("")
        for row in self.rows():
            table.add_column(row.name, justify="right")
        for index, label in enumerate(RESULT_COLUMNS[1:], start=1):
            table.add_row(label, *(c[index] for c in cells))
        console.print(table)
        for line in self.summary() + self.hot_lines():
            console.print(Text(line.replace("**", "")))

    def hot_lines(self) -> list[str]:
        check = self.hot_check
        level_ok = check.level == check.expected_level
        return [
            f"hot SKU: {self.hot.commits_per_s:.0f} commits/s, p99 {self.hot.p99:.1f} ms, "
            f"{check.refused} answered 409 insufficient-stock",
            f"hot SKU: lost {check.lost} (2xx whose movement is not in the ledger), "
            f"negative {check.negative} (levels below 0 in lock order; lowest "
            f"{check.min_running})",
            f"hot SKU: level {check.level} = {HOT_INITIAL_STOCK} initial + "
            f"{check.answered_receipts} receipts - {check.answered_issues} issues answered 2xx "
            f"{check.unanswered_net:+} from {check.unanswered} movements committed after wrk "
            "stopped waiting for them (in flight at its end): "
            + ("holds" if level_ok else f"DOES NOT HOLD (expected {check.expected_level})"),
            f"ledger_mismatches (whole tenant, after every run): {check.mismatches}",
        ]

    def markdown(self, args: argparse.Namespace) -> list[str]:
        lines = [
            "",
            f"### Ledger writes and hot SKU — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            "",
            f"Machine: {machine()}; server pinned to CPU 0 (1 Uvicorn worker, pool 16), wrk and "
            "pgbench to CPU 1, PostgreSQL 18 (embedded, fsync on) and Redis unpinned. Command: "
            f"`uv run python bench/ledger_writes.py --products {args.products} "
            f"--seconds {args.seconds} --rounds {args.rounds} --record`. "
            f"{args.products:,} products with a reorder point, {LOCATIONS} locations in "
            "each of two warehouses; wrk -t2 "
            f"-c{args.connections}, transfers of 1 unit of a random product. *Within*: "
            "between two locations of one warehouse, no Idempotency-Key (the alert "
            "statements are skipped: the warehouse's available total does not change). "
            "*Across*: between the two warehouses, random direction, a fresh "
            "Idempotency-Key each (the key's claim and response, and the alert path). Each "
            "also against the raw asyncpg endpoint of the benchmark server (the same "
            "statements, no auth, validation or Pydantic), in interleaved rounds (app, raw, "
            "app, raw, …; figures over the rounds). pgbench: the *within* "
            f"transaction, -M prepared -c{args.connections} -j2, as the application role "
            f"(RLS forced). Hot SKU: wrk -t2 -c{args.hot_connections}, "
            f"{args.issue_share:.0%} issues / receipts of 1 unit, one product at one "
            f"location starting at {HOT_INITIAL_STOCK}. Commits/s count 2xx answers only.",
            "",
            "| " + " | ".join(RESULT_COLUMNS) + " |",
            "| " + " | ".join("---" for _ in RESULT_COLUMNS) + " |",
        ]
        for row in self.rows():
            lines.append("| " + " | ".join(result_cells(row)) + " |")
        lines += [
            "",
            *(f"- {line}" for line in self.summary()),
            *(f"- {line}" for line in self.hot_lines()),
            "",
        ]
        return lines


RESULT_COLUMNS = (
    "case", "clients", "commits/s", "p50 ms", "p95 ms", "p99 ms", "statuses",
    "errors", "generator CPU", "server CPU", "PostgreSQL CPU", "server CPU ms/commit",
    "PostgreSQL CPU ms/commit",
)  # fmt: skip


def result_cells(row: RunResult) -> list[str]:
    statuses = ", ".join(f"{status}: {count}" for status, count in sorted(row.statuses.items()))
    return [
        row.name,
        str(row.clients),
        f"{row.commits_per_s:.0f}",
        f"{row.p50:.1f}",
        f"{row.p95:.1f}",
        f"{row.p99:.1f}",
        statuses or "—",
        str(row.other_failures),
        f"{row.generator_cpu:.0%}",
        "—" if row.server_cpu is None else f"{row.server_cpu:.0%}",
        f"{row.postgres_cpu:.0%}",
        "—" if row.server_cpu is None else f"{per_commit(row.server_cpu, row):.1f}",
        f"{per_commit(row.postgres_cpu, row):.1f}",
    ]


def per_commit(cpu_share: float, row: RunResult) -> float:
    """CPU milliseconds per commit: less sensitive than throughput to a busy machine."""
    return cpu_share / row.commits_per_s * 1000 if row.commits_per_s else float("nan")


def benchmark(
    args: argparse.Namespace,
    tmp: Path,
    services: EmbeddedServices,
    urls: EmbeddedUrls,
    base: str,
    server_pid: int,
    fixture: Fixture,
) -> Report:
    app_url, admin_url, owner_url = urls.database_url, urls.admin_url, urls.database_owner_url
    asyncio.run(_analyze(owner_url))
    meter = CpuMeter(server_pid, postmaster_pid(services.data_dir))
    headers = {"Authorization": f"Bearer {fixture.token}"}
    products_file = tmp / "products.txt"
    products_file.write_text("\n".join(fixture.products) + "\n")
    wrk_env = {
        **os.environ,
        "WRK_PRODUCTS": str(products_file),
        "WRK_LOCATIONS": ",".join(fixture.locations),
    }
    url = f"{base}/api/v1/stock/movements"
    raw_url = f"{base}/bench/raw-movements"
    app_role = urlparse(app_url).username or ""
    across_env = {**wrk_env, "WRK_OTHER_LOCATIONS": ",".join(fixture.other_locations)}

    def transfers(
        seconds: int, target: str, env: dict[str, str]
    ) -> tuple[dict[str, float], float, dict[str, float]]:
        if "WRK_OTHER_LOCATIONS" in env:  # fresh keys for every run, never a replay
            env = {**env, "WRK_IDEMPOTENCY_PREFIX": f"bench-{uuid.uuid4().hex[:12]}"}
        with measuring(meter) as shares:
            values, measured = wrk(
                target, seconds=seconds, script=LUA / "ledger_transfers.lua", env=env,
                connections=args.connections, threads=2, headers=headers,
            )  # fmt: skip
        for line in measured.output.splitlines():
            if line.startswith("first failure"):
                console.print(Text(line[:300], style="yellow"))
        return values, measured.cpu_share, shares

    def capture(target: str, body: dict[str, object], key: str | None) -> list[str]:
        extra = {"Idempotency-Key": key} if key else {}
        return capture_movement_sql(
            admin_url, services.postgres_log, target, body, {**headers, **extra}, app_role
        )

    def scenario(name: str, env: dict[str, str], body: dict[str, object]) -> Scenario:
        keyed = "WRK_OTHER_LOCATIONS" in env
        runs: dict[str, RunResult] = {}
        captured: dict[str, list[str]] = {}
        rounds: dict[str, list[RunResult]] = {"app": [], "raw": []}
        for round_ in range(args.rounds):
            # Interleaved (app, raw, app, raw, …) so that drift in a shared machine's load
            # falls on both.
            for label, target in (("app", url), ("raw", raw_url)):
                case = f"{name}: {'HTTP' if label == 'app' else 'raw asyncpg'}"
                console.print(
                    f"{case} (round {round_ + 1}/{args.rounds}): warm-up {args.warmup} s, "
                    f"then {args.seconds} s …"
                )
                transfers(args.warmup, target, env)
                if round_ == 0:
                    captured[label] = capture(
                        target, body, f"capture-{label}-{uuid.uuid4()}" if keyed else None
                    )
                profile = args.profile if label == "app" and round_ == 0 else None
                with profiling(profile, server_pid, args.seconds):
                    values, cpu, shares = transfers(args.seconds, target, env)
                rounds[label].append(wrk_result(case, values, cpu, shares, args.connections))
        for label, results in rounds.items():
            runs[label] = combined(results)
        table, same = compare_shapes(
            captured["app"],
            captured["raw"],
            title=f"SQL of one movement ({name}): HTTP vs raw endpoint (both captured)",
            other="raw endpoint (PostgreSQL log)",
        )
        if args.show_sql:
            for label, statements in captured.items():
                console.rule(f"captured statements: {name}, {label}")
                for sql in statements:
                    console.print(Text(sql + ";"))
        return Scenario(
            name=name,
            http=runs["app"],
            raw=runs["raw"],
            shapes=table,
            shapes_match=same,
            http_statements=len(split_after_commit(split_ping(captured["app"])[1])[0]),
            raw_statements=len(split_after_commit(split_ping(captured["raw"])[1])[0]),
            http_sql=captured["app"],
        )

    transfer = {"kind": "transfer", "product_id": fixture.products[0], "quantity": 1}
    within = scenario(
        "within a warehouse",
        wrk_env,
        {
            **transfer,
            "from_location_id": fixture.locations[0],
            "to_location_id": fixture.locations[1],
        },
    )
    statements = within.http_sql
    across = scenario(
        "across warehouses, with a key",
        across_env,
        {
            **transfer,
            "from_location_id": fixture.locations[0],
            "to_location_id": fixture.other_locations[0],
        },
    )

    script = pgbench_script(fixture, asyncio.run(_last_event_payload(app_url, fixture.tenant_id)))
    script_path = tmp / "movement.sql"
    script_path.write_text(script)
    shapes, same = compare_shapes(
        statements,
        script_statements(script),
        title="SQL of one movement (within a warehouse): HTTP (captured) vs pgbench script",
        other="pgbench script",
    )
    if args.show_sql:
        console.rule("pgbench script")
        console.print(Text(script))
    console.print(f"pgbench: warm-up {args.warmup} s, then {args.seconds} s …")
    run_pgbench(app_url, script_path, clients=args.connections, seconds=args.warmup, log_dir=tmp)
    with measuring(meter) as shares:
        bench = run_pgbench(
            app_url, script_path, clients=args.connections, seconds=args.seconds, log_dir=tmp
        )
    pgbench = RunResult(
        name="pgbench, same SQL",
        clients=args.connections,
        commits_per_s=bench.tps,
        p50=percentile(bench.latencies_ms, 0.50),
        p95=percentile(bench.latencies_ms, 0.95),
        p99=percentile(bench.latencies_ms, 0.99),
        statuses={},
        other_failures=bench.failed,
        generator_cpu=bench.measured_cpu,
        server_cpu=None,
        postgres_cpu=shares["postgres"],
    )

    console.print(f"hot SKU: {args.seconds} s with {args.hot_connections} connections …")
    out = tmp / "hot-answered.txt"
    hot_env = {
        **os.environ,
        "WRK_HOT_PRODUCT": fixture.hot_product,
        "WRK_HOT_LOCATION": fixture.hot_location,
        "WRK_ISSUE_SHARE": str(args.issue_share),
        "WRK_REF_PREFIX": "hot",
        "WRK_HOT_OUT": str(out),
    }
    with measuring(meter) as shares:
        values, measured = wrk(
            url, seconds=args.seconds, script=LUA / "hot_sku.lua", env=hot_env,
            connections=args.hot_connections, threads=2, headers=headers,
        )  # fmt: skip
    hot = wrk_result(
        "hot SKU (issue/receipt 1)", values, measured.cpu_share, shares, args.hot_connections
    )
    time.sleep(1)  # requests in flight when wrk stopped finish (commit) on the server
    answered = dict(line.split(" ", 1) for line in out.read_text().splitlines() if line)
    refused = int(values.get("insufficient", 0))
    check = asyncio.run(
        check_hot(app_url, fixture, answered, refused, "hot", Decimal(HOT_INITIAL_STOCK))
    )
    ping, _ = split_ping(statements)
    return Report(
        within=within,
        across=across,
        pgbench=pgbench,
        pgbench_statements=bench.statement_ms,
        hot=hot,
        hot_check=check,
        script_shapes=shapes,
        script_match=same,
        http_ping=ping_round_trips(ping),
        script_statements=len(script_statements(script)),
    )


def server_environment(database_url: str, owner_url: str, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QM_")}
    env.update(
        QM_DATABASE_URL=database_url,
        QM_DATABASE_OWNER_URL=owner_url,
        QM_REDIS_URL=redis_url,
        QM_SECRET_KEY="bench-secret-key-that-is-long-enough-0123456789",
        QM_LOG_LEVEL="WARNING",
        QM_DATABASE_POOL_SIZE="16",
        # Long enough for the whole run (the default 15 minutes may not be, on a slow VM).
        QM_ACCESS_TOKEN_TTL_SECONDS="86400",
    )
    return env


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--products", type=int, default=1_000)
    parser.add_argument("--seconds", type=int, default=30, help="of each measured run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds before HTTP and pgbench")
    parser.add_argument("--connections", type=int, default=16, help="HTTP and pgbench")
    parser.add_argument(
        "--rounds", type=int, default=2, help="interleaved app/raw runs of each scenario"
    )
    parser.add_argument("--hot-connections", type=int, default=32)
    parser.add_argument(
        "--issue-share", type=float, default=0.6, help="hot SKU: share of issues (vs receipts)"
    )
    parser.add_argument(
        "--show-sql", action="store_true", help="print the captured SQL and the pgbench script"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="sample the server with py-spy during the HTTP run; folded stacks to this file "
        "(slows the server: not for --record)",
    )
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    if args.profile and args.record:
        parser.error("--profile slows the server; do not record a profiled run")
    for tool in ("wrk", "pgbench", "taskset"):
        if shutil.which(tool) is None:
            sys.exit(
                f"{tool} is not installed (Debian/Ubuntu: apt-get install wrk postgresql-client)"
            )
    run(args)


def run(args: argparse.Namespace) -> None:
    with bench_temp_dir() as tmp_name:
        tmp = Path(tmp_name)
        services = EmbeddedServices(tmp / "data")
        with services as urls:
            migrate.upgrade(
                urls.database_owner_url,
                app_role=migrate.application_role(urls.database_url, urls.database_owner_url),
            )
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            env = server_environment(urls.database_url, urls.database_owner_url, urls.redis_url)
            server = start_server(env, port, tenant_id="pending")
            try:
                fixture = setup(base, urls.database_url, args.products)
            finally:
                stop_server(server)
            # Again, now that the raw endpoint's tenant exists.
            server = start_server(env, port, tenant_id=fixture.tenant_id, user_id=fixture.user_id)
            try:
                report = benchmark(args, tmp, services, urls, base, server.pid, fixture)
            finally:
                stop_server(server)
    report.show()
    if args.record:
        console.print(f"recorded in {append_record(report.markdown(args))}")


if __name__ == "__main__":
    main()
