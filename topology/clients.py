"""Clients of a topology, all through nginx: an organization to work in, a load of stock
movements (each with an Idempotency-Key, retried with the same key when the proxy or a
replica fails, and counted), and live clients that reconnect and resume."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import secrets
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

API = "/api/v1"
PASSWORD = "a long passphrase for the topology"
# Answers that mean "this attempt did not reach a working replica": retried with the
# same Idempotency-Key.
RETRIED_STATUSES = {502, 503, 504}
WAIT = 60.0


def replica_header(replica: str | None) -> dict[str, str]:
    return {"X-QM-Replica": replica} if replica else {}


@dataclass
class Organization:
    """A signed-up organization with a warehouse, a location and a product."""

    base_url: str
    token: str
    tenant_id: str
    product_id: str = ""
    location_id: str = ""
    warehouse_id: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @classmethod
    async def create(cls, http: httpx.AsyncClient, base_url: str, name: str) -> Organization:
        signup = await http.post(
            f"{base_url}{API}/auth/signup",
            json={
                "organization": name,
                "email": f"{secrets.token_hex(6)}@{name.lower().replace(' ', '-')}.example",
                "password": PASSWORD,
                "full_name": "Topology Tester",
            },
        )
        assert signup.status_code == 201, signup.text
        body = signup.json()
        org = cls(base_url, body["access_token"], body["tenant"]["id"])
        warehouse = await org.post(http, "/warehouses", {"code": "MAIN", "name": "Main"})
        org.warehouse_id = warehouse["id"]
        location = await org.post(
            http,
            "/locations",
            {"warehouse_id": org.warehouse_id, "code": "A-01", "name": "Bin A-01"},
        )
        org.location_id = location["id"]
        product = await org.post(
            http,
            "/products",
            {"sku": f"TOPO-{secrets.token_hex(3)}", "name": "Topology widget", "unit": "pcs"},
        )
        org.product_id = product["id"]
        return org

    async def post(self, http: httpx.AsyncClient, path: str, body: dict[str, Any]) -> Any:
        response = await http.post(f"{self.base_url}{API}{path}", headers=self.headers, json=body)
        assert response.status_code == 201, response.text
        return response.json()

    def receipt(self, reference: str, location_id: str | None = None) -> dict[str, Any]:
        return {
            "kind": "receipt",
            "product_id": self.product_id,
            "to_location_id": location_id or self.location_id,
            "quantity": "1",
            "reference": reference,
        }


@dataclass
class Outcome:
    key: str
    status: int
    batch_id: str | None
    attempts: int
    upstreams: list[str]


@dataclass
class MovementLoad:
    """``concurrency`` writers posting one-unit receipts through nginx until stopped."""

    org: Organization
    concurrency: int = 4
    replica: str | None = None
    location_id: str | None = None
    max_attempts: int = 20
    outcomes: list[Outcome] = field(default_factory=list)
    retried_requests: int = 0
    retry_reasons: Counter[str] = field(default_factory=Counter)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    progress: asyncio.Event = field(default_factory=asyncio.Event)

    def start(self) -> None:
        for index in range(self.concurrency):
            self._tasks.append(asyncio.create_task(self._writer(index)))

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks)

    async def wait_for(self, count: int) -> None:
        """Until at least ``count`` movements were recorded (at most WAIT seconds)."""
        async with asyncio.timeout(WAIT):
            while len(self.succeeded) < count:
                self.progress.clear()
                await self.progress.wait()

    @property
    def succeeded(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status in (200, 201)]

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status not in (200, 201)]

    async def _writer(self, index: int) -> None:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(timeout=30, limits=limits) as http:
            sequence = 0
            while not self._stop.is_set():
                sequence += 1
                self.outcomes.append(await self.post_once(http, f"w{index}-{sequence}"))
                self.progress.set()

    async def post_once(self, http: httpx.AsyncClient, reference: str) -> Outcome:
        """One movement, retried with the same Idempotency-Key until it is answered."""
        key = str(uuid.uuid4())
        headers = {**self.org.headers, "Idempotency-Key": key, **replica_header(self.replica)}
        body = self.org.receipt(reference, self.location_id)
        upstreams: list[str] = []
        status = 0
        for attempt in range(1, self.max_attempts + 1):
            try:
                response = await http.post(
                    f"{self.org.base_url}{API}/stock/movements", headers=headers, json=body
                )
            except httpx.TransportError as exc:
                reason = type(exc).__name__
            else:
                status = response.status_code
                upstreams.append(response.headers.get("x-qm-upstream", ""))
                if status not in RETRIED_STATUSES:
                    batch = response.json().get("id") if status in (200, 201) else None
                    return Outcome(key, status, batch, attempt, upstreams)
                reason = str(status)
            self.retried_requests += 1
            self.retry_reasons[reason] += 1
            await asyncio.sleep(0.05 * attempt)  # back off before trying again
        return Outcome(key, status, None, self.max_attempts, upstreams)


@dataclass
class Received:
    event_id: str
    offset: str
    type: str
    batch_id: str | None


@dataclass
class LiveClient:
    """A WebSocket client through nginx that keeps its last position and, whenever its
    connection ends, reconnects (through nginx, to whichever replica it is given) and
    resumes from there."""

    ws_url: str
    token: str
    channel: str = "inventory:updates"
    replica: str | None = None
    received: list[Received] = field(default_factory=list)
    reconnects: int = 0
    upstreams: list[str] = field(default_factory=list)
    close_codes: list[int] = field(default_factory=list)
    since: dict[str, str] | None = None
    _task: asyncio.Task[None] | None = None
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)
    connected: asyncio.Event = field(default_factory=asyncio.Event)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def batches(self) -> list[str]:
        """Batch ids of the stock movements received, each once (repeats — same
        ``event_id`` after a relay crash — dropped, as a client must)."""
        seen: set[str] = set()
        out = []
        for event in self.received:
            if event.event_id in seen or event.batch_id is None:
                continue
            seen.add(event.event_id)
            out.append(event.batch_id)
        return out

    def repeats(self) -> int:
        return len(self.received) - len({event.event_id for event in self.received})

    async def wait_for_batches(self, wanted: set[str]) -> None:
        await self.wait_until(lambda: wanted <= set(self.batches()))

    async def wait_until(self, condition: Callable[[], bool]) -> None:
        """Until ``condition()`` holds, checked as each event arrives (at most WAIT s)."""
        async with asyncio.timeout(WAIT):
            while not condition():
                self._arrived.clear()
                await self._arrived.wait()

    async def _run(self) -> None:
        replica = self.replica
        while not self._stop.is_set():
            try:
                async with connect(
                    self.ws_url,
                    subprotocols=["bearer", self.token],  # type: ignore[list-item]
                    additional_headers=replica_header(replica),
                    open_timeout=WAIT,
                    max_queue=None,
                ) as ws:
                    upstream = ws.response.headers.get("x-qm-upstream", "")
                    self.upstreams.append(upstream)
                    try:
                        await self._session(ws)  # returns when the server closed cleanly
                    finally:
                        if ws.close_code is not None:
                            self.close_codes.append(ws.close_code)
            except (ConnectionClosed, InvalidStatus, OSError, TimeoutError):
                pass  # reconnect below
            self.connected.clear()
            if self._stop.is_set():
                return
            # Resume through nginx wherever it sends us (a pinned replica may be gone).
            replica = None
            self.reconnects += 1
            await asyncio.sleep(0.1)

    async def _session(self, ws: ClientConnection) -> None:
        subscribe: dict[str, Any] = {"op": "subscribe", "channels": [self.channel]}
        if self.since is not None:
            subscribe["since"] = self.since
        await ws.send(json.dumps(subscribe))
        async for raw in ws:
            message = json.loads(raw)
            op = message["op"]
            if op == "subscribed":
                if self.since is None:
                    self.since = {"offset": message["offset"], "epoch": message["epoch"]}
                self.connected.set()
            elif op == "event":
                data = message.get("data") or {}
                self.received.append(
                    Received(
                        event_id=message["event_id"],
                        offset=message["offset"],
                        type=message["type"],
                        batch_id=data.get("batch_id") if isinstance(data, dict) else None,
                    )
                )
                self.since = {"offset": message["offset"], "epoch": message["epoch"]}
                self._arrived.set()
            elif op == "resync_required":
                raise AssertionError(f"resync_required: {message}")


def offsets_increase(received: list[Received]) -> bool:
    """Stream offsets (``<ms>-<seq>``) strictly increase in arrival order."""
    keys = [tuple(int(part) for part in event.offset.split("-")) for event in received]
    return all(a < b for a, b in itertools.pairwise(keys))
