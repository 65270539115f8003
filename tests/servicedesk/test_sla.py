"""SLA policies over the API, due dates on tickets, the pending pause, the SLA filters,
and the breach job: scheduled, each breach marked and emitted exactly once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from quartermaster.core.db import Database
from quartermaster.core.settings import Settings
from quartermaster.jobs.public import runtime_of
from quartermaster.modules import load_tasks
from quartermaster.servicedesk.service.sla import mark_breaches
from quartermaster.servicedesk.tasks import check_sla_breaches, schedules
from tests.builders import problem, tenant_tables
from tests.catalog.conftest import ok
from tests.conftest import TestServices
from tests.jobs.conftest import ctx, jobs_dir, jobs_settings, redis, runtime  # noqa: F401
from tests.servicedesk.conftest import ALWAYS, Desk, events, owner_sql, tenant_rows


def at(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


async def _always_open_policy(desk: Desk, **targets: Any) -> dict[str, Any]:
    return await desk.policy(
        "Around the clock",
        weekly_hours=ALWAYS,
        targets=targets or {"normal": {"first_response_minutes": 60, "resolution_minutes": 240}},
        is_default=True,
    )


class TestPolicies:
    async def test_a_calendar_without_hours_or_with_a_bad_zone_is_422_and_writes_nothing(
        self, desk: Desk, services: TestServices
    ) -> None:
        for fields, code in (
            ({"weekly_hours": {"mon": []}}, "invalid-sla-policy"),
            ({"weekly_hours": {"mon": ["17:00-09:00"]}}, "invalid-sla-policy"),
            ({"time_zone": "Mars/Olympus"}, "invalid-sla-policy"),
            ({"targets": {"normal": {"first_response_minutes": 0}}}, "validation-failed"),
            ({"holidays": ["0001-13-01"]}, "validation-failed"),
        ):
            body = {"name": "Bad", "weekly_hours": {"mon": ["09:00-17:00"]}, "targets": {}}
            problem(await desk.post("/sla-policies", {**body, **fields}), 422, code)
        policies = await tenant_tables(services, desk.account.tenant_id, ("sla_policies",))
        assert policies == {"sla_policies": []}

    async def test_the_first_policy_is_the_default_and_only_one_stays_default(
        self, desk: Desk
    ) -> None:
        first = await desk.policy("First")
        second = await desk.policy("Second", is_default=True)
        assert first["is_default"] is True
        policies = {p["name"]: p for p in await desk.items("/sla-policies")}
        assert (policies["First"]["is_default"], policies["Second"]["is_default"]) == (False, True)
        response = await desk.patch(f"/sla-policies/{second['id']}", {"is_default": False})
        problem(response, 422, "invalid-sla-policy")
        stale = await desk.patch(
            f"/sla-policies/{second['id']}", {"name": "Renamed"}, headers={"If-Match": '"99"'}
        )
        problem(stale, 412, "precondition-failed")

    async def test_a_team_policy_applies_to_its_tickets(self, desk: Desk) -> None:
        await desk.policy("Default")  # business hours only
        vip = await _always_open_policy(desk)
        team = await desk.team("VIP", sla_policy_id=vip["id"])
        ticket = await desk.ticket(team_id=team["id"])
        created = at(ticket["created_at"])
        assert created is not None
        assert ticket["sla"]["policy_id"] == vip["id"]
        assert at(ticket["sla"]["first_response_due_at"]) == created + timedelta(minutes=60)
        assert at(ticket["sla"]["resolution_due_at"]) == created + timedelta(minutes=240)
        assert ticket["sla"]["state"] in ("ok", "due_soon")


class TestClocks:
    async def test_without_a_policy_there_are_no_due_dates(self, desk: Desk) -> None:
        ticket = await desk.ticket()
        assert ticket["sla"]["state"] == "none"
        assert ticket["sla"]["resolution_due_at"] is None

    async def test_a_public_reply_stops_the_first_response_clock_an_internal_note_not(
        self, desk: Desk
    ) -> None:
        await _always_open_policy(desk)
        ticket = await desk.ticket()
        await desk.comment(ticket["id"], "Looking into it (note)", internal=True)
        assert (await desk.get_ticket(ticket["id"]))["sla"]["first_responded_at"] is None
        await desk.comment(ticket["id"], "We are on it.")
        after = await desk.get_ticket(ticket["id"])
        assert after["sla"]["first_responded_at"] is not None
        assert after["status"] == "open"  # a reply opens a new ticket

    async def test_pending_pauses_and_moves_the_due_dates_by_the_time_spent(
        self, desk: Desk, services: TestServices
    ) -> None:
        await _always_open_policy(desk)
        ticket = await desk.ticket()
        pending = await desk.moved(ticket["id"], "pending")
        assert pending["sla"]["state"] == "paused"
        assert pending["sla"]["paused_since"] is not None
        # Pretend it has been pending for two hours (the clock is the database's).
        await owner_sql(
            services,
            "UPDATE tickets SET sla_paused_at = sla_paused_at - interval '2 hours' WHERE id = $1",
            uuid.UUID(ticket["id"]),
        )
        resumed = await desk.moved(ticket["id"], "open")
        due_before = at(ticket["sla"]["resolution_due_at"])
        due_after = at(resumed["sla"]["resolution_due_at"])
        assert due_before is not None
        assert due_after is not None
        moved_by = due_after - due_before
        assert timedelta(hours=2) <= moved_by < timedelta(hours=2, minutes=1)
        assert resumed["sla"]["paused_since"] is None

    async def test_a_priority_change_recomputes_the_running_clocks(self, desk: Desk) -> None:
        await _always_open_policy(
            desk,
            normal={"first_response_minutes": 60, "resolution_minutes": 600},
            urgent={"first_response_minutes": 10, "resolution_minutes": 60},
        )
        ticket = await desk.ticket()
        urgent = ok(await desk.patch(f"/tickets/{ticket['id']}", {"priority": "urgent"}))
        created = at(ticket["created_at"])
        assert created is not None
        assert at(urgent["sla"]["resolution_due_at"]) == created + timedelta(minutes=60)
        assert urgent["sla"]["state"] == "due_soon"
        assert [t["id"] for t in await desk.list_tickets(sla="due_soon")] == [ticket["id"]]


class TestBreaches:
    async def test_the_job_marks_each_breach_once_with_one_event(
        self,
        desk: Desk,
        services: TestServices,
        ctx: dict[str, Any],  # noqa: F811
    ) -> None:
        await _always_open_policy(desk)
        late = await desk.ticket()
        in_time = await desk.ticket()
        await desk.comment(in_time["id"], "Answered at once.")
        # Both were due a minute ago: one was answered before that, one was not.
        await owner_sql(
            services,
            "UPDATE tickets SET first_response_due_at = now() - interval '1 minute', "
            "first_responded_at = first_responded_at - interval '2 minutes' "
            "WHERE id = ANY($1::uuid[])",
            [uuid.UUID(late["id"]), uuid.UUID(in_time["id"])],
        )
        assert await check_sla_breaches(ctx) == 1
        assert await check_sla_breaches(ctx) == 0
        # Operators see breaches as a metric of the worker that marked them.
        registry = runtime_of(ctx).metrics.registry
        sample = {"schedule": "check_sla_breaches"}
        assert registry.get_sample_value("qm_schedule_items_total", sample) == 1
        breached = await desk.get_ticket(late["id"])
        assert breached["sla"]["state"] == "breached"
        assert (await desk.get_ticket(in_time["id"]))["sla"]["breached_at"] is None
        emitted = [
            payload
            for kind, payload in await events(services, desk.account.tenant_id)
            if kind == "servicedesk.ticket.sla_breached"
        ]
        assert [(e["id"], e["missed"]) for e in emitted] == [(late["id"], ["first_response"])]
        assert [t["id"] for t in await desk.list_tickets(sla="breached")] == [late["id"]]

    async def test_a_due_date_passing_while_pending_is_no_breach_until_the_moved_one_passes(
        self,
        desk: Desk,
        services: TestServices,
        database: Database,
        ctx: dict[str, Any],  # noqa: F811
    ) -> None:
        """Both clocks are held while a ticket is pending (README, "SLA clocks"): due
        dates that pass while it waits for the customer are no breach; back to open, they
        have moved by the time spent pending, and only an overrun of the moved dates is
        marked. A ticket that was already late when it went pending is still a breach."""
        await _always_open_policy(desk)  # first response in 60 min, resolution in 240
        waiting, late = await desk.ticket(), await desk.ticket()
        for ticket in (waiting, late):
            await desk.moved(ticket["id"], "pending")
        # Both opened five hours ago. `waiting` went pending 30 minutes in, so both its
        # due dates (+1 h, +4 h) passed while pending; `late` went pending two hours in,
        # an hour after its first response was due.
        shift_back = (
            "UPDATE tickets SET created_at = created_at - interval '5 hours', "
            "resolution_started_at = resolution_started_at - interval '5 hours', "
            "first_response_due_at = first_response_due_at - interval '5 hours', "
            "resolution_due_at = resolution_due_at - interval '5 hours', "
            "sla_paused_at = created_at - $2::interval WHERE id = $1"
        )
        await owner_sql(services, shift_back, uuid.UUID(waiting["id"]), timedelta(hours=4.5))
        await owner_sql(services, shift_back, uuid.UUID(late["id"]), timedelta(hours=3))

        assert await check_sla_breaches(ctx) == 1
        held = await desk.get_ticket(waiting["id"])
        assert (held["sla"]["state"], held["sla"]["breached_at"]) == ("paused", None)
        assert (await desk.get_ticket(late["id"]))["sla"]["state"] == "breached"

        resumed = await desk.moved(waiting["id"], "open")
        created = datetime.fromisoformat(resumed["created_at"])
        paused_since = datetime.fromisoformat(held["sla"]["paused_since"])
        first_due = datetime.fromisoformat(resumed["sla"]["first_response_due_at"])
        resolution_due = datetime.fromisoformat(resumed["sla"]["resolution_due_at"])
        assert paused_since == created + timedelta(minutes=30)
        # Moved by the 4 h 30 min (and the moments of this test) spent pending.
        moved_by = first_due - (created + timedelta(hours=1))
        assert timedelta(hours=4, minutes=30) <= moved_by < timedelta(hours=4, minutes=31)
        assert resolution_due - (created + timedelta(hours=4)) == moved_by
        assert resumed["sla"]["state"] == "due_soon"  # 30 minutes of its first hour left
        assert await check_sla_breaches(ctx) == 0

        tenant = uuid.UUID(desk.account.tenant_id)

        async def check_at(moment: datetime) -> int:
            async with database.transaction(tenant) as session:
                return await mark_breaches(session, tenant, moment)

        assert await check_at(first_due - timedelta(seconds=1)) == 0
        assert await check_at(first_due + timedelta(seconds=1)) == 1
        breached = await desk.get_ticket(waiting["id"])
        assert at(breached["sla"]["breached_at"]) == first_due + timedelta(seconds=1)
        emitted = [
            (payload["id"], payload["missed"])
            for kind, payload in await events(services, desk.account.tenant_id)
            if kind == "servicedesk.ticket.sla_breached"
        ]
        assert emitted == [(late["id"], ["first_response"]), (waiting["id"], ["first_response"])]

    async def test_an_unanswered_ticket_reopened_keeps_what_was_left_of_its_first_response(
        self,
        desk: Desk,
        services: TestServices,
        database: Database,
        ctx: dict[str, Any],  # noqa: F811
    ) -> None:
        """Resolving stops the first-response clock; a requester who writes again a day
        later reopens the ticket, and the clock goes on with what was left (it is held while
        resolved, as while pending), instead of running from creation and breaching at once."""
        await _always_open_policy(desk)  # first response in 60 min, resolution in 240
        ticket = await desk.ticket()
        await desk.moved(ticket["id"], "open")
        await desk.moved(ticket["id"], "resolved")  # nobody replied
        # Opened a day ago, resolved 10 minutes in: 50 minutes of its first hour were left.
        shift_back = (
            "UPDATE tickets SET created_at = created_at - interval '1 day', "
            "resolution_started_at = resolution_started_at - interval '1 day', "
            "first_response_due_at = first_response_due_at - interval '1 day', "
            "resolution_due_at = resolution_due_at - interval '1 day', "
            "resolved_at = created_at - interval '1 day' + interval '10 minutes' WHERE id = $1"
        )
        await owner_sql(services, shift_back, uuid.UUID(ticket["id"]))

        reopened = await desk.moved(ticket["id"], "open")
        assert reopened["sla"]["first_responded_at"] is None
        reopened_at = datetime.fromisoformat(reopened["updated_at"])
        first_due = datetime.fromisoformat(reopened["sla"]["first_response_due_at"])
        assert timedelta(minutes=49) < first_due - reopened_at <= timedelta(minutes=50)
        resolution_due = datetime.fromisoformat(reopened["sla"]["resolution_due_at"])
        assert timedelta(hours=3, minutes=59) < resolution_due - reopened_at <= timedelta(hours=4)
        assert reopened["sla"]["state"] == "due_soon"  # 50 minutes to answer, not breached
        assert await check_sla_breaches(ctx) == 0

        tenant = uuid.UUID(desk.account.tenant_id)
        async with database.transaction(tenant) as session:
            assert await mark_breaches(session, tenant, first_due - timedelta(seconds=1)) == 0
        async with database.transaction(tenant) as session:
            assert await mark_breaches(session, tenant, first_due + timedelta(seconds=1)) == 1

    async def test_concurrent_runs_mark_and_emit_each_breach_exactly_once(
        self, desk: Desk, services: TestServices, database: Database
    ) -> None:
        await _always_open_policy(desk)
        for _ in range(20):
            await desk.ticket()
        tenant = uuid.UUID(desk.account.tenant_id)
        later = datetime.now(UTC) + timedelta(hours=6)

        async def run() -> int:
            async with database.transaction(tenant) as session:
                return await mark_breaches(session, tenant, later)

        counts = await asyncio.gather(*(run() for _ in range(4)))
        assert sum(counts) == 20
        rows = await tenant_rows(
            services,
            desk.account.tenant_id,
            "SELECT count(*) AS n FROM outbox_events "
            "WHERE type = 'servicedesk.ticket.sla_breached'",
        )
        assert rows[0]["n"] == 20

    def test_the_breach_check_is_scheduled_every_minute(self, settings: Settings) -> None:
        (job,) = schedules(settings)
        assert job.name == "servicedesk.check_sla_breaches"
        assert job.unique is True
        assert (job.minute, job.second) == (None, 15)
        assert any(c.name == job.name for c in load_tasks(settings)[1])
