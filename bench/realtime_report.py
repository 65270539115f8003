"""The figures of ``bench/realtime.py``: what was measured, the targets, the table and
the record for docs/benchmarks.md."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from common import GENERATOR_CPU, SERVER_CPU, machine
from rich.console import Console
from rich.table import Table
from wsclient import WsResult

console = Console()

TARGET_RATIO = 0.85
TARGET_P99_MS = 50.0
TARGET_LAG_MS = 100.0


def busy_share(before: list[Any], after: list[Any]) -> list[float]:
    """Per CPU, the share of the time it was not idle (anything, other work included)."""
    shares = []
    for a, b in zip(before, after, strict=True):
        total = sum(b) - sum(a)
        idle = (b.idle - a.idle) + (getattr(b, "iowait", 0) - getattr(a, "iowait", 0))
        shares.append(1 - idle / total if total else 0.0)
    return shares


def dump_events(
    path: Path, result: WsResult, committed: dict[int, float], publish_at: dict[int, float]
) -> None:
    """Per event (in commit order): commit time, then publish and the first, median and
    last receive, in ms after the commit — to see whether slow deliveries cluster."""
    received: dict[int, list[float]] = {}
    for times, events in zip(result.times, result.events, strict=True):
        for t, i in zip(times, events, strict=True):
            received.setdefault(i, []).append(t)
    lines = ["commit_unix publish_ms first_ms median_ms last_ms"]
    for i, at in sorted(committed.items(), key=lambda item: item[1]):
        got = sorted(received.get(i, []))
        if not got:
            continue
        lines.append(
            f"{at:.4f} {(publish_at.get(i, at) - at) * 1000:.1f} {(got[0] - at) * 1000:.1f} "
            f"{(got[len(got) // 2] - at) * 1000:.1f} {(got[-1] - at) * 1000:.1f}"
        )
    path.write_text("\n".join(lines) + "\n")


def relay_lag_buckets(metrics_url: str) -> dict[float, float]:
    """Cumulative counts of ``qm_relay_lag_seconds`` by upper bound (from /metrics of the
    API process, or of the ``qm relay`` process)."""
    text = httpx.get(metrics_url, timeout=10).text
    buckets: dict[float, float] = {}
    for line in text.splitlines():
        if line.startswith("qm_relay_lag_seconds_bucket{"):
            le = line.split('le="', 1)[1].split('"', 1)[0]
            buckets[float("inf") if le == "+Inf" else float(le)] = float(line.rsplit(" ", 1)[1])
    return buckets


def relay_published(metrics_url: str) -> float:
    """How many events the relay has published so far (``qm_relay_published_events_total``,
    all labels)."""
    text = httpx.get(metrics_url, timeout=10).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("qm_relay_published_events_total")
    )


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
    from_publish_ms: list[float]
    relay_hist_p99: str
    message_bytes: int
    client_cpu: float
    server_cpu: float
    relay_cpu: float | None
    close_codes: dict[int, int]


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
    with_outbox: Throughput | None
    without_outbox: Throughput | None
    load_relay_p99: str
    paused_outbox: Throughput | None = None  # with the relay paused: reported, not judged
    notes: list[str] = field(default_factory=list)

    @property
    def p99(self) -> float:
        return percentile(self.fanout.latencies_ms, 0.99)

    @property
    def raw_p99(self) -> float:
        return percentile(self.raw.latencies_ms, 0.99)

    @property
    def ratio(self) -> float:
        if self.with_outbox is None or self.without_outbox is None:
            return float("nan")
        return self.with_outbox.commits_per_s / self.without_outbox.commits_per_s

    def checks(self) -> list[str]:
        f = self.fanout
        bound = 3 * self.raw_p99 + 5
        delivered = f.complete_clients == f.clients and f.sent > 0
        lag99 = percentile(f.relay_lag_ms, 0.99)
        checks = [
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
        ]
        if self.with_outbox is not None:
            checks.append(
                f"outbox cost, relay publishing (the running pipeline): with / without = "
                f"{self.ratio:.2f} ≥ {TARGET_RATIO}: " + verdict(self.ratio >= TARGET_RATIO)
            )
        if self.paused_outbox is not None and self.without_outbox is not None:
            paused = self.paused_outbox.commits_per_s / self.without_outbox.commits_per_s
            checks.append(
                f"outbox cost with the relay paused (the outbox write alone, not judged): "
                f"{paused:.2f}"
            )
        return checks

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
                f"client {f.client_cpu:.0%}, server {f.server_cpu:.0%}"
                + (f", relay {f.relay_cpu:.0%}" if f.relay_cpu is not None else ""),
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
                "of which publish → client (qm:live as seen by 1 raw subscriber → socket)",
                f"{percentile(f.from_publish_ms, 0.5):.1f}",
                f"{percentile(f.from_publish_ms, 0.99):.1f}",
                f"{max(f.from_publish_ms) if f.from_publish_ms else float('nan'):.1f}",
                f"{len(f.from_publish_ms):,} deliveries",
                "—",
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
        for t in (self.with_outbox, self.without_outbox, self.paused_outbox):
            if t is None:
                continue
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
            f"Machine: {machine()}; server (1 Uvicorn worker, permessage-deflate off) pinned "
            f"to CPU {SERVER_CPU}; {relay_text(args)}; the WebSocket clients (or the raw Redis "
            "subscribers) in one process of lean asyncio Protocols on uvloop "
            f"(`bench/wsclient.py`), the movement driver and wrk pinned to CPU {GENERATOR_CPU}; "
            "PostgreSQL 18 (embedded, fsync on) and Redis unpinned. Command: "
            f"`uv run python bench/realtime.py {command_line(args)} --record`. "
            "Load average (1 min) at start: "
            f"{args.load_at_start:.1f}. Latency = client receive - commit, where commit = "
            f"{args.commit_source}; milliseconds. "
            "Outbox cost: wrk -t2 -c16 transfers (`bench/lua/ledger_transfers.lua`), "
            f"{args.wrk_seconds} s runs in the order with (relay publishing; relay lag under "
            "write load), without, with the relay process paused (SIGSTOP) twice, without "
            "(after the relay caught up), with (relay publishing); both servers up, each "
            "after a 2 s warm-up; 2xx commits/s over a kind's runs, p50/p99 their mean; the "
            "real app vs the same app with `emit` patched to a no-op "
            "(`bench.realtime:create_no_outbox_app`). The target is judged with the relay "
            "publishing.",
            "",
            "| " + " | ".join(COLUMNS) + " |",
            "| " + " | ".join("---" for _ in COLUMNS) + " |",
            *("| " + " | ".join(row) + " |" for row in self.rows()),
            "",
            *(f"- {line}" for line in self.checks() + self.notes),
            "",
        ]
        return lines


def relay_text(args: argparse.Namespace) -> str:
    if args.relay == "process":
        return "the outbox relay as its own process (`qm relay`, external mode), unpinned"
    return "the outbox relay inside the API process (embedded mode)"


def command_line(args: argparse.Namespace) -> str:
    parts = [
        f"--clients {args.clients} --rate {args.rate} --seconds {args.seconds}",
        f"--warmup {args.warmup} --in-flight {args.in_flight} --relay {args.relay}",
        f"--products {args.products}",
    ]
    parts.append("--no-outbox-cost" if args.no_outbox_cost else f"--wrk-seconds {args.wrk_seconds}")
    return " ".join(parts)


COLUMNS = ("case", "p50 ms", "p99 ms", "max ms", "delivery", "CPU")


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**NOT met**"
