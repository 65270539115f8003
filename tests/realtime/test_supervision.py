"""The gateway's background tasks stay alive: a lost Redis subscription or an unexpected
exception is logged, the task runs again after a jittered, capped backoff, and /readyz
reports live delivery down meanwhile."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from quartermaster.core.db import Database
from quartermaster.core.relay import OutboxRelay
from quartermaster.realtime import supervisor
from quartermaster.realtime.feed import LiveEvent
from quartermaster.realtime.supervisor import Backoff, Supervised
from tests.builders import WAIT, eventually
from tests.identity.conftest import Account
from tests.realtime.conftest import LiveServer, emit_events, event_ids, open_socket

INVENTORY = "inventory:updates"
# Long enough that a poll sees the outage (a delay is drawn from [1, 2] s).
SLOW = Backoff(first=2.0, cap=2.0)


class Logs:
    """What the supervisor logs (its module's logger, replaced for the test)."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def __getattr__(self, level: str) -> Any:
        return lambda event, **fields: self.entries.append(
            {"event": event, "level": level, **fields}
        )


@pytest.fixture
def logs(monkeypatch: pytest.MonkeyPatch) -> Logs:
    recorded = Logs()
    monkeypatch.setattr(supervisor, "log", recorded)
    return recorded


async def readiness(live: LiveServer) -> tuple[int, dict[str, Any]]:
    async with httpx.AsyncClient(base_url=live.http_url, timeout=WAIT) as http:
        response = await http.get("/readyz")
    body: dict[str, Any] = response.json()
    return response.status_code, body


async def ready_is(live: LiveServer, status: int) -> bool:
    return (await readiness(live))[0] == status


class TestReadiness:
    async def test_a_killed_subscription_is_not_ready_until_it_is_back_and_events_flow_again(
        self,
        live: LiveServer,
        alice: Account,
        database: Database,
        relay: OutboxRelay,
        redis: Redis,
    ) -> None:
        assert await readiness(live) == (200, {"database": "ok", "redis": "ok", "live": "ok"})
        live.gateway.hub.backoff = SLOW
        connections = live.gateway.hub.connections
        async with open_socket(live, alice.access_token) as socket:
            await socket.subscribe(INVENTORY)
            # The server closes the subscription's connection.
            await redis.client_kill_filter(_type="pubsub")
            await eventually(lambda: ready_is(live, 503), what="readyz 503")
            status, body = await readiness(live)
            assert (status, body["live"], body["code"]) == (503, "down", "not-ready")
            assert body["detail"] == "Not ready: live is down."
            await eventually(lambda: ready_is(live, 200), what="readyz 200 again")
            assert live.gateway.hub.connections > connections
            emitted = await emit_events(database, uuid.UUID(alice.tenant_id))
            await relay.publish_pending()
            assert event_ids(await socket.events(1)) == emitted

    async def test_an_unexpected_error_is_logged_and_the_hub_runs_again(
        self,
        live: LiveServer,
        alice: Account,
        database: Database,
        relay: OutboxRelay,
        logs: Logs,
    ) -> None:
        hub = live.gateway.hub
        state = live.gateway.hub_state
        assert state is not None
        state.backoff = SLOW
        dispatch = hub.dispatch_events
        failures: list[int] = []

        def fail_once(events: list[LiveEvent]) -> None:
            if not failures:
                failures.append(len(events))
                raise ZeroDivisionError("a bug in the fan-out")
            dispatch(events)

        hub.dispatch_events = fail_once  # type: ignore[method-assign]
        tenant = uuid.UUID(alice.tenant_id)
        async with open_socket(live, alice.access_token) as socket:
            await socket.subscribe(INVENTORY)
            lost = await emit_events(database, tenant)  # the event the bug swallows
            await relay.publish_pending()
            await eventually(lambda: ready_is(live, 503), what="readyz 503")
            await eventually(lambda: ready_is(live, 200), what="readyz 200 again")
            failed = [entry for entry in logs.entries if entry["event"] == "live_task_failed"]
            # Logged with its traceback (log.exception), naming the task.
            assert failed == [
                {"event": "live_task_failed", "level": "exception", "task": "live-hub"}
            ]
            assert state.restarts == 1
            # On resubscribing, the feed catches up from the stream: nothing is lost.
            assert event_ids(await socket.events(1)) == lost
            after = await emit_events(database, tenant)
            await relay.publish_pending()
            assert event_ids(await socket.events(1)) == after


class TestBackoff:
    def test_delays_double_up_to_the_cap_each_from_its_upper_half(self) -> None:
        backoff = Backoff(first=0.1, cap=0.8)
        delays = [backoff.next_delay() for _ in range(6)]
        for delay, bound in zip(delays, [0.1, 0.2, 0.4, 0.8, 0.8, 0.8], strict=True):
            assert bound / 2 <= delay <= bound
        backoff.reset()
        assert backoff.next_delay() <= 0.1

    def test_the_delays_are_jittered(self) -> None:
        assert len({Backoff(first=1.0, cap=1.0).next_delay() for _ in range(20)}) > 1

    async def test_a_failing_task_is_restarted_and_cancellation_ends_it(self, logs: Logs) -> None:
        supervised = Supervised("flaky", Backoff(first=0.01, cap=0.02))
        runs: list[int] = []
        release = asyncio.Event()

        async def body() -> None:
            runs.append(len(runs))
            if len(runs) < 3:
                raise RuntimeError("boom")
            await release.wait()

        task = asyncio.create_task(supervised.run(body))
        await eventually(lambda: len(runs) == 3 and supervised.running, what="third run")
        assert supervised.restarts == 2
        assert [e["event"] for e in logs.entries if e["level"] == "exception"] == [
            "live_task_failed",
            "live_task_failed",
        ]
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        assert task.cancelled()
        assert not supervised.running
