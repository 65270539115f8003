"""Search benchmark (issue 15): one tenant with 100k products, 100k tickets and 10k
articles (``--scale`` multiplies the counts), searched through HTTP.

1. **Seed**: documents generated from a seed (a Zipf-distributed vocabulary of real and
   made-up words, SKUs, barcodes, ticket numbers) go in set-wise through the seam
   (``search.public.index_documents``, 1,000 per statement pair), with a progress bar.
2. **Latency, one client**: ``GET /api/v1/search`` for a mix of queries (common and rare
   words, two words, prefixes being typed, typos, SKUs, ticket numbers with and without
   the dash, phrases, exclusions), each ``--rounds`` times in turn; p50/p95 per kind.
3. **Throughput, 16 clients**: wrk (``bench/lua/search.lua``) cycling through the same
   mix on 16 connections for ``--seconds``.
4. **Relevance**: the suite of tests/search/relevance.py in a tenant of its own, through
   the same server: the share of cases whose expected hit is at rank 1.

PostgreSQL and Redis are embedded in a temporary directory. The server is one Uvicorn
worker pinned to CPU 0 (``taskset``); the load generator runs on CPU 1.
Usage: uv run python bench/search.py [--scale 0.1] [--seconds 15] [--rounds 20] [--record]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from quartermaster.cli_search import tenants_named
from quartermaster.core import migrate
from quartermaster.core.db import Database
from quartermaster.core.security import PasswordHasher
from quartermaster.identity.public import create_account
from quartermaster.runtime import EmbeddedServices
from quartermaster.runtime.layout import DataDirLayout
from quartermaster.runtime.pg_server import read_postmaster
from quartermaster.search.public import SearchDocument, index_documents

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import append_record, bench_temp_dir, free_port, machine, wrk
from tests.search.relevance import CASES, CORPUS, ranked_first

console = Console()
ROOT = Path(__file__).resolve().parent.parent
LUA = Path(__file__).resolve().parent / "lua" / "search.lua"
SECRET = "bench-secret-key-that-is-long-enough-0123456789"  # noqa: S105 - throwaway
PASSWORD = "bench-password-1"  # noqa: S105 - throwaway
EMAIL = "bench-owner@example.org"
RELEVANCE_EMAIL = "bench-relevance@example.org"
BATCH = 1_000

NOUNS = [
    "bolt",
    "nut",
    "washer",
    "screw",
    "anchor",
    "bracket",
    "hinge",
    "hook",
    "clamp",
    "pipe",
    "valve",
    "fitting",
    "gasket",
    "cable",
    "plug",
    "socket",
    "switch",
    "fuse",
    "lamp",
    "battery",
    "charger",
    "drill",
    "blade",
    "saw",
    "hammer",
    "wrench",
    "glove",
    "helmet",
    "mask",
    "boot",
    "jacket",
    "tape",
    "label",
    "box",
    "bag",
    "pallet",
    "shelf",
    "bin",
    "crate",
    "widget",
    "gadget",
    "sensor",
    "pump",
    "motor",
    "filter",
    "hose",
    "nozzle",
    "spring",
    "bearing",
    "gear",
    "belt",
    "chain",
    "wheel",
]
MATERIALS = [
    "steel",
    "zinc",
    "brass",
    "copper",
    "nylon",
    "rubber",
    "plastic",
    "aluminium",
    "stainless",
    "galvanised",
]
ADJECTIVES = [
    "heavy",
    "light",
    "small",
    "large",
    "blue",
    "red",
    "green",
    "black",
    "white",
    "yellow",
    "industrial",
    "compact",
    "cordless",
    "wireless",
    "waterproof",
    "reinforced",
    "flexible",
    "threaded",
    "hexagonal",
    "round",
    "flat",
]
COMMON = [
    "the",
    "a",
    "and",
    "for",
    "with",
    "of",
    "to",
    "in",
    "on",
    "is",
    "it",
    "not",
    "this",
    "that",
    "order",
    "customer",
    "delivery",
    "replacement",
    "damaged",
    "broken",
    "missing",
    "wrong",
    "late",
    "invoice",
    "refund",
    "return",
    "warranty",
    "shipping",
    "address",
    "package",
    "label",
    "printer",
    "scanner",
    "login",
    "password",
    "account",
    "problem",
    "please",
    "help",
    "thanks",
    "urgent",
    "again",
    "since",
    "yesterday",
    "today",
    "week",
    "still",
    "error",
    "working",
]
SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ra",
    "te",
    "su",
    "vo",
    "ne",
    "pi",
    "da",
    "ro",
    "ki",
    "zu",
    "fa",
    "me",
    "lu",
    "bo",
    "ti",
    "sa",
    "gu",
]


def _made_up(rng: random.Random, count: int) -> list[str]:
    words = set()
    while len(words) < count:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


class Generator:
    """Deterministic documents: Zipf-distributed words over a vocabulary of ~20k."""

    def __init__(self, seed: int = 15) -> None:
        self.rng = random.Random(seed)
        tail = _made_up(self.rng, 20_000)
        self.vocabulary = COMMON + NOUNS + MATERIALS + ADJECTIVES + tail
        self.weights = [1 / (rank + 1) for rank in range(len(self.vocabulary))]

    def words(self, n: int) -> str:
        return " ".join(self.rng.choices(self.vocabulary, self.weights, k=n))

    def product(self, n: int) -> SearchDocument:
        rng = self.rng
        noun, material = rng.choice(NOUNS), rng.choice(MATERIALS)
        name = f"{rng.choice(ADJECTIVES).title()} {material} {noun} M{rng.randint(3, 24)}"
        sku = f"{noun[:3].upper()}-{material[:2].upper()}-M{n % 97}-{n:06d}"
        barcode = f"{4000000000000 + n * 7919:013d}"
        id_ = uuid.UUID(int=(1 << 120) + n)
        return SearchDocument(
            type="product",
            id=id_,
            title=name,
            identifiers=[sku, barcode],
            body=f"{name}. {self.words(15)}",
            url=f"/products/{id_}",
            permission="catalog:read",
        )

    def ticket(self, n: int) -> SearchDocument:
        rng = self.rng
        subject = f"{rng.choice(NOUNS).title()} {rng.choice(COMMON[20:])} {self.words(3)}"
        id_ = uuid.UUID(int=(2 << 120) + n)
        return SearchDocument(
            type="ticket",
            id=id_,
            title=subject,
            identifiers=[f"QM-{n}", str(n)],
            body=self.words(60),
            url=f"/tickets/{id_}",
            permission="tickets:read",
        )

    def article(self, n: int) -> SearchDocument:
        rng = self.rng
        title = f"How to {rng.choice(('fit', 'order', 'return', 'clean', 'store'))} " + (
            f"{rng.choice(MATERIALS)} {rng.choice(NOUNS)}s {self.words(2)}"
        )
        id_ = uuid.UUID(int=(3 << 120) + n)
        return SearchDocument(
            type="article",
            id=id_,
            title=title,
            identifiers=[f"kb-{n}"],
            body=self.words(300),
            url=f"/kb/{id_}",
            permission="knowledge:read" if n % 5 else "knowledge:write",
            public=n % 3 == 0,
        )


async def _account(app_url: str, owner_url: str, email: str, organization: str) -> uuid.UUID:
    database = Database(app_url, pool_size=1, max_overflow=0)
    owner = Database(owner_url, pool_size=1, max_overflow=0)
    try:
        created = await create_account(
            database,
            PasswordHasher(time_cost=1, memory_kib=1024),
            email=email,
            password=PASSWORD,
            full_name="Bench Owner",
            organization=organization,
        )
        (tenant,) = await tenants_named(owner, [created.tenant_slug])
        return tenant[0]
    finally:
        await database.dispose()
        await owner.dispose()


async def _seed(app_url: str, tenant_id: uuid.UUID, counts: dict[str, int]) -> float:
    generator = Generator()
    database = Database(app_url, pool_size=1, max_overflow=0)
    started = time.perf_counter()
    makers = {
        "product": generator.product,
        "ticket": generator.ticket,
        "article": generator.article,
    }
    try:
        with Progress(
            TextColumn("seeding {task.description:<9}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            for kind, total in counts.items():
                task = progress.add_task(kind, total=total)
                for start in range(0, total, BATCH):
                    batch = [makers[kind](n) for n in range(start, min(total, start + BATCH))]
                    async with database.transaction(tenant_id) as session:
                        await index_documents(session, tenant_id, batch)
                    progress.update(task, advance=len(batch))
        return time.perf_counter() - started
    finally:
        await database.dispose()


async def _vacuum(owner_url: str) -> None:
    """VACUUM ANALYZE the index tables, as autovacuum would soon after a bulk load (the
    postings are read index-only once the visibility map is set)."""
    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(owner_url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(url)
    try:
        for table in (
            "search_documents",
            "search_postings",
            "search_words",
            "search_word_variants",
        ):
            await connection.execute(f"VACUUM ANALYZE {table}")
    finally:
        await connection.close()


async def _relevance_corpus(app_url: str, tenant_id: uuid.UUID) -> None:
    database = Database(app_url, pool_size=1, max_overflow=0)
    try:
        async with database.transaction(tenant_id) as session:
            await index_documents(session, tenant_id, CORPUS)
    finally:
        await database.dispose()


def _queries(counts: dict[str, int]) -> dict[str, list[str]]:
    """The query mix, by kind; identifiers point at documents that exist at any scale."""
    products, tickets = counts["product"], counts["ticket"]
    sku_n = products // 2
    generator = Generator()
    for n in range(sku_n):  # the same draws as the seeding, so this SKU exists
        generator.product(n)
    sku = generator.product(sku_n).identifiers[0]
    return {
        "common word": ["bolt", "delivery", "steel", "widget"],
        "two words": ["steel bolt", "damaged order", "cordless drill", "zinc washer"],
        "prefix (typing)": ["galv", "bra", "waterpr", "replacem"],
        "typo": ["galvanisd", "washr", "delivry", "warrenty"],
        "SKU / barcode": [sku.lower(), sku, f"{4000000000000 + (products // 3) * 7919:013d}"],
        "ticket number": [f"QM-{tickets // 2}", f"QM{tickets // 3}", str(tickets // 4)],
        "phrase, exclusion": ['"steel bolt"', "bolt -zinc", "printer OR scanner"],
    }


def _login(base: str, email: str) -> str:
    response = httpx.post(
        f"{base}/api/v1/auth/token", data={"username": email, "password": PASSWORD}, timeout=30
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def _latency(base: str, token: str, mix: dict[str, list[str]], rounds: int) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    timings: dict[str, list[float]] = {kind: [] for kind in mix}
    total = rounds * sum(len(q) for q in mix.values())
    with (
        httpx.Client(base_url=base, headers=headers, timeout=30) as client,
        Progress(
            TextColumn("1 client  "), BarColumn(), MofNCompleteColumn(), console=console
        ) as progress,
    ):
        task = progress.add_task("latency", total=total)
        for queries in mix.values():  # warm-up: prepared statements, caches
            for query in queries:
                client.get("/api/v1/search", params={"q": query})
        for _ in range(rounds):
            for kind, queries in mix.items():
                for query in queries:
                    started = time.perf_counter()
                    response = client.get("/api/v1/search", params={"q": query, "limit": 20})
                    elapsed = (time.perf_counter() - started) * 1000
                    if response.status_code != 200:
                        raise SystemExit(f"{query!r}: {response.status_code} {response.text}")
                    timings[kind].append(elapsed)
                    progress.update(task, advance=1)
    every = [t for values in timings.values() for t in values]
    # The same client and server on a route that does no search (auth, one transaction):
    # what the machine and the framework cost each request, beside the searches.
    baseline: list[float] = []
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for _ in range(rounds * 10):
            started = time.perf_counter()
            client.get("/api/v1/search/settings").raise_for_status()
            baseline.append((time.perf_counter() - started) * 1000)
    result: dict[str, Any] = {
        kind: (statistics.median(values), _p95(values)) for kind, values in timings.items()
    }
    result["all"] = (statistics.median(every), _p95(every))
    result["baseline: GET /search/settings"] = (statistics.median(baseline), _p95(baseline))
    return result


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def _relevance(base: str, token: str) -> tuple[int, int]:
    headers = {"Authorization": f"Bearer {token}"}
    hits = 0
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for case in CASES:
            if case.permissions != CASES[0].permissions:
                continue  # the owner reads everything: permission cases need other readers
            body = client.get("/api/v1/search", params={"q": case.query, "limit": 50}).json()
            hits += ranked_first(case, [hit["title"] for hit in body["items"]])
    total = sum(1 for case in CASES if case.permissions == CASES[0].permissions)
    return hits, total


def _cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def _postgres_cpu_seconds(data_dir: Path) -> float:
    """CPU used so far by the PostgreSQL server of ``data_dir``: the postmaster, its live
    processes (backends, walwriter, autovacuum, …) and those already gone (reaped)."""
    postmaster = read_postmaster(DataDirLayout.of(data_dir).pgdata)
    if postmaster is None:
        raise RuntimeError("the embedded PostgreSQL is not running")
    process = psutil.Process(postmaster.pid)
    times = process.cpu_times()
    total = times.user + times.system + times.children_user + times.children_system
    for child in process.children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):  # ended: in children_* next time
            total += _cpu_seconds(child)
    return total


def _start(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            "taskset", "-c", "0", sys.executable, "-m", "uvicorn",
            "quartermaster.api:create_app_from_environment", "--factory",
            "--port", str(port), "--loop", "uvloop", "--http", "httptools",
            "--no-access-log", "--log-level", "warning",
        ],
        env=env,
        cwd=ROOT,
    )  # fmt: skip
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    counts = {
        "product": int(100_000 * args.scale),
        "ticket": int(100_000 * args.scale),
        "article": int(10_000 * args.scale),
    }
    load_at_start = os.getloadavg()[0]
    with bench_temp_dir("qm-bench-search-") as tmp, EmbeddedServices(Path(tmp) / "data") as urls:
        migrate.upgrade(
            urls.database_owner_url,
            app_role=migrate.application_role(urls.database_url, urls.database_owner_url),
        )
        tenant_id = asyncio.run(
            _account(urls.database_url, urls.database_owner_url, EMAIL, "Bench")
        )
        relevance_tenant = asyncio.run(
            _account(urls.database_url, urls.database_owner_url, RELEVANCE_EMAIL, "Relevance")
        )
        seconds = asyncio.run(_seed(urls.database_url, tenant_id, counts))
        asyncio.run(_relevance_corpus(urls.database_url, relevance_tenant))
        with console.status("VACUUM ANALYZE …"):
            asyncio.run(_vacuum(urls.database_owner_url))
        mix = _queries(counts)
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("QM_")}
        env.update(
            QM_DATABASE_URL=urls.database_url,
            QM_DATABASE_OWNER_URL=urls.database_owner_url,
            QM_REDIS_URL=urls.redis_url,
            QM_SECRET_KEY=SECRET,
            QM_DATA_DIR=str(Path(tmp) / "data"),
            QM_LOG_LEVEL="WARNING",
            QM_DATABASE_POOL_SIZE=str(args.connections + 4),
        )
        server = _start(env, port)
        base = f"http://127.0.0.1:{port}"
        try:
            token = _login(base, EMAIL)
            latency = _latency(base, token, mix, args.rounds)
            queries = [q for values in mix.values() for q in values]
            # CPU per search under load: the server process and every PostgreSQL process
            # (the machine may be busy; these do not depend on what else runs).
            server_process = psutil.Process(server.pid)
            server_cpu = _cpu_seconds(server_process)
            postgres_cpu = _postgres_cpu_seconds(Path(tmp) / "data")
            throughput, _ = wrk(
                f"{base}/api/v1/search",
                seconds=round(args.seconds),
                script=LUA,
                env={**os.environ, "WRK_QUERIES": "\n".join(queries)},
                connections=args.connections,
                threads=2,
                headers={"Authorization": f"Bearer {token}"},
            )
            searches = max(1.0, throughput["requests"])
            server_ms = (_cpu_seconds(server_process) - server_cpu) * 1000 / searches
            postgres_used = _postgres_cpu_seconds(Path(tmp) / "data") - postgres_cpu
            postgres_ms = postgres_used * 1000 / searches
            relevance_hits, relevance_total = _relevance(base, _login(base, RELEVANCE_EMAIL))
        finally:
            server.terminate()
            server.wait(timeout=60)

    size = ", ".join(f"{n:,} {kind}s" for kind, n in counts.items())
    table = Table(title=f"Search over {size}")
    table.add_column("measure")
    table.add_column("p50 ms", justify="right")
    table.add_column("p95 ms", justify="right")
    for kind, (p50, p95) in latency.items():
        table.add_row(f"1 client: {kind}", f"{p50:.1f}", f"{p95:.1f}")
    console.print(table)
    rps = throughput["ok_rps"]
    console.print(
        f"{args.connections} clients: {rps:,.0f} searches/s (p95 {throughput['p95']:.1f} ms, "
        f"non-2xx {throughput['non2xx']:.0f}); seeding {seconds:,.0f} s; relevance: "
        f"{relevance_hits}/{relevance_total} cases with the expected hit at rank 1"
    )
    console.print(
        f"CPU per search under load: server {server_ms:.2f} ms, PostgreSQL {postgres_ms:.2f} ms "
        f"(sum {server_ms + postgres_ms:.2f} ms; load average at start {load_at_start:.1f})"
    )
    p95_all = latency["all"][1]
    verdict = (
        f"p95 {'met' if p95_all <= 20 else 'NOT met'} (target ≤ 20 ms), throughput "
        f"{'met' if rps >= 300 else 'NOT met'} (target ≥ 300/s)"
    )
    console.print(verdict)
    if args.record:
        lines = [
            "",
            f"### Search — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            "",
            f"Machine: {machine()}, shared with other work during the run (load average "
            f"(1 min) at start: {load_at_start:.1f}). One tenant with {size}; embedded "
            f"PostgreSQL and Redis, one Uvicorn worker on CPU 0, the client on CPU 1. "
            f"Command: `uv run python bench/search.py --scale {args.scale:g} --seconds "
            f"{args.seconds:g} --rounds {args.rounds} --record`. Seeding through the seam: "
            f"{seconds:,.0f} s.",
            "",
            "| 1 client, query kind | p50 ms | p95 ms |",
            "| --- | --- | --- |",
            *[f"| {kind} | {p50:.1f} | {p95:.1f} |" for kind, (p50, p95) in latency.items()],
            "",
            f"{args.connections} clients (wrk, the same mix): **{rps:,.0f} searches/s**, p95 "
            f"{throughput['p95']:.1f} ms; CPU per search: server {server_ms:.2f} ms, "
            f"PostgreSQL {postgres_ms:.2f} ms. Relevance suite (tests/search/relevance.py, its own "
            f"tenant, same server): **{relevance_hits}/{relevance_total}** cases with the "
            f"expected hit at rank 1. Targets: {verdict}.",
        ]
        console.print(f"recorded in {append_record(lines)}")


if __name__ == "__main__":
    main()
