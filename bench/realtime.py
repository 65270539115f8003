"""Realtime benchmarks (issue 5, benchmarks 1 and 2): live fan-out and the outbox's cost.

1. **Fan-out latency**: ``--clients`` WebSocket clients subscribed to
   ``inventory:updates`` in one tenant (``?token=``, no permessage-deflate), in one
   process of their own pinned to CPU 1: lean asyncio Protocols on uvloop
   (``bench/wsclient.py``) that only timestamp and cut frames while the run lasts, so the
   figures measure the server, not the harness. ``--rate`` stock movements per second for
   ``--seconds`` through ``POST /api/v1/stock/movements`` (transfers of 1 unit, up to
   ``--in-flight`` at once, httpx, from this process, also on CPU 1), after ``--warmup``
   seconds of the same (delivered to the same sockets, not counted). The server is the
   real app, one Uvicorn worker pinned to CPU 0 (permessage-deflate off, as ``qm serve``).
   The outbox relay runs as its own process (``qm relay``, external mode, unpinned like
   PostgreSQL and Redis; ``--relay process``, the default) or inside the API process
   (``--relay embedded``, ``QM_RUN_RELAY=true``).
   *Commit time* of a movement = PostgreSQL's own commit timestamp of its transaction
   (``track_commit_timestamp = on`` in the embedded cluster; ``pg_xact_commit_timestamp``
   of its append-only ledger rows, found by the batch id the 201 returns and the event
   carries as ``data.batch_id``), on the same clock as the clients' ``time.time()``. (The
   201's arrival at the driver, used before, is late by however long the response queues
   in a busy server — on a saturated one, past the event's own delivery; it remains the
   fallback if the timestamps are missing.) The event's ``occurred_at`` is the
   transaction's start (``now()``), which would overstate it; it is not used.
   Completeness: every client must receive every movement answered 201. Baseline in the
   same run: raw Redis pub/sub, the same number of subscribers (the same lean Protocol
   style, RESP, one connection each) in one process on CPU 1, the same rate of messages
   of the same size carrying their publish time.
   Targets: p99 ≤ 3x raw p99 + 5 ms and ≤ 50 ms; 100 % delivered.
   **Relay lag** (commit → publish): one extra raw subscriber of ``qm:live`` in this
   process gives the publish time of each event (an upper bound: plus its own
   delivery); the relay's own histogram ``qm_relay_lag_seconds`` (transaction start →
   publish, an upper bound; bucketed) is scraped from its ``/metrics`` too. Target p99 ≤
   100 ms.
2. **Outbox cost** (skipped with ``--no-outbox-cost``): movement commits/s (2xx) with wrk
   (``bench/lua/ledger_transfers.lua``, the ledger benchmark's transfers, 16 connections)
   against the real server and against the same server with ``core.events.emit`` replaced
   by a no-op (:func:`create_no_outbox_app`, a benchmark-only patch in this file), both up
   at once. Target: with / without ≥ 0.85, judged with the relay publishing (the running
   pipeline, on the same cores); runs in the order with, without, [relay paused: with,
   with], without, with. The paused runs (the outbox write alone) are reported beside.
   The relay's lag histogram is scraped around the first "with" run too (relay lag at
   full write load).

PostgreSQL 18 (durable commits) and Redis are embedded in a temporary directory, unpinned.
Usage: uv run python bench/realtime.py [--clients 1000] [--rate 100] [--seconds 10]
       [--warmup 2] [--in-flight 16] [--relay process|embedded]
       [--wrk-seconds 10 | --no-outbox-cost] [--products 200] [--dump FILE] [--record]
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
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
import psutil
from common import (
    GENERATOR_CPU,
    LUA,
    ROOT,
    SERVER_CPU,
    append_record,
    bench_temp_dir,
    free_port,
    stop_server,
    wrk,
)
from realtime_report import (
    Fanout,
    Raw,
    Report,
    Throughput,
    bucket_quantile,
    busy_share,
    console,
    dump_events,
    relay_lag_buckets,
    relay_published,
)
from wsclient import Clients, Job, RawResult, WsResult, redis_address

RAW_CHANNEL = "bench:raw"
APP_FACTORY = "quartermaster.api:create_app_from_environment"
NO_OUTBOX_FACTORY = "bench.realtime:create_no_outbox_app"
DRAIN_SECONDS = 15.0  # the longest wait for the last deliveries after the last commit


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


# --- Servers -------------------------------------------------------------------------------


def wait_until_up(url: str, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{what} did not start")


def start(env: dict[str, str], port: int, factory: str) -> subprocess.Popen[bytes]:
    """One Uvicorn worker pinned to CPU 0 (as common.start_server, with a chosen factory),
    permessage-deflate off as in ``qm serve``."""
    proc = subprocess.Popen(
        [
            "taskset", "-c", SERVER_CPU, sys.executable, "-m", "uvicorn", factory, "--factory",
            "--port", str(port), "--loop", "uvloop", "--http", "httptools", "--no-access-log",
            "--log-level", "warning", "--ws-per-message-deflate", "false",
        ],
        env=env,
        cwd=ROOT,
    )  # fmt: skip
    wait_until_up(f"http://127.0.0.1:{port}/readyz", proc, f"server {factory}")
    return proc


def start_relay(env: dict[str, str], metrics_port: int) -> subprocess.Popen[bytes]:
    """``qm relay`` (external mode) with its metrics on ``metrics_port``; unpinned."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "quartermaster", "relay", "--metrics-port", str(metrics_port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    wait_until_up(f"http://127.0.0.1:{metrics_port}/metrics", proc, "qm relay")
    return proc


# --- Measures ------------------------------------------------------------------------------


def enable_commit_timestamps(data_dir: Path) -> None:
    """``track_commit_timestamp = on`` in the embedded cluster (a restart applies it), so a
    movement's commit time is PostgreSQL's own (``pg_xact_commit_timestamp``)."""
    import asyncpg

    from quartermaster.runtime import EmbeddedServices

    async def alter(url: str) -> None:
        connection = await asyncpg.connect(url)
        try:
            await connection.execute("ALTER SYSTEM SET track_commit_timestamp = on")
        finally:
            await connection.close()

    with EmbeddedServices(data_dir, redis=False) as urls:
        asyncio.run(alter(urls.admin_url))


async def commit_times(admin_url: str, batches: list[str]) -> dict[str, float]:
    """The commit time of each movement batch (its append-only ledger rows' ``xmin``)."""
    import asyncpg

    connection = await asyncpg.connect(admin_url)
    try:
        rows = await connection.fetch(
            "SELECT DISTINCT batch_id::text AS batch,"
            " extract(epoch FROM pg_xact_commit_timestamp(xmin))::float8 AS at"
            " FROM stock_movements WHERE batch_id = ANY($1::uuid[])",
            batches,
        )
    finally:
        await connection.close()
    return {row["batch"]: row["at"] for row in rows if row["at"] is not None}


def cpu_seconds(process: psutil.Process | None) -> float:
    return sum(process.cpu_times()[:2]) if process is not None else 0.0


# --- 1. Fan-out ----------------------------------------------------------------------------


def batch_id(message: str) -> str | None:
    """The ``data.batch_id`` of an event message, without parsing the JSON (the payload is
    jsonb's text: ``"batch_id": "…"``)."""
    at = message.find('"batch_id"')
    if at < 0:
        return None
    quote = message.find('"', at + 10)
    return message[quote + 1 : quote + 37]


async def fanout(args: argparse.Namespace, base: str, fixture: Any, redis_url: str) -> Fanout:
    from redis.asyncio import Redis

    from quartermaster.core.streams import LIVE_CHANNEL

    console.print(f"fan-out: opening {args.clients} WebSocket clients …")
    port = int(base.rsplit(":", 1)[1])
    subscribe = json.dumps({"op": "subscribe", "channels": ["inventory:updates"]})
    path = f"/api/v1/ws?token={fixture.token}"
    clients = Clients(
        Job("ws", "127.0.0.1", port, args.clients, path, subscribe), int(GENERATOR_CPU)
    )
    await clients.ready()

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

    async with httpx.AsyncClient(
        base_url=base,
        headers=headers,
        timeout=60,
        limits=httpx.Limits(max_connections=args.in_flight),
    ) as client:
        gate = asyncio.Semaphore(args.in_flight)

        async def move(k: int, at: float, measured: bool) -> None:
            await asyncio.sleep(max(0.0, at - time.monotonic()))
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
            if not measured:
                return
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if response.status_code == 201:
                commits[response.json()["id"]] = now

        warmup = args.rate * args.warmup
        if warmup:
            # Same rate, same sockets, not counted: first-request costs of the server.
            console.print(f"fan-out: {args.warmup} s warm-up at {args.rate}/s …")
            t0 = time.monotonic()
            await asyncio.gather(*(move(k, t0 + k / args.rate, False) for k in range(warmup)))
            await asyncio.sleep(1)  # their deliveries drain
        hist_before = relay_lag_buckets(args.relay_metrics)
        server = psutil.Process(args.server_pid)
        relay = psutil.Process(args.relay_pid) if args.relay_pid else None
        scpu0, rcpu0, wall0 = cpu_seconds(server), cpu_seconds(relay), time.monotonic()
        machine0 = psutil.cpu_times(percpu=True)
        clients.pipe.send("start")
        console.print(f"fan-out: {total} movements at {args.rate}/s …")
        t0 = time.monotonic() + 0.5
        await asyncio.gather(*(move(k, t0 + k / args.rate, True) for k in range(total)))
        driven = time.monotonic() - t0
    await clients.wait_for(len(commits) * args.clients, time.monotonic() + DRAIN_SECONDS)
    wall = time.monotonic() - wall0
    args.cpu_busy = busy_share(machine0, psutil.cpu_times(percpu=True))
    server_cpu = (cpu_seconds(server) - scpu0) / wall
    relay_cpu = (cpu_seconds(relay) - rcpu0) / wall if relay is not None else None
    result: WsResult = await clients.stop()
    exact = await commit_times(args.admin_url, list(commits))
    if len(exact) == len(commits):
        commits, args.commit_source = exact, "PostgreSQL's commit timestamp"
    else:
        args.commit_source = "the 201's arrival at the driver (commit timestamps missing)"
    hist_p99 = bucket_quantile(hist_before, relay_lag_buckets(args.relay_metrics), 0.99)
    watcher.cancel()
    await live.aclose()
    await redis.aclose()

    committed = {
        i: commits[b.decode()] for i, b in enumerate(result.batches) if b.decode() in commits
    }
    wanted = set(committed)
    latencies: list[float] = []
    from_publish: list[float] = []  # the share of the latency after the relay's publish
    publish_at = {
        i: published[b.decode()] for i, b in enumerate(result.batches) if b.decode() in published
    }
    counts: list[int] = []
    repeats = 0
    for times, events in zip(result.times, result.events, strict=True):
        seen: set[int] = set()
        for t, i in zip(times, events, strict=True):
            if i in seen:
                repeats += 1  # at-least-once: a repeat
                continue
            seen.add(i)
            at = committed.get(i)
            if at is not None:
                latencies.append((t - at) * 1000)
                if i in publish_at:
                    from_publish.append((t - publish_at[i]) * 1000)
        counts.append(len(wanted & seen))
    lags = [(published[b] - c) * 1000 for b, c in commits.items() if b in published]
    if args.dump:
        dump_events(Path(args.dump), result, committed, publish_at)
    return Fanout(
        clients=len(result.times),
        sent=len(commits),
        statuses=statuses,
        achieved_rate=total / driven,
        latencies_ms=latencies,
        complete_clients=sum(1 for c in counts if c == len(commits)),
        min_received=min(counts) if counts else 0,
        duplicates=repeats,
        relay_lag_ms=lags,
        from_publish_ms=from_publish,
        relay_hist_p99=hist_p99,
        message_bytes=result.message_bytes,
        client_cpu=result.cpu_seconds / result.wall_seconds,
        server_cpu=server_cpu,
        relay_cpu=relay_cpu,
        close_codes=result.close_codes,
    )


async def raw_pubsub(args: argparse.Namespace, redis_url: str, size: int) -> Raw:
    """N lean RESP subscribers (one connection each) of one channel in the client process;
    the same rate of messages of ``size`` bytes, each carrying its publish time."""
    from redis.asyncio import Redis

    publisher = Redis.from_url(redis_url)
    maxclients = int((await publisher.config_get("maxclients"))["maxclients"])
    count = min(args.clients, maxclients - 32)
    console.print(f"raw Redis pub/sub: {count} subscribers (maxclients {maxclients}) …")
    host, port, password = redis_address(redis_url)
    job = Job("raw", host, port, count, channel=RAW_CHANNEL, password=password)
    clients = Clients(job, int(GENERATOR_CPU))
    await clients.ready()
    await asyncio.sleep(0.5)
    clients.pipe.send("start")
    total = args.rate * args.seconds
    t0 = time.monotonic()
    for k in range(total):
        await asyncio.sleep(max(0.0, t0 + k / args.rate - time.monotonic()))
        stamp = f"{time.time():.6f}|"
        await publisher.publish(RAW_CHANNEL, stamp + "x" * max(0, size - len(stamp)))
    await clients.wait_for(total * count, time.monotonic() + DRAIN_SECONDS)
    result: RawResult = await clients.stop()
    await publisher.aclose()
    return Raw(
        subscribers=count,
        maxclients=maxclients,
        sent=total,
        latencies_ms=[x for r in result.latencies for x in r],
        complete=sum(1 for r in result.latencies if len(r) >= total),
        client_cpu=result.cpu_seconds / result.wall_seconds,
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


def outbox_cost(
    env: dict[str, str], args: argparse.Namespace, base: str, tmp: Path, fixture: Any
) -> tuple[Throughput, Throughput, Throughput | None, str]:
    """Both servers up (the idle one costs nothing). The target is judged on the running
    pipeline: "with" runs have the relay publishing (on the same 2 cores, as in
    production); "without" runs write no event, so the relay has nothing to do. Order:
    with, without, [relay paused: with, with], without, with, so drift of a busy machine
    cancels. The paused runs (SIGSTOP: the outbox write alone) are reported beside, not
    judged; before the second "without" run the relay catches up on what they left, so
    it runs alone. An embedded relay cannot be paused: it has no paused runs."""
    port2 = free_port()
    server2 = start(env, port2, NO_OUTBOX_FACTORY)
    relay = psutil.Process(args.relay_pid) if args.relay_pid else None
    try:
        live = Wrk("with outbox, relay publishing", base, args.server_pid, tmp, fixture)
        paused = Wrk("with outbox, relay paused", base, args.server_pid, tmp, fixture)
        without = Wrk(
            "without outbox (emit no-op)", f"http://127.0.0.1:{port2}", server2.pid, tmp, fixture
        )
        runs = 6 if relay is not None else 4
        console.print(f"outbox cost: wrk 2 s warm-up each, then {runs} x {args.wrk_seconds} s")
        live.run(2, keep=False)
        without.run(2, keep=False)
        before = relay_lag_buckets(args.relay_metrics)
        live.run(args.wrk_seconds)
        time.sleep(3)  # the relay catches up; its late publications count
        load_p99 = bucket_quantile(before, relay_lag_buckets(args.relay_metrics), 0.99)
        without.run(args.wrk_seconds)
        if relay is not None:
            relay.suspend()
            try:
                paused.run(args.wrk_seconds)
                paused.run(args.wrk_seconds)
            finally:
                relay.resume()
            wait_for_relay(args.relay_metrics)
        without.run(args.wrk_seconds)
        live.run(args.wrk_seconds)
    finally:
        stop_server(server2)
    return live.result(), without.result(), paused.result() if relay else None, load_p99


def wait_for_relay(metrics_url: str, timeout: float = 120) -> None:
    """Until the relay has published what the paused runs left (its published-events
    counter stops moving), so the next run does not pay for that backlog."""
    deadline = time.monotonic() + timeout
    last = -1.0
    while time.monotonic() < deadline:
        time.sleep(1)
        published = relay_published(metrics_url)
        if published == last:
            return
        last = published


def run(args: argparse.Namespace) -> Report:
    from ledger_writes import server_environment, setup

    from quartermaster.core import migrate
    from quartermaster.runtime import EmbeddedServices

    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < 2 * args.clients + 200:
        sys.exit(f"the fd limit ({hard}) is too low for {args.clients} clients")
    args.load_at_start = os.getloadavg()[0]
    with bench_temp_dir() as tmp_name:
        tmp = Path(tmp_name)
        enable_commit_timestamps(tmp / "data")
        with EmbeddedServices(tmp / "data") as urls:
            migrate.upgrade(
                urls.database_owner_url,
                app_role=migrate.application_role(urls.database_url, urls.database_owner_url),
            )
            env = server_environment(urls.database_url, urls.database_owner_url, urls.redis_url)
            env["QM_RUN_RELAY"] = "true" if args.relay == "embedded" else "false"
            # The superuser (no row-level security) in the application's database.
            args.admin_url = (
                urlsplit(urls.admin_url)._replace(path=urlsplit(urls.database_url).path).geturl()
            )
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            relay: subprocess.Popen[bytes] | None = None
            args.relay_pid = None
            args.relay_metrics = f"{base}/metrics"
            if args.relay == "process":
                metrics_port = free_port()
                relay = start_relay(env, metrics_port)
                args.relay_pid = relay.pid
                args.relay_metrics = f"http://127.0.0.1:{metrics_port}/metrics"
            server = start(env, port, APP_FACTORY)
            args.server_pid = server.pid
            # This process (driver, qm:live watcher, wrk's parent) on the generator's CPU;
            # PostgreSQL, Redis and the relay process, started before, stay unpinned.
            os.sched_setaffinity(0, {int(GENERATOR_CPU)})
            try:
                fixture = setup(base, urls.database_url, args.products)
                fan = asyncio.run(fanout(args, base, fixture, urls.redis_url))
                raw = asyncio.run(raw_pubsub(args, urls.redis_url, fan.message_bytes or 700))
                with_outbox = without = paused = None
                load_p99 = "not run"
                if not args.no_outbox_cost:
                    with_outbox, without, paused, load_p99 = outbox_cost(
                        env, args, base, tmp, fixture
                    )
            finally:
                stop_server(server)
                if relay is not None:
                    stop_server(relay)
    notes = [
        "fan-out statuses: "
        + ", ".join(f"{s}: {n}" for s, n in sorted(fan.statuses.items()))
        + f"; target rate {args.rate}/s, achieved {fan.achieved_rate:.0f}/s"
        + f" ({args.in_flight} requests in flight at most)",
        f"commit time of a movement: {args.commit_source}",
        "relay: "
        + ("its own process (`qm relay`, external mode)" if args.relay == "process"
           else "inside the API process (embedded mode)"),
        "clients' CPU is their process's share of one core during the run (near 100 % would "
        "mean the clients, not the server, bound the figure)",
        "machine during the fan-out run (all processes, other users' included): "
        + ", ".join(f"CPU {n} busy {share:.0%}" for n, share in enumerate(args.cpu_busy))
        + f"; load average (1 min) at start {args.load_at_start:.1f}, at end "
        f"{os.getloadavg()[0]:.1f}",
    ]  # fmt: skip
    if fan.close_codes:
        notes.append(f"WebSocket clients closed by the server: {fan.close_codes}")
    if raw.subscribers < args.clients:
        notes.append(
            f"raw baseline limited to {raw.subscribers} subscribers by Redis maxclients "
            f"({raw.maxclients})"
        )
    return Report(
        fanout=fan,
        raw=raw,
        with_outbox=with_outbox,
        without_outbox=without,
        paused_outbox=paused,
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
    parser.add_argument("--in-flight", type=int, default=16, help="movement requests at once")
    parser.add_argument(
        "--warmup", type=int, default=2, help="seconds of movements before the measured run"
    )
    parser.add_argument(
        "--relay",
        choices=("process", "embedded"),
        default="process",
        help="the outbox relay as its own process (qm relay) or inside the API process",
    )
    parser.add_argument("--wrk-seconds", type=int, default=10, help="of each outbox-cost run")
    parser.add_argument("--no-outbox-cost", action="store_true", help="skip benchmark 2")
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--dump", help="write per-event delivery times to this file")
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
