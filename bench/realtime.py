"""Realtime benchmarks (issue 5, benchmarks 1 and 2): live fan-out and the outbox's cost.

1. **Fan-out latency**: ``--clients`` WebSocket clients (``websockets``, one asyncio
   process pinned to CPU 1, ``?token=``, no permessage-deflate) subscribed to
   ``inventory:updates`` in one tenant; ``--rate`` stock movements per second for
   ``--seconds`` through ``POST /api/v1/stock/movements`` (transfers of 1 unit, up to 8 in
   flight, httpx in the same process). The server is the real app, one Uvicorn worker pinned
   to CPU 0, with the outbox relay in-process (``QM_RUN_RELAY=true``).
   *Commit time* of a movement = ``time.time()`` right after its 201 arrives (its body's
   ``id`` is the batch id the event carries as ``data.batch_id``). That is an upper bound of
   the real commit time, so latency = receive - commit is *understated* by up to the
   response's flight time (well under 1 ms on loopback, more when the server's CPU is
   busy). The event's ``occurred_at`` is the transaction's start (``now()``), which would
   overstate it; it is not used. Completeness: every client must receive every movement
   answered 201. Baseline in the same run: raw Redis pub/sub, the same number of
   redis.asyncio subscribers (one connection each) in the same process, the same rate of
   messages of the same size carrying their publish time.
   Targets: p99 ≤ 3x raw p99 + 5 ms and ≤ 50 ms; 100 % delivered.
   **Relay lag** (commit → publish): one extra raw subscriber of ``qm:live`` in the same
   process gives the publish time of each event (lower bound, same understatement as
   above); the relay's own histogram ``qm_relay_lag_seconds`` (transaction start →
   publish, an upper bound; bucketed) is scraped from ``/metrics`` too. Target p99 ≤ 100 ms.
2. **Outbox cost**: movement commits/s with wrk (``bench/lua/ledger_transfers.lua``, the
   ledger benchmark's transfers, 16 connections) against the real server (relay in-process)
   and against the same server with ``core.events.emit`` replaced by a no-op
   (:func:`create_no_outbox_app`, a benchmark-only patch in this file), both up at once, runs
   in the order with, without, without, with. Target: with / without ≥ 0.85. The relay's
   lag histogram is scraped around the first "with" run too (relay lag at full write load).

PostgreSQL 18 (durable commits) and Redis are embedded in a temporary directory, unpinned.
Usage: uv run python bench/realtime.py [--clients 1000] [--rate 100] [--seconds 10]
       [--wrk-seconds 10] [--products 200] [--record]
Needs wrk and taskset.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from array import array
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
import psutil
from common import (
    GENERATOR_CPU,
    LUA,
    ROOT,
    SERVER_CPU,
    append_record,
    free_port,
    machine,
    stop_server,
    wrk,
)
from rich.console import Console
from rich.table import Table

console = Console()

TARGET_RATIO = 0.85
TARGET_P99_MS = 50.0
TARGET_LAG_MS = 100.0
RAW_CHANNEL = "bench:raw"
APP_FACTORY = "quartermaster.api:create_app_from_environment"
NO_OUTBOX_FACTORY = "bench.realtime:create_no_outbox_app"


# --- The benchmark-only server without the outbox write -----------------------------------


def create_no_outbox_app() -> Any:
    """The real app with the outbox write made a no-op: every module that did
    ``from quartermaster.core.events import emit`` gets an ``emit`` that writes nothing and
    returns a fresh id. Benchmark only (the "without" side of the outbox-cost ratio)."""
    from quartermaster.api import create_app_from_environment
    from quartermaster.core import events
    from quartermaster.core.ids import new_id

    app = create_app_from_environment()  # imports the modules' services
    real = events.emit

    async def no_emit(session: Any, tenant_id: Any, event_type: Any, payload: Any) -> uuid.UUID:
        return new_id()

    patched = []
    for name, module in list(sys.modules.items()):
        if name.startswith("quartermaster.") and getattr(module, "emit", None) is real:
            module.emit = no_emit  # type: ignore[attr-defined]
            patched.append(name)
    if "quartermaster.inventory.service.movements" not in patched:
        raise RuntimeError(f"the movement service's emit was not patched (patched: {patched})")
    return app


# --- Server --------------------------------------------------------------------------------


def start(env: dict[str, str], port: int, factory: str) -> subprocess.Popen[bytes]:
    """One Uvicorn worker pinned to CPU 0 (as common.start_server, with a chosen factory)."""
    proc = subprocess.Popen(
        [
            "taskset", "-c", SERVER_CPU, sys.executable, "-m", "uvicorn", factory, "--factory",
            "--port", str(port), "--loop", "uvloop", "--http", "httptools", "--no-access-log",
            "--log-level", "warning",
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
    raise RuntimeError(f"server {factory} did not start")


def relay_lag_buckets(base: str) -> dict[float, float]:
    """Cumulative counts of ``qm_relay_lag_seconds`` by upper bound (from /metrics)."""
    text = httpx.get(f"{base}/metrics", timeout=10).text
    buckets: dict[float, float] = {}
    for line in text.splitlines():
        if line.startswith("qm_relay_lag_seconds_bucket{"):
            le = line.split('le="', 1)[1].split('"', 1)[0]
            buckets[float("inf") if le == "+Inf" else float(le)] = float(line.rsplit(" ", 1)[1])
    return buckets


def bucket_quantile(before: dict[float, float], after: dict[float, float], q: float) -> str:
    """The upper bound of the bucket holding quantile q of the observations in between."""
    diffs = sorted((le, after.get(le, 0) - before.get(le, 0)) for le in after)
    total = diffs[-1][1] if diffs else 0
    if total <= 0:
        return "no events"
    for le, count in diffs:
        if count >= q * total:
            return "> 10 s" if le == float("inf") else f"≤ {le * 1000:g} ms"
    return "?"


# --- Measures ------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Fanout:
    clients: int
    sent: int
    statuses: dict[int, int]
    achieved_rate: float
    latencies_ms: list[float]
    complete_clients: int
    min_received: int
    duplicates: int
    relay_lag_ms: list[float]
    relay_hist_p99: str
    message_bytes: int
    client_cpu: float
    server_cpu: float


@dataclass
class Raw:
    subscribers: int
    maxclients: int
    sent: int
    latencies_ms: list[float]
    complete: int
    client_cpu: float


@dataclass
class Throughput:
    name: str
    commits_per_s: float
    p50: float
    p99: float
    non2xx: int
    errors: int
    generator_cpu: float
    server_cpu: float


@dataclass
class Report:
    fanout: Fanout
    raw: Raw
    with_outbox: Throughput
    without_outbox: Throughput
    load_relay_p99: str
    notes: list[str] = field(default_factory=list)

    @property
    def p99(self) -> float:
        return percentile(self.fanout.latencies_ms, 0.99)

    @property
    def raw_p99(self) -> float:
        return percentile(self.raw.latencies_ms, 0.99)

    @property
    def ratio(self) -> float:
        return self.with_outbox.commits_per_s / self.without_outbox.commits_per_s

    def checks(self) -> list[str]:
        f = self.fanout
        bound = 3 * self.raw_p99 + 5
        delivered = f.complete_clients == f.clients and f.sent > 0
        lag99 = percentile(f.relay_lag_ms, 0.99)
        return [
            f"fan-out p99 {self.p99:.1f} ms ≤ 3x raw p99 + 5 ms = {bound:.1f} ms: "
            + verdict(self.p99 <= bound),
            f"fan-out p99 {self.p99:.1f} ms ≤ {TARGET_P99_MS:.0f} ms: "
            + verdict(self.p99 <= TARGET_P99_MS),
            f"delivered: {f.complete_clients}/{f.clients} clients got all {f.sent} events "
            f"(fewest received by one client: {f.min_received}; duplicates {f.duplicates}): "
            + verdict(delivered),
            f"relay lag p99 (commit → publish, seen by a raw qm:live subscriber) {lag99:.1f} ms "
            f"≤ {TARGET_LAG_MS:.0f} ms: "
            + verdict(lag99 <= TARGET_LAG_MS)
            + f"; relay's histogram (tx start → publish) p99 {f.relay_hist_p99} during the "
            f"fan-out run, {self.load_relay_p99} during the wrk run with the outbox",
            f"outbox cost: with / without = {self.ratio:.2f} ≥ {TARGET_RATIO}: "
            + verdict(self.ratio >= TARGET_RATIO),
        ]

    def rows(self) -> list[list[str]]:
        f, r = self.fanout, self.raw
        lat, raw = f.latencies_ms, r.latencies_ms
        rows = [
            [
                f"WebSocket fan-out ({f.clients} clients, {f.achieved_rate:.0f} movements/s)",
                f"{percentile(lat, 0.5):.1f}",
                f"{percentile(lat, 0.99):.1f}",
                f"{max(lat) if lat else float('nan'):.1f}",
                f"{f.complete_clients}/{f.clients} complete, {len(lat):,} deliveries",
                f"client {f.client_cpu:.0%}, server {f.server_cpu:.0%}",
            ],
            [
                f"raw Redis pub/sub ({r.subscribers} subscribers, same rate, {f.message_bytes} B)",
                f"{percentile(raw, 0.5):.1f}",
                f"{percentile(raw, 0.99):.1f}",
                f"{max(raw) if raw else float('nan'):.1f}",
                f"{r.complete}/{r.subscribers} complete, {len(raw):,} deliveries",
                f"client {r.client_cpu:.0%}",
            ],
            [
                "relay lag: commit → qm:live (1 raw subscriber)",
                f"{percentile(f.relay_lag_ms, 0.5):.1f}",
                f"{percentile(f.relay_lag_ms, 0.99):.1f}",
                f"{max(f.relay_lag_ms) if f.relay_lag_ms else float('nan'):.1f}",
                f"{len(f.relay_lag_ms)}/{f.sent} events seen",
                "—",
            ],
        ]
        for t in (self.with_outbox, self.without_outbox):
            rows.append(
                [
                    f"{t.name}: {t.commits_per_s:.0f} commits/s",
                    f"{t.p50:.1f}",
                    f"{t.p99:.1f}",
                    "—",
                    f"non-2xx {t.non2xx}, errors {t.errors}",
                    f"wrk {t.generator_cpu:.0%}, server {t.server_cpu:.0%}",
                ]
            )
        return rows

    def show(self) -> None:
        table = Table(title="Realtime (issue 5, benchmarks 1 and 2)")
        for column in COLUMNS:
            table.add_column(column)
        for row in self.rows():
            table.add_row(*row)
        console.print(table)
        for line in self.checks() + self.notes:
            console.print(f"- {line}")

    def markdown(self, args: argparse.Namespace) -> list[str]:
        lines = [
            "",
            f"### Realtime fan-out and outbox cost — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            "",
            f"Machine: {machine()}; server (1 Uvicorn worker, relay in-process) pinned to CPU "
            f"{SERVER_CPU}; WebSocket clients, Redis subscribers, the movement driver and wrk "
            f"pinned to CPU {GENERATOR_CPU} (one asyncio process); PostgreSQL 18 (embedded, "
            "fsync on) and Redis unpinned. Command: `uv run python bench/realtime.py "
            f"--clients {args.clients} --rate {args.rate} --seconds {args.seconds} "
            f"--wrk-seconds {args.wrk_seconds} --products {args.products} --record`. "
            "Load average (1 min) at start: "
            f"{args.load_at_start:.1f}. Latency = client receive - commit, where commit = the "
            "moment the movement's 201 reached the driver (an upper bound of the commit, so "
            "latencies are understated by up to the response's flight time); milliseconds. "
            "Outbox cost: wrk -t2 -c16 transfers (`bench/lua/ledger_transfers.lua`), "
            f"{args.wrk_seconds} s runs in the order with, without, without, with (both servers "
            "up, each after a 2 s warm-up; commits/s over both runs, p50/p99 their mean), "
            "real app vs the same app with "
            "`emit` patched to a no-op (`bench.realtime:create_no_outbox_app`).",
            "",
            "| " + " | ".join(COLUMNS) + " |",
            "| " + " | ".join("---" for _ in COLUMNS) + " |",
            *("| " + " | ".join(row) + " |" for row in self.rows()),
            "",
            *(f"- {line}" for line in self.checks() + self.notes),
            "",
        ]
        return lines


COLUMNS = ("case", "p50 ms", "p99 ms", "max ms", "delivery", "CPU")


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**NOT met**"


# --- 1. Fan-out ----------------------------------------------------------------------------


def batch_id(message: str) -> str | None:
    """The ``data.batch_id`` of an event message, without parsing the JSON (the payload is
    jsonb's text: ``"batch_id": "…"``)."""
    at = message.find('"batch_id"')
    if at < 0:
        return None
    quote = message.find('"', at + 10)
    return message[quote + 1 : quote + 37]


class Deliveries:
    """Receive times by batch id (shared), and what each client saw (by batch index)."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.times: list[array[float]] = []
        self.message_bytes = 0

    def record(self, raw: str, now: float, seen: set[int]) -> bool:
        batch = batch_id(raw)
        if batch is None:
            return False
        i = self.index.get(batch)
        if i is None:
            i = self.index[batch] = len(self.times)
            self.times.append(array("d"))
            self.message_bytes = len(raw.encode())
        if i in seen:
            return True  # a repeat (at-least-once): counted by the caller
        seen.add(i)
        self.times[i].append(now)
        return False


async def open_clients(url: str, count: int) -> list[Any]:
    from websockets.asyncio.client import connect

    sockets: list[Any] = []
    gate = asyncio.Semaphore(50)

    async def one() -> None:
        async with gate:
            ws = await connect(
                url, compression=None, ping_interval=None, open_timeout=60, max_queue=None
            )
            await ws.send(json.dumps({"op": "subscribe", "channels": ["inventory:updates"]}))
            while True:
                reply = json.loads(await ws.recv())
                if reply.get("op") == "subscribed":
                    break
                if reply.get("op") == "error":
                    raise RuntimeError(f"subscribe refused: {reply}")
            sockets.append(ws)

    await asyncio.gather(*(one() for _ in range(count)))
    return sockets


async def fanout(args: argparse.Namespace, base: str, fixture: Any, redis_url: str) -> Fanout:
    from redis.asyncio import Redis

    from quartermaster.core.streams import LIVE_CHANNEL

    url = base.replace("http://", "ws://") + f"/api/v1/ws?token={fixture.token}"
    console.print(f"fan-out: opening {args.clients} WebSocket clients …")
    sockets = await open_clients(url, args.clients)
    deliveries = Deliveries()
    seen: list[set[int]] = [set() for _ in sockets]
    repeats = [0]

    async def listen(ws: Any, mine: set[int]) -> None:
        try:
            async for raw in ws:
                if deliveries.record(raw, time.time(), mine):
                    repeats[0] += 1
        except Exception:  # noqa: S110 - a closed socket ends the count; completeness shows it
            pass

    listeners = [asyncio.create_task(listen(ws, s)) for ws, s in zip(sockets, seen, strict=True)]

    # The relay's publish time: one raw subscriber of the live channel.
    redis = Redis.from_url(redis_url)
    live = redis.pubsub()
    await live.subscribe(LIVE_CHANNEL)
    published: dict[str, float] = {}

    async def watch_live() -> None:
        async for message in live.listen():
            if message["type"] != "message":
                continue
            now, batch = time.time(), batch_id(message["data"].decode())
            if batch is not None:
                published.setdefault(batch, now)

    watcher = asyncio.create_task(watch_live())

    commits: dict[str, float] = {}
    statuses: dict[int, int] = {}
    total = args.rate * args.seconds
    headers = {"Authorization": f"Bearer {fixture.token}"}
    locations, products = fixture.locations, fixture.products
    hist_before = relay_lag_buckets(base)
    me = psutil.Process()
    server = psutil.Process(args.server_pid)
    cpu0, scpu0, wall0 = sum(me.cpu_times()[:2]), sum(server.cpu_times()[:2]), time.monotonic()

    async with httpx.AsyncClient(
        base_url=base, headers=headers, timeout=60, limits=httpx.Limits(max_connections=8)
    ) as client:
        gate = asyncio.Semaphore(8)
        t0 = time.monotonic() + 0.5

        async def move(k: int) -> None:
            await asyncio.sleep(max(0.0, t0 + k / args.rate - time.monotonic()))
            a = k % len(locations)
            body = {
                "kind": "transfer",
                "product_id": products[k % len(products)],
                "quantity": 1,
                "from_location_id": locations[a],
                "to_location_id": locations[(a + 1) % len(locations)],
            }
            async with gate:
                response = await client.post("/api/v1/stock/movements", json=body)
            now = time.time()
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if response.status_code == 201:
                commits[response.json()["id"]] = now

        console.print(f"fan-out: {total} movements at {args.rate}/s …")
        await asyncio.gather(*(move(k) for k in range(total)))
        driven = time.monotonic() - t0
    # Let the last events arrive (up to 15 s), then close.
    deadline = time.monotonic() + 15
    want = set(commits)
    while time.monotonic() < deadline:
        got = {b for b, i in deliveries.index.items() if len(deliveries.times[i]) >= len(sockets)}
        if want <= got:
            break
        await asyncio.sleep(0.2)
    wall = time.monotonic() - wall0
    client_cpu = (sum(me.cpu_times()[:2]) - cpu0) / wall
    server_cpu = (sum(server.cpu_times()[:2]) - scpu0) / wall
    hist_p99 = bucket_quantile(hist_before, relay_lag_buckets(base), 0.99)
    watcher.cancel()
    await live.aclose()
    await redis.aclose()
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    for task in listeners:
        task.cancel()

    latencies: list[float] = []
    for batch, committed in commits.items():
        i = deliveries.index.get(batch)
        if i is not None:
            latencies.extend((t - committed) * 1000 for t in deliveries.times[i])
    wanted = {deliveries.index[b] for b in commits if b in deliveries.index}
    counts = [len(wanted & s) for s in seen]
    lags = [(published[b] - c) * 1000 for b, c in commits.items() if b in published]
    return Fanout(
        clients=len(sockets),
        sent=len(commits),
        statuses=statuses,
        achieved_rate=total / driven,
        latencies_ms=latencies,
        complete_clients=sum(1 for c in counts if c == len(commits)),
        min_received=min(counts) if counts else 0,
        duplicates=repeats[0],
        relay_lag_ms=lags,
        relay_hist_p99=hist_p99,
        message_bytes=deliveries.message_bytes,
        client_cpu=client_cpu,
        server_cpu=server_cpu,
    )


async def raw_pubsub(args: argparse.Namespace, redis_url: str, size: int) -> Raw:
    """N redis.asyncio subscribers (one connection each) of one channel; the same rate of
    messages of ``size`` bytes, each carrying its publish time."""
    from redis.asyncio import Redis

    publisher = Redis.from_url(redis_url)
    maxclients = int((await publisher.config_get("maxclients"))["maxclients"])
    count = min(args.clients, maxclients - 32)
    console.print(f"raw Redis pub/sub: {count} subscribers (maxclients {maxclients}) …")
    shared = Redis.from_url(redis_url, max_connections=count + 8)
    subscribers = []
    for _ in range(count):
        pubsub = shared.pubsub()
        await pubsub.subscribe(RAW_CHANNEL)
        subscribers.append(pubsub)
    received: list[list[float]] = [[] for _ in subscribers]

    async def listen(pubsub: Any, out: list[float]) -> None:
        async for message in pubsub.listen():
            if message["type"] == "message":
                now = time.time()
                out.append((now - float(message["data"].split(b"|", 1)[0])) * 1000)

    tasks = [
        asyncio.create_task(listen(p, out)) for p, out in zip(subscribers, received, strict=True)
    ]
    await asyncio.sleep(0.5)
    me = psutil.Process()
    cpu0, wall0 = sum(me.cpu_times()[:2]), time.monotonic()
    total = args.rate * args.seconds
    t0 = time.monotonic()
    for k in range(total):
        await asyncio.sleep(max(0.0, t0 + k / args.rate - time.monotonic()))
        stamp = f"{time.time():.6f}|"
        await publisher.publish(RAW_CHANNEL, stamp + "x" * max(0, size - len(stamp)))
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(len(r) < total for r in received):  # noqa: ASYNC110
        await asyncio.sleep(0.2)
    client_cpu = (sum(me.cpu_times()[:2]) - cpu0) / (time.monotonic() - wall0)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for pubsub in subscribers:
        await pubsub.aclose()
    await shared.aclose()
    await publisher.aclose()
    return Raw(
        subscribers=count,
        maxclients=maxclients,
        sent=total,
        latencies_ms=[x for r in received for x in r],
        complete=sum(1 for r in received if len(r) >= total),
        client_cpu=client_cpu,
    )


# --- 2. Outbox cost ------------------------------------------------------------------------


class Wrk:
    """Transfers with wrk against one server (the ledger benchmark's script)."""

    def __init__(self, name: str, base: str, pid: int, tmp: Path, fixture: Any) -> None:
        self.name, self.url, self.server = name, f"{base}/api/v1/stock/movements", pid
        products_file = tmp / "products.txt"
        products_file.write_text("\n".join(fixture.products) + "\n")
        self.env = {
            **os.environ,
            "WRK_PRODUCTS": str(products_file),
            "WRK_LOCATIONS": ",".join(fixture.locations),
        }
        self.headers = {"Authorization": f"Bearer {fixture.token}"}
        self.runs: list[tuple[dict[str, float], float, float]] = []

    def run(self, seconds: int, *, keep: bool = True) -> None:
        server = psutil.Process(self.server)
        before, started = sum(server.cpu_times()[:2]), time.perf_counter()
        values, measured = wrk(
            self.url, seconds=seconds, script=LUA / "ledger_transfers.lua", env=self.env,
            connections=16, threads=2, headers=self.headers,
        )  # fmt: skip
        share = (sum(server.cpu_times()[:2]) - before) / (time.perf_counter() - started)
        console.print(f"  {self.name}: {values.get('s201', 0) / values['seconds']:.0f} commits/s")
        if keep:
            self.runs.append((values, measured.cpu_share, share))

    def result(self) -> Throughput:
        each = [v.get("s201", 0) / v["seconds"] for v, _, _ in self.runs]
        total = sum(v.get("s201", 0) for v, _, _ in self.runs)
        seconds = sum(v["seconds"] for v, _, _ in self.runs)
        n = len(self.runs)
        return Throughput(
            name=f"{self.name} (runs: {', '.join(f'{x:.0f}' for x in each)})",
            commits_per_s=total / seconds,
            p50=sum(v["p50"] for v, _, _ in self.runs) / n,
            p99=sum(v["p99"] for v, _, _ in self.runs) / n,
            non2xx=sum(int(v.get("non2xx", 0)) for v, _, _ in self.runs),
            errors=sum(int(v.get("errors", 0)) for v, _, _ in self.runs),
            generator_cpu=sum(g for _, g, _ in self.runs) / n,
            server_cpu=sum(c for _, _, c in self.runs) / n,
        )


# --- Orchestration -------------------------------------------------------------------------


def run(args: argparse.Namespace) -> Report:
    from ledger_writes import server_environment, setup

    from quartermaster.core import migrate
    from quartermaster.runtime import EmbeddedServices

    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < 2 * args.clients + 200:
        sys.exit(f"the fd limit ({hard}) is too low for {args.clients} clients")
    args.load_at_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="qm-bench-") as tmp_name:
        tmp = Path(tmp_name)
        with EmbeddedServices(tmp / "data") as urls:
            migrate.upgrade(
                urls.database_owner_url,
                app_role=migrate.application_role(urls.database_url, urls.database_owner_url),
            )
            env = server_environment(urls.database_url, urls.database_owner_url, urls.redis_url)
            env["QM_RUN_RELAY"] = "true"
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            server = start(env, port, APP_FACTORY)
            # This process (clients, subscribers, driver) on the generator's CPU; PostgreSQL
            # and Redis, started before, stay unpinned.
            os.sched_setaffinity(0, {int(GENERATOR_CPU)})
            try:
                fixture = setup(base, urls.database_url, args.products)
                args.server_pid = server.pid
                fan = asyncio.run(fanout(args, base, fixture, urls.redis_url))
                raw = asyncio.run(raw_pubsub(args, urls.redis_url, fan.message_bytes or 700))
                # Outbox cost: both servers up (the idle one costs nothing), runs in the
                # order with, without, without, with, so drift of a busy machine cancels.
                port2 = free_port()
                base2 = f"http://127.0.0.1:{port2}"
                server2 = start(env, port2, NO_OUTBOX_FACTORY)
                try:
                    with_outbox = Wrk("with outbox", base, server.pid, tmp, fixture)
                    without = Wrk("without outbox (emit no-op)", base2, server2.pid, tmp, fixture)
                    console.print(
                        f"outbox cost: wrk 2 s warm-up each, then 4 x {args.wrk_seconds} s"
                    )
                    with_outbox.run(2, keep=False)
                    without.run(2, keep=False)
                    before = relay_lag_buckets(base)
                    with_outbox.run(args.wrk_seconds)
                    time.sleep(3)  # the relay catches up; its late publications count
                    load_p99 = bucket_quantile(before, relay_lag_buckets(base), 0.99)
                    without.run(args.wrk_seconds)
                    without.run(args.wrk_seconds)
                    with_outbox.run(args.wrk_seconds)
                finally:
                    stop_server(server2)
            finally:
                stop_server(server)
    notes = [
        "fan-out statuses: "
        + ", ".join(f"{s}: {n}" for s, n in sorted(fan.statuses.items()))
        + f"; target rate {args.rate}/s, achieved {fan.achieved_rate:.0f}/s",
        "latencies include queueing in the one client process: its CPU use is in the table "
        "(near 100 % means the clients, not the server, bound the figure)",
    ]
    if raw.subscribers < args.clients:
        notes.append(
            f"raw baseline limited to {raw.subscribers} subscribers by Redis maxclients "
            f"({raw.maxclients})"
        )
    return Report(
        fanout=fan,
        raw=raw,
        with_outbox=with_outbox.result(),
        without_outbox=without.result(),
        load_relay_p99=load_p99,
        notes=notes,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=1_000)
    parser.add_argument("--rate", type=int, default=100, help="stock movements per second")
    parser.add_argument("--seconds", type=int, default=10, help="of the fan-out run")
    parser.add_argument("--wrk-seconds", type=int, default=10, help="of each outbox-cost run")
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed (Debian/Ubuntu: apt-get install wrk util-linux)")
    report = run(args)
    report.show()
    if args.record:
        console.print(f"recorded in {append_record(report.markdown(args))}")


if __name__ == "__main__":
    main()
