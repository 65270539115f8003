"""Product search (``q``) under row-level security, as the application role (issue 4).

Seeds one tenant with ``--products`` products (names like the catalog read benchmark's:
"Screw 12345 drill", SKU-0012345, barcode 4000000012345) plus a few with non-ASCII names,
and a second tenant with the same names (a fifth as many), by INSERTs as the application
role in each tenant, so the search triggers index them as they would any write. Then, for
each kind of term, it runs the repository's own code (``catalog.repository.products_page``,
50 per page, sorted by SKU unless said otherwise) in a transaction scoped to the first
tenant and reports:

- the strategy chosen: candidates (products holding every rare key: 3-character grams,
  or a 1-2 character prefix), none ("no match"), or the LIKE alone because every key is
  common (the LIKE then filters while walking the sort order);
- the repository call's wall time over ``--runs`` runs (p50/p95, both round trips), and
  the p95 of what the endpoint does after authentication (service call with its own
  transaction, 50 items, and the page's JSON);
- EXPLAIN (ANALYZE, BUFFERS) of the statements it sent, as the application role;
- for comparison, the LIKE-only query (what every search ran before migration 0008).

Usage: uv run python bench/search_explain.py [--products 100000] [--runs 20] [--plans]
       [--record] [--data-dir DIR (kept, reused on the next run)]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from common import bench_temp_dir
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.catalog import repository
from quartermaster.catalog.models import Product
from quartermaster.catalog.repository.products import _product_conditions as product_conditions
from quartermaster.catalog.schemas import ProductSort, SortOrder
from quartermaster.catalog.service import products as product_service
from quartermaster.core import migrate
from quartermaster.core.db import Database
from quartermaster.core.pagination import PageParams
from quartermaster.identity.public import Principal, Role
from quartermaster.runtime import EmbeddedServices

ROOT = Path(__file__).resolve().parent.parent
console = Console(width=160)
WORDS = ["drill", "screw", "hammer", "saw", "bolt", "nut", "washer", "cable", "pipe", "valve"]
TENANT = uuid.UUID("00000000-0000-7000-8000-00000000000a")
OTHER_TENANT = uuid.UUID("00000000-0000-7000-8000-00000000000b")
UNICODE_NAMES = [
    "Schraube Größe M8",
    "Dichtring, ölbeständig",
    "Spannstift Ø 4 mm",
    "Straßenschild",
]


@dataclass(frozen=True)
class Case:
    label: str
    q: str
    sort: str = "sku"
    descending: bool = False


CASES = [
    Case("rare number (name, SKU, barcode)", "54321"),
    Case("rare, whole SKU", "SKU-0054321"),
    Case("SKU prefix, 100 matches", "SKU-00123"),
    Case("whole barcode", "4000000054321"),
    Case("common word (19 %)", "screw"),
    Case("common word, mixed case", "ScReW"),
    Case("common word, by name desc", "drill", sort="name", descending=True),
    Case("rare number, by updated_at", "54321", sort="updated_at"),
    Case("common grams, 1 % match", "9 drill"),
    Case("unicode, mixed case", "GRÖßE"),
    Case("2 chars, common", "dr"),
    Case("2 chars, rare", "öl"),
    Case("1 char, common", "7"),
    Case("1 char, rare", "ß"),
    Case("no match", "nothing-like-this"),
]


@dataclass
class Measured:
    case: Case
    strategy: str
    found: int
    times_ms: list[float]
    service_ms: list[float]
    plans: list[tuple[float, list[str]]] = field(default_factory=list)
    like_only_ms: float = 0.0
    like_only_plan: list[str] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        return percentile(self.times_ms, 0.95)

    @property
    def service_p95(self) -> float:
        return percentile(self.service_ms, 0.95)

    @property
    def explained_ms(self) -> float:
        return sum(ms for ms, _ in self.plans)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def seed(app_url: str, tenant_id: uuid.UUID, count: int, label: str) -> float:
    """``count`` products in a new tenant, inserted set-wise as the app role (the search
    triggers run as for any write); returns the seconds the inserts took."""
    connection = await asyncpg.connect(app_url)
    try:
        async with connection.transaction():
            await connection.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant_id))
            await connection.execute(
                "INSERT INTO tenants (id, name, slug) VALUES ($1, $2, $2)", tenant_id, label
            )
            await connection.execute(
                "INSERT INTO units (id, tenant_id, code, name, decimals) "
                "VALUES (gen_random_uuid(), $1, 'pcs', 'Pieces', 0)",
                tenant_id,
            )
            await connection.executemany(
                "INSERT INTO products (id, tenant_id, sku, name, unit_code) "
                "VALUES (gen_random_uuid(), $1, $2, $3, 'pcs')",
                [(tenant_id, f"U-{i}", name) for i, name in enumerate(UNICODE_NAMES)],
            )
        started = time.perf_counter()
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task(f"seeding {count:,} products ({label})", total=count)
            step = 10_000
            for start in range(1, count + 1, step):
                end = min(start + step - 1, count)
                async with connection.transaction():
                    await connection.execute(
                        "SELECT set_config('app.tenant_id', $1, true)", str(tenant_id)
                    )
                    await connection.execute(
                        """
                        INSERT INTO products (id, tenant_id, sku, name, unit_code, barcode,
                                              updated_at)
                        SELECT gen_random_uuid(), $1::uuid, 'SKU-' || lpad(g::text, 7, '0'),
                               initcap(($4::text[])[1 + g % 10]) || ' ' || g || ' '
                                 || ($4::text[])[1 + (g / 10) % 10],
                               'pcs', (4000000000000 + g)::text,
                               now() - make_interval(secs => g)
                        FROM generate_series($2::int, $3::int) AS g
                        """,
                        tenant_id,
                        start,
                        end,
                        WORDS,
                    )
                progress.update(task, completed=end)
        return time.perf_counter() - started
    finally:
        await connection.close()


async def vacuum(owner_url: str) -> None:
    connection = await asyncpg.connect(owner_url)
    try:
        await connection.execute("VACUUM ANALYZE products")
        await connection.execute("VACUUM ANALYZE product_search_grams")
    finally:
        await connection.close()


async def tenant_exists(app_url: str) -> bool:
    connection = await asyncpg.connect(app_url)
    try:
        async with connection.transaction():
            await connection.execute("SELECT set_config('app.tenant_id', $1, true)", str(TENANT))
            return bool(await connection.fetchval("SELECT count(*) FROM products"))
    finally:
        await connection.close()


class Recorder:
    """The statements (and parameters) the repository sends, as the driver receives them."""

    def __init__(self, database: Database) -> None:
        self.statements: list[tuple[str, Any]] = []
        self.enabled = False
        event.listen(database.engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, conn: Any, cursor: Any, statement: str, parameters: Any, *rest: Any) -> None:
        if self.enabled and not statement.lstrip().upper().startswith(("SELECT SET_CONFIG",)):
            self.statements.append((statement, parameters))

    @contextmanager
    def recording(self) -> Iterator[list[tuple[str, Any]]]:
        self.statements = []
        self.enabled = True
        try:
            yield self.statements
        finally:
            self.enabled = False


async def explain(
    session: AsyncSession, statement: str, parameters: Any
) -> tuple[float, list[str]]:
    connection = await session.connection()
    result = await connection.exec_driver_sql(
        "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, parameters
    )
    lines = [row[0] for row in result]
    total = next(
        float(line.split(":")[1].strip().split()[0])
        for line in lines
        if line.startswith("Execution Time")
    )
    return total, lines


def strategy(search: repository.Search) -> str:
    if search.candidates is None:
        return "LIKE only (every key common)"
    if not search.candidates:
        return "no candidate: no match"
    return f"{len(search.candidates)} candidates"


async def measure(database: Database, recorder: Recorder, case: Case, runs: int) -> Measured:
    where = repository.ProductFilter(q=case.q)

    async def page(session: AsyncSession) -> list[Product]:
        return await repository.products_page(
            session,
            TENANT,
            where,
            sort=case.sort,
            descending=case.descending,
            limit=51,
            after=None,
        )

    times: list[float] = []
    for _ in range(runs):
        async with database.transaction(TENANT) as session:
            started = time.perf_counter()
            await page(session)
            times.append((time.perf_counter() - started) * 1000)
    # What the endpoint does past authentication: the service and the JSON of the page.
    principal = Principal("user", uuid.UUID(int=1), TENANT, Role.VIEWER, "bench")
    service_times: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        async with database.transaction(TENANT) as session:
            listed = await product_service.list_products(
                session,
                principal,
                PageParams(limit=50, cursor=None),
                q=case.q,
                category_id=None,
                is_active=None,
                sort=ProductSort(case.sort),
                order=SortOrder.DESC if case.descending else SortOrder.ASC,
            )
        listed.model_dump_json()
        service_times.append((time.perf_counter() - started) * 1000)
    async with database.transaction(TENANT) as session:
        search = await repository.plan_search(session, TENANT, case.q)
        with recorder.recording() as statements:
            found = len(await page(session))
        plans = [await explain(session, sql, params) for sql, params in statements]
        # The query every search ran before the postings: the exact LIKE alone.
        key = repository.SORT_COLUMNS[case.sort]
        order = (key.desc(), Product.id.desc()) if case.descending else (key, Product.id)
        like_only = (
            select(Product)
            .where(*product_conditions(TENANT, where, repository.Search(search.needle)))
            .order_by(*order)
            .limit(51)
        )
        with recorder.recording() as statements:
            await session.execute(like_only)
        like_ms, like_plan = await explain(session, *statements[0])
    return Measured(case, strategy(search), found, times, service_times, plans, like_ms, like_plan)


def summarize(plan: list[str]) -> list[str]:
    """The plan's node lines and conditions, without buffers and planning noise."""
    keep = ("->", "Limit", "Index Cond", "Filter", "Rows Removed", "Execution Time", "Sort Key")
    skip = ("One-Time Filter",)
    return [
        line if len(line) <= 200 else line[:197] + "..."
        for line in plan
        if line.strip().startswith(keep) or any(k in line for k in keep[:1])
        if not any(s in line for s in skip)
    ]


async def run(args: argparse.Namespace, urls: Any) -> tuple[list[Measured], float | None]:
    seconds = None
    if not await tenant_exists(urls.database_url):
        seconds = await seed(urls.database_url, TENANT, args.products, "search-bench")
        await seed(urls.database_url, OTHER_TENANT, args.products // 5, "search-bench-other")
        await vacuum(urls.database_owner_url)
    database = Database(urls.database_url, pool_size=1, max_overflow=0)
    recorder = Recorder(database)
    results = []
    try:
        for case in CASES:
            results.append(await measure(database, recorder, case, args.runs))
            console.print(f"  measured {case.label!r}")
    finally:
        await database.dispose()
    return results, seconds


def report(args: argparse.Namespace, results: list[Measured], seed_seconds: float | None) -> None:
    table = Table(title=f"Product search as the app role ({args.products:,} products)")
    for column in (
        "case", "q", "strategy", "rows", "repo p50", "repo p95", "service p95", "EXPLAIN ms",
        "LIKE-only ms",
    ):  # fmt: skip
        table.add_column(column)
    for r in results:
        table.add_row(
            r.case.label, repr(r.case.q), r.strategy, str(r.found), f"{r.p50:.1f}",
            f"{r.p95:.1f}", f"{r.service_p95:.1f}", f"{r.explained_ms:.2f}",
            f"{r.like_only_ms:.1f}",
        )  # fmt: skip
    console.print(table)
    if seed_seconds is not None:
        console.print(
            f"seeding {args.products:,} products with the search triggers: {seed_seconds:.1f} s "
            f"({seed_seconds / args.products * 1e6:.0f} µs per product)"
        )
    if args.plans:
        for r in results:
            console.rule(f"{r.case.label}: {r.case.q!r} ({r.strategy})")
            for ms, plan in r.plans:
                print(f"statement ({ms:.2f} ms)", *summarize(plan), sep="\n")
            print(f"LIKE only ({r.like_only_ms:.2f} ms)", *summarize(r.like_only_plan), sep="\n")
    if args.record:
        record(args, results, seed_seconds)


def record(args: argparse.Namespace, results: list[Measured], seed_seconds: float | None) -> None:
    machine = (
        f"{platform.node()} ({os.cpu_count()} cores, {platform.machine()}, "
        f"Python {platform.python_version()})"
    )
    lines = [
        "",
        f"### Product search as the app role — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {machine}; PostgreSQL 18 (embedded). Command: "
        f"`uv run python bench/search_explain.py --products {args.products} "
        f"--runs {args.runs} --record`. One tenant of {args.products:,} products, another "
        f"of {args.products // 5:,}; `products_page` (limit 51) in a transaction of the first.",
        "",
        "| case | q | strategy | rows | repo p50 ms | repo p95 ms | service p95 ms "
        "| EXPLAIN ms | LIKE-only ms |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        lines.append(
            f"| {r.case.label} | `{r.case.q}` | {r.strategy} | {r.found} | {r.p50:.1f} | "
            f"{r.p95:.1f} | {r.service_p95:.1f} | {r.explained_ms:.2f} | {r.like_only_ms:.1f} |"
        )
    lines.append("")
    if seed_seconds is not None:
        lines.append(
            f"Seeding with the search triggers: {seed_seconds / args.products * 1e6:.0f} µs "
            "per product (set-wise inserts of 10,000)."
        )
        lines.append("")
    path = ROOT / "docs" / "benchmarks.md"
    with path.open("a") as handle:
        handle.write("\n".join(lines))
    console.print(f"recorded in {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--plans", action="store_true", help="print the plans")
    parser.add_argument("--record", action="store_true")
    parser.add_argument("--data-dir", type=Path, help="keep the database here and reuse it")
    args = parser.parse_args()

    with bench_temp_dir("qm-search-") as tmp:
        data_dir = args.data_dir or Path(tmp) / "data"
        services = EmbeddedServices(data_dir, redis=False)
        urls = services.start()
        try:
            migrate.upgrade(
                urls.database_owner_url,
                app_role=migrate.application_role(urls.database_url, urls.database_owner_url),
            )
            results, seed_seconds = asyncio.run(run(args, urls))
        finally:
            services.stop()
    report(args, results, seed_seconds)


if __name__ == "__main__":
    main()
