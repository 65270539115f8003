"""Service desk benchmark (issue 14): ticket creation and inbound e-mail throughput.

1. **Ticket creation vs product creation, same run.** ``POST /api/v1/tickets`` for a team
   with round-robin assignment over four agents and an SLA policy on a business-hours
   calendar (Europe/Berlin, holidays), so each creation takes the team's lock, picks an
   agent, takes the tenant's number and computes two due dates; against ``POST
   /api/v1/products`` on the same server, alternating product/ticket phases of
   ``--seconds`` each (twice) so that drift in the machine's load hits both. Target:
   tickets/s at least half of products/s.
2. **Inbound e-mail → ticket**: raw RFC 822 messages (a new conversation each, unique
   Message-ID) posted to ``POST /api/v1/inbound/email`` with an API key, ``--concurrency``
   at a time for ``--seconds``; then the same through the SMTP listener
   (``--smtp-messages`` messages over ``--concurrency`` smtplib connections, one message
   per SMTP transaction).

PostgreSQL and Redis are embedded in a temporary directory (durable commits). The server
is one Uvicorn worker pinned to CPU 0 (``taskset``), the load generator runs on the rest.
Usage: uv run python bench/tickets.py [--seconds 20] [--warmup 5] [--concurrency 16]
       [--smtp-messages 500] [--record]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import signal
import smtplib
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import psutil
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from quartermaster.core import migrate
from quartermaster.core.db import Database
from quartermaster.core.security import PasswordHasher
from quartermaster.identity.public import Principal, Role, add_demo_members, create_account
from quartermaster.runtime import EmbeddedServices

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import append_record, bench_temp_dir, free_port, machine

console = Console()
ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret-key-that-is-long-enough-0123456789"  # noqa: S105 - throwaway
PASSWORD = "bench-password-1"  # noqa: S105 - throwaway
EMAIL = "bench-owner@example.org"
NUMBERS = itertools.count()  # unique across phases (SKUs, Message-IDs)
HOURS = {day: ["08:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}


async def _prepare(app_url: str) -> None:
    """The bench organization and four agents (as the demo does, without passwords)."""
    database = Database(app_url, pool_size=1, max_overflow=0)
    try:
        await create_account(
            database,
            PasswordHasher(time_cost=1, memory_kib=1024),
            email=EMAIL,
            password=PASSWORD,
            full_name="Bench Owner",
            organization="Bench",
        )
    finally:
        await database.dispose()


async def _agents(app_url: str, tenant_id: str, owner_id: str) -> list[str]:
    database = Database(app_url, pool_size=1, max_overflow=0)
    try:
        principal = Principal(
            kind="user",
            id=uuid.UUID(owner_id),
            tenant_id=uuid.UUID(tenant_id),
            role=Role.OWNER,
            label=EMAIL,
        )
        people = [(f"agent{n}@bench.example", f"Agent {n}", Role.STAFF) for n in range(4)]
        return [str(i) for i in await add_demo_members(database, principal, people)]
    finally:
        await database.dispose()


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


def _cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


async def _phase(
    client: httpx.AsyncClient,
    label: str,
    seconds: float,
    concurrency: int,
    request: Any,
    server_pid: int,
) -> tuple[int, float, float]:
    """Requests (``request(client, n)``) from ``concurrency`` loops for ``seconds``;
    (successful requests, elapsed seconds, the server's CPU seconds meanwhile). A non-2xx
    answer stops the benchmark."""
    done = 0
    cpu_before = _cpu_seconds(server_pid)
    deadline = time.monotonic() + seconds
    with Progress(
        TextColumn(f"{label:<10}"), BarColumn(), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task(label, total=seconds)

        async def loop() -> None:
            nonlocal done
            while time.monotonic() < deadline:
                response = await request(client, next(NUMBERS))
                if response.status_code >= 300:
                    raise SystemExit(f"{label}: {response.status_code} {response.text[:300]}")
                done += 1

        started = time.monotonic()
        runners = [asyncio.create_task(loop()) for _ in range(concurrency)]
        while not all(r.done() for r in runners):
            await asyncio.sleep(0.25)
            progress.update(task, completed=min(seconds, time.monotonic() - started))
        for runner in runners:
            runner.result()
        return done, time.monotonic() - started, _cpu_seconds(server_pid) - cpu_before


def _mail(n: int, to: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Customer {n % 500} <customer{n % 500}@bench.example>"
    message["To"] = to
    message["Subject"] = f"Order {n} arrived damaged"
    message["Message-ID"] = f"<bench-{n}-{uuid.uuid4().hex}@bench.example>"
    message.set_content(f"Hello, order {n} arrived damaged. Please send a replacement.\n" * 5)
    return message


async def _http_phases(base: str, args: argparse.Namespace) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=args.concurrency * 2)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        token = (
            await client.post("/api/v1/auth/token", data={"username": EMAIL, "password": PASSWORD})
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        me = (await client.get("/api/v1/me", headers=auth)).json()
        tenant_id = me["tenant"]["id"]
        agents = await _agents(args.app_url, tenant_id, me["user"]["id"])
        policy = (
            await client.post(
                "/api/v1/sla-policies",
                headers=auth,
                json={
                    "name": "Business hours",
                    "time_zone": "Europe/Berlin",
                    "weekly_hours": HOURS,
                    "holidays": ["2026-12-24", "2026-12-25", "2026-12-31", "2027-01-01"],
                    "targets": {
                        p: {"first_response_minutes": 60, "resolution_minutes": 960}
                        for p in ("low", "normal", "high", "urgent")
                    },
                },
            )
        ).json()
        team = (
            await client.post(
                "/api/v1/teams",
                headers=auth,
                json={
                    "name": "Support",
                    "assignment_strategy": "round_robin",
                    "member_ids": agents,
                    "sla_policy_id": policy["id"],
                },
            )
        ).json()
        key = (
            await client.post(
                "/api/v1/api-keys", headers=auth, json={"name": "mail", "role": "staff"}
            )
        ).json()["key"]
        address = (await client.get("/api/v1/inbound/address", headers=auth)).json()

        run = uuid.uuid4().hex[:6]

        async def product(c: httpx.AsyncClient, n: int) -> httpx.Response:
            body = {"sku": f"B-{run}-{n:08d}", "name": f"Bench product {n}"}
            return await c.post("/api/v1/products", headers=auth, json=body)

        async def ticket(c: httpx.AsyncClient, n: int) -> httpx.Response:
            body = {
                "subject": f"Pump {n} leaks",
                "description": "Water **everywhere**.",
                "priority": ("low", "normal", "high", "urgent")[n % 4],
                "team_id": team["id"],
                "requester": {"email": f"customer{n % 500}@bench.example"},
                "tags": ["bench"],
            }
            return await c.post("/api/v1/tickets", headers=auth, json=body)

        async def email(c: httpx.AsyncClient, n: int) -> httpx.Response:
            raw = _mail(n, address["address"]).as_bytes()
            headers = {"Authorization": f"Bearer {key}", "Content-Type": "message/rfc822"}
            return await c.post("/api/v1/inbound/email", headers=headers, content=raw)

        # Warm-up, unmeasured: every pooled connection prepares its statements (and asyncpg
        # introspects their types) once; at a few creations per second on a busy machine
        # that first cost would otherwise weigh on the measured phases.
        for name, request in (("products", product), ("tickets", ticket), ("e-mail", email)):
            await _phase(
                client, f"warm {name}", args.warmup, args.concurrency, request, args.server_pid
            )
        rates: dict[str, list[float]] = {"products": [], "tickets": []}
        cpu: dict[str, list[tuple[int, float]]] = {"products": [], "tickets": []}
        for round_ in (1, 2):
            for name, request in (("products", product), ("tickets", ticket)):
                count, elapsed, used = await _phase(
                    client, f"{name} {round_}", args.seconds, args.concurrency, request,
                    args.server_pid,
                )  # fmt: skip
                rates[name].append(count / elapsed)
                cpu[name].append((count, used))
        emails_done, email_elapsed, email_cpu = await _phase(
            client, "e-mail", args.seconds, args.concurrency, email, args.server_pid
        )

        def per_request_ms(runs: list[tuple[int, float]]) -> float:
            return sum(used for _, used in runs) / max(1, sum(n for n, _ in runs)) * 1000

        return {
            "products": sum(rates["products"]) / 2,
            "tickets": sum(rates["tickets"]) / 2,
            "product_cpu_ms": per_request_ms(cpu["products"]),
            "ticket_cpu_ms": per_request_ms(cpu["tickets"]),
            "email_cpu_ms": per_request_ms([(emails_done, email_cpu)]),
            "emails": emails_done / email_elapsed,
            "smtp_port": address["smtp_port"],
            "address": address["address"],
        }


def _smtp(port: int, address: str, messages: int, concurrency: int) -> float:
    """Messages per second through the SMTP listener, ``concurrency`` connections."""
    numbers = iter(range(10**6, 10**6 + messages))
    lock = threading.Lock()

    def sender() -> int:
        sent = 0
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
            while True:
                with lock:
                    n = next(numbers, None)
                if n is None:
                    return sent
                smtp.send_message(_mail(n, address), to_addrs=[address])
                sent += 1

    started = time.monotonic()
    with ThreadPoolExecutor(concurrency) as pool:
        total = sum(pool.map(lambda _: sender(), range(concurrency)))
    return total / (time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of each, unmeasured")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--smtp-messages", type=int, default=500)
    parser.add_argument("--record", action="store_true")
    parser.add_argument(
        "--profile", type=Path, help="py-spy the server during the HTTP phases (raw stacks)"
    )
    args = parser.parse_args()
    if args.profile and args.record:
        parser.error("--profile slows the server; do not record a profiled run")
    load_at_start = os.getloadavg()[0]
    with (
        bench_temp_dir("qm-bench-tickets-") as tmp,
        EmbeddedServices(Path(tmp) / "data") as urls,
    ):
        migrate.upgrade(
            urls.database_owner_url,
            app_role=migrate.application_role(urls.database_url, urls.database_owner_url),
        )
        asyncio.run(_prepare(urls.database_url))
        args.app_url = urls.database_url
        port, smtp_port = free_port(), free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("QM_")}
        env.update(
            QM_DATABASE_URL=urls.database_url,
            QM_DATABASE_OWNER_URL=urls.database_owner_url,
            QM_REDIS_URL=urls.redis_url,
            QM_SECRET_KEY=SECRET,
            QM_DATA_DIR=str(Path(tmp) / "data"),
            QM_LOG_LEVEL="WARNING",
            QM_INBOUND_SMTP_PORT=str(smtp_port),
            QM_DATABASE_POOL_SIZE=str(args.concurrency + 4),
        )
        server = _start(env, port)
        args.server_pid = server.pid
        spy = None
        if args.profile:
            spy = subprocess.Popen(
                ["py-spy", "record", "--pid", str(server.pid), "--rate", "200", "--format",
                 "raw", "--output", str(args.profile), "--nonblocking"],
                stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            results = asyncio.run(_http_phases(f"http://127.0.0.1:{port}", args))
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                spy.wait(timeout=60)
            smtp_rate = _smtp(
                results["smtp_port"], results["address"], args.smtp_messages, args.concurrency
            )
        finally:
            server.terminate()
            server.wait(timeout=60)

    ratio = results["tickets"] / results["products"]
    table = Table(title="Service desk")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("products created / s", f"{results['products']:,.0f}")
    table.add_row("tickets created / s (SLA + round robin)", f"{results['tickets']:,.0f}")
    table.add_row("tickets / products (target ≥ 0.5)", f"{ratio:.2f}")
    cpu_ratio = results["ticket_cpu_ms"] / results["product_cpu_ms"]
    table.add_row("server CPU ms per product", f"{results['product_cpu_ms']:.2f}")
    table.add_row("server CPU ms per ticket", f"{results['ticket_cpu_ms']:.2f}")
    table.add_row("server CPU per ticket / per product", f"{cpu_ratio:.2f}")
    table.add_row("server CPU ms per e-mail → ticket (webhook)", f"{results['email_cpu_ms']:.2f}")
    table.add_row("e-mail → ticket / s (webhook)", f"{results['emails']:,.0f}")
    table.add_row("e-mail → ticket / s (SMTP)", f"{smtp_rate:,.0f}")
    console.print(table)
    if args.record:
        lines = [
            "",
            f"### Service desk — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            "",
            f"Machine: {machine()}. Embedded PostgreSQL and Redis, one Uvicorn worker on "
            f"CPU 0, {args.concurrency} concurrent clients. Command: `uv run python "
            f"bench/tickets.py --seconds {args.seconds:g} --warmup {args.warmup:g} "
            f"--concurrency {args.concurrency} "
            f"--smtp-messages {args.smtp_messages} --record`. Load "
            f"average (1 min) at start: {load_at_start:.1f}.",
            "",
            "| measure | value |",
            "| --- | --- |",
            f"| products created / s | {results['products']:,.0f} |",
            f"| tickets created / s (SLA + round robin) | {results['tickets']:,.0f} |",
            f"| tickets / products | {ratio:.2f} (target ≥ 0.5) |",
            f"| server CPU per product / per ticket | {results['product_cpu_ms']:.2f} / "
            f"{results['ticket_cpu_ms']:.2f} ms ({cpu_ratio:.2f}x) |",
            f"| server CPU per e-mail → ticket, webhook | {results['email_cpu_ms']:.2f} ms |",
            f"| e-mail → ticket / s, webhook | {results['emails']:,.0f} |",
            f"| e-mail → ticket / s, SMTP | {smtp_rate:,.0f} |",
        ]
        console.print(f"recorded in {append_record(lines)}")


if __name__ == "__main__":
    main()
