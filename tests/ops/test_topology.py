"""Quartermaster as several processes behind nginx and pgbouncer (transaction mode):
two API replicas, one relay, two workers — real processes, every client through nginx.

Each test signs up an organization of its own and leaves the topology whole (whatever
it kills, it starts again). The relay polls only once an hour here, so every live event
in these tests reached it through a NOTIFY sent through pgbouncer to its direct LISTEN.
The counts (retried requests, repeated deliveries, reconnects) are recorded as test
properties and shown in failure messages.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import httpx
import pytest

from topology import tools
from topology.clients import (
    API,
    WAIT,
    LiveClient,
    MovementLoad,
    Organization,
    offsets_increase,
)
from topology.cluster import Topology

pytestmark = pytest.mark.slow

JOB_ROWS = 1500


@pytest.fixture(scope="module")
def topology(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    try:
        tools.ensure(tools.PGBOUNCER, tools.NGINX)
    except tools.MissingTool as exc:
        pytest.fail(str(exc), pytrace=False)
    topo = Topology(
        tmp_path_factory.mktemp("topology"),
        env={
            "QM_RELAY_POLL_INTERVAL_SECONDS": "3600",
            "QM_JOBS_LEASE_SECONDS": "3",
            "QM_JOBS_POLL_SECONDS": "0.2",
            "QM_JOBS_IMPORT_CHUNK_ROWS": "10",
            "QM_PASSWORD_ARGON2_TIME_COST": "1",
            "QM_PASSWORD_ARGON2_MEMORY_KIB": "1024",
        },
    )
    with topo:
        yield topo


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


def upstream(topo: Topology, replica: str) -> str:
    return f"127.0.0.1:{topo.api(replica).port}"


async def tenant_fetch(topo: Topology, tenant_id: str, query: str) -> list[asyncpg.Record]:
    """``query`` as the application role in the tenant's scope (directly, not through
    the topology: what is committed)."""
    assert topo.database is not None
    connection = await asyncpg.connect(topo.database.direct("app"))
    try:
        async with connection.transaction():
            await connection.execute("SELECT set_config('app.tenant_id', $1, true)", tenant_id)
            return list(await connection.fetch(query))
    finally:
        await connection.close()


async def ledger(topo: Topology, org: Organization) -> tuple[int, int]:
    """(ledger lines, on-hand quantity) of the organization's product."""
    lines = await tenant_fetch(topo, org.tenant_id, "SELECT count(*) AS n FROM stock_movements")
    level = await tenant_fetch(
        topo, org.tenant_id, "SELECT coalesce(sum(on_hand), 0)::int AS n FROM stock_levels"
    )
    return lines[0]["n"], level[0]["n"]


async def all_published(topo: Topology, tenant_id: str) -> None:
    """Until the relay has published every committed event of the tenant."""
    assert topo.database is not None
    connection = await asyncpg.connect(topo.database.direct("owner"))
    try:
        async with asyncio.timeout(WAIT):
            # Polling the database: nothing signals "all published" to an outsider.
            while await connection.fetchval(  # noqa: ASYNC110
                "SELECT count(*) FROM outbox_events WHERE tenant_id = $1 AND published_at IS NULL",
                tenant_id,
            ):
                await asyncio.sleep(0.1)
    finally:
        await connection.close()


async def connected(client: LiveClient) -> LiveClient:
    client.start()
    await asyncio.wait_for(client.connected.wait(), WAIT)
    return client


class TestLiveAcrossReplicas:
    async def test_a_client_on_one_replica_sees_in_order_what_the_other_wrote_and_resumes_on_it(
        self, topology: Topology, http: httpx.AsyncClient
    ) -> None:
        org = await Organization.create(http, topology.base_url, "Across")
        on_a = await connected(LiveClient(topology.ws_url, org.token, replica="a"))
        assert on_a.upstreams == [upstream(topology, "a")]

        through_b = MovementLoad(org, replica="b")
        written = [await through_b.post_once(http, f"live-{n}") for n in range(10)]
        assert {o.upstreams[-1] for o in written} == {upstream(topology, "b")}
        batches = [o.batch_id for o in written if o.batch_id]
        assert len(batches) == 10
        await on_a.wait_for_batches(set(batches))
        assert on_a.batches() == batches  # live, complete, in the order they committed
        assert offsets_increase(on_a.received)
        await on_a.stop()

        # Written while nobody listened, through A; then a client resumes on B.
        through_a = MovementLoad(org, replica="a")
        missed = [await through_a.post_once(http, f"missed-{n}") for n in range(5)]
        missed_batches = [o.batch_id for o in missed if o.batch_id]
        assert [o.status for o in missed] == [201] * 5
        resumed = await connected(
            LiveClient(topology.ws_url, org.token, replica="b", since=on_a.since)
        )
        assert resumed.upstreams == [upstream(topology, "b")]
        later = [await through_a.post_once(http, f"later-{n}") for n in range(3)]
        later_batches = [o.batch_id for o in later if o.batch_id]
        assert [o.status for o in later] == [201] * 3
        await resumed.wait_for_batches(set(missed_batches + later_batches))
        await resumed.stop()
        # No gap, no duplicate: exactly what was missed, then what came after.
        assert resumed.batches() == missed_batches + later_batches
        assert resumed.repeats() == 0
        assert await ledger(topology, org) == (18, 18)


class TestFaults:
    async def test_relay_killed_mid_burst_loses_and_duplicates_no_event(
        self, topology: Topology, http: httpx.AsyncClient, record_property: Any
    ) -> None:
        org = await Organization.create(http, topology.base_url, "Relay Crash")
        client = await connected(LiveClient(topology.ws_url, org.token))
        load = MovementLoad(org, concurrency=4)
        load.start()
        try:
            await load.wait_for(20)
            assert topology.relay is not None
            topology.relay.kill()  # mid-burst: events keep being committed meanwhile
            await load.wait_for(len(load.succeeded) + 30)
            topology.relay.restart()
            await load.wait_for(len(load.succeeded) + 20)
        finally:
            await load.stop()
        committed = [o.batch_id for o in load.succeeded if o.batch_id]
        assert not load.failed, load.failed
        await client.wait_for_batches(set(committed))
        await all_published(topology, org.tenant_id)
        await client.stop()
        record_property("relay_crash_repeated_deliveries", client.repeats())
        record_property("relay_crash_retried_requests", load.retried_requests)
        # Each committed movement's event exactly once (a repeat carries the same
        # event_id, which clients drop), none invented, in stream order.
        assert sorted(client.batches()) == sorted(committed)
        assert len(set(client.batches())) == len(client.batches())
        assert offsets_increase(client.received)
        assert await ledger(topology, org) == (len(committed), len(committed))

    async def test_worker_killed_mid_job_the_job_finishes_once(
        self, topology: Topology, http: httpx.AsyncClient, record_property: Any
    ) -> None:
        org = await Organization.create(http, topology.base_url, "Worker Crash")
        jobs_feed = await connected(LiveClient(topology.ws_url, org.token, channel="jobs:updates"))
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(["sku", "name"])
        writer.writerows([f"JOB-{n:05d}", f"Imported item {n}"] for n in range(JOB_ROWS))
        upload = await http.post(
            f"{topology.base_url}{API}/imports/products",
            headers=org.headers,
            files={"file": ("products.csv", buffer.getvalue().encode(), "text/csv")},
        )
        assert upload.status_code == 202, upload.text
        job_id = upload.json()["id"]

        async def job() -> dict[str, Any]:
            url = f"{topology.base_url}{API}/jobs/{job_id}"
            response = await http.get(url, headers=org.headers)
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            return body

        async with asyncio.timeout(WAIT):
            while (state := await job())["progress"] < 1:
                assert state["status"] in ("queued", "running"), state
                await asyncio.sleep(0.05)
        running_on = [w for w in topology.workers if job_id in w.log.read_text(errors="replace")]
        assert len(running_on) == 1, "exactly one worker started the job"
        killed = running_on[0]
        killed.kill()
        progress_at_kill = state["progress"]
        try:
            async with asyncio.timeout(WAIT * 2):
                # Polling the job's row through the API, as a client would.
                while (state := await job())["status"] in ("queued", "running"):  # noqa: ASYNC110
                    await asyncio.sleep(0.1)
        finally:
            killed.restart()
        record_property("job_progress_at_kill", progress_at_kill)
        assert progress_at_kill < 100
        assert state["status"] == "succeeded", state
        assert state["attempts"] == 2, state  # the killed attempt and the one that finished
        assert state["result"]["created"] == JOB_ROWS, state["result"]
        assert state["result"]["updated"] == 0, state["result"]
        products = await tenant_fetch(topology, org.tenant_id, "SELECT count(*) AS n FROM products")
        assert products[0]["n"] == JOB_ROWS + 1  # and the organization's own product
        await all_published(topology, org.tenant_id)
        await jobs_feed.wait_until(
            lambda: any(e.type == "jobs.job.succeeded" for e in jobs_feed.received)
        )
        await jobs_feed.stop()
        succeeded = {e.event_id for e in jobs_feed.received if e.type == "jobs.job.succeeded"}
        assert len(succeeded) == 1

    async def test_api_replica_killed_under_load_loses_nothing_and_clients_resume(
        self, topology: Topology, http: httpx.AsyncClient, record_property: Any
    ) -> None:
        org = await Organization.create(http, topology.base_url, "Replica Crash")
        on_a = await connected(LiveClient(topology.ws_url, org.token, replica="a"))
        on_b = await connected(LiveClient(topology.ws_url, org.token, replica="b"))
        load = MovementLoad(org, concurrency=6)
        load.start()
        try:
            await load.wait_for(20)
            topology.api("a").kill()
            await load.wait_for(len(load.succeeded) + 40)
            topology.api("a").restart()
            await load.wait_for(len(load.succeeded) + 20)
        finally:
            await load.stop()
        committed = [o.batch_id for o in load.succeeded if o.batch_id]
        record_property("replica_crash_retried_requests", load.retried_requests)
        record_property("replica_crash_retry_reasons", dict(load.retry_reasons))
        assert not load.failed, load.failed
        # Retried requests were answered by the replay of their first success at most once.
        assert len(set(committed)) == len(committed)
        for client in (on_a, on_b):
            await client.wait_for_batches(set(committed))
            await client.stop()
            assert sorted(client.batches()) == sorted(committed)
            assert client.repeats() == 0
            assert offsets_increase(client.received)
        assert on_a.reconnects >= 1  # it was on the replica that died, and came back
        assert len(on_a.upstreams) >= 2
        assert await ledger(topology, org) == (len(committed), len(committed))

    async def test_rolling_restart_under_load_drops_no_request(
        self, topology: Topology, http: httpx.AsyncClient, record_property: Any
    ) -> None:
        org = await Organization.create(http, topology.base_url, "Rolling")
        client = await connected(LiveClient(topology.ws_url, org.token))
        load = MovementLoad(org, concurrency=4)
        load.start()
        try:
            await load.wait_for(10)
            pids = [api.pid for api in topology.apis]
            await asyncio.to_thread(topology.rolling_restart)
            assert all(api.pid not in pids for api in topology.apis)
            await load.wait_for(len(load.succeeded) + 10)
        finally:
            await load.stop()
        committed = [o.batch_id for o in load.succeeded if o.batch_id]
        record_property("rolling_restart_requests", len(load.outcomes))
        record_property("rolling_restart_retried_requests", load.retried_requests)
        record_property("rolling_restart_retry_reasons", dict(load.retry_reasons))
        # Every request was answered with success, a retry (same Idempotency-Key) counted
        # above when one was needed; none was dropped.
        assert not load.failed, load.failed
        assert await ledger(topology, org) == (len(committed), len(committed))
        await client.wait_for_batches(set(committed))
        await client.stop()
        assert sorted(client.batches()) == sorted(committed)
        assert client.repeats() == 0
        assert 1001 in client.close_codes  # its replica went away gracefully; it resumed


class TestThroughPgbouncer:
    async def test_tenants_advisory_locks_and_shared_server_connections(
        self, topology: Topology, http: httpx.AsyncClient
    ) -> None:
        first = await Organization.create(http, topology.base_url, "Bouncer One")
        second = await Organization.create(http, topology.base_url, "Bouncer Two")
        # A reorder point makes every receipt take the alert's transaction-scoped advisory
        # lock; a second location of the same warehouse makes two writers contend for it.
        response = await http.patch(
            f"{topology.base_url}{API}/products/{first.product_id}",
            headers={**first.headers, "If-Match": '"1"'},
            json={"reorder_point": "30"},
        )
        assert response.status_code == 200, response.text
        other = await first.post(
            http,
            "/locations",
            {"warehouse_id": first.warehouse_id, "code": "B-01", "name": "Bin B-01"},
        )
        stats_before = _xacts(topology)
        loads = [MovementLoad(first, concurrency=4), MovementLoad(second, concurrency=4)]
        for load in loads:
            load.start()
        try:
            second_bin = MovementLoad(first, concurrency=1, location_id=other["id"])
            async with httpx.AsyncClient(timeout=30) as other_client:
                for n in range(10):
                    outcome = await second_bin.post_once(other_client, f"bin-b-{n}")
                    assert outcome.status == 201
            await loads[0].wait_for(40)
            await loads[1].wait_for(40)
            clients, servers = _connections(topology)
        finally:
            for load in loads:
                await load.stop()
        for load in loads:
            assert not load.failed, load.failed
        # Server connections were shared: more clients than PostgreSQL backends.
        assert clients > servers, (clients, servers)
        assert _xacts(topology) > stats_before
        # Each tenant saw only its own movements, whichever backend served it.
        for org, load, extra in ((first, loads[0], 10), (second, loads[1], 0)):
            response = await http.get(
                f"{topology.base_url}{API}/stock/movements",
                headers=org.headers,
                params={"limit": 500},
            )
            seen = {row["batch_id"] for row in response.json()["items"]}
            mine = {o.batch_id for o in load.succeeded}
            assert len(seen) == len(mine) + extra
            assert mine <= seen
        alerts = await tenant_fetch(
            topology, first.tenant_id, "SELECT status FROM stock_alerts ORDER BY raised_at"
        )
        assert [row["status"] for row in alerts] == ["resolved"]


def _xacts(topology: Topology) -> int:
    rows = topology.bouncer_show("STATS")
    return sum(int(row["total_xact_count"]) for row in rows if row["database"] != "pgbouncer")


def _connections(topology: Topology) -> tuple[int, int]:
    """(client connections, server connections) of the application role in pgbouncer."""
    assert topology.database is not None
    clients = [r for r in topology.bouncer_show("CLIENTS") if r["user"] == topology.database.app]
    servers = [r for r in topology.bouncer_show("SERVERS") if r["user"] == topology.database.app]
    return len(clients), len(servers)
