"""Teams and fair assignment: manual, round robin (also under 50 concurrent creations,
against a real Uvicorn), load balanced; away agents are skipped; reopened tickets."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest

from quartermaster.realtime.channels import channel_of
from tests.builders import problem, tenant_tables
from tests.catalog.conftest import ok
from tests.conftest import TestServices
from tests.identity.conftest import Account, Identity
from tests.inventory.test_concurrency import CONCURRENCY, http, live_url  # noqa: F401
from tests.servicedesk.conftest import Desk, events, tenant_rows


async def _agents(identity: Identity, owner: Account, count: int) -> list[Account]:
    return [await identity.member(owner, "staff") for _ in range(count)]


class TestTeams:
    async def test_members_must_be_agents_and_the_first_team_is_the_default(
        self, desk: Desk, identity: Identity
    ) -> None:
        agent = await identity.member(desk.account, "staff")
        viewer = await identity.member(desk.account, "viewer")
        response = await desk.post(
            "/teams", {"name": "Support", "member_ids": [agent.user_id, viewer.user_id]}
        )
        problem(response, 422, "invalid-fields")
        assert response.json()["errors"][0]["field"] == "member_ids.1"
        first = await desk.team("Support", members=[agent.user_id])
        second = await desk.team("Returns", is_default=True)
        assert first["is_default"] is True
        assert [m["user_id"] for m in first["members"]] == [agent.user_id]
        teams = {t["name"]: t for t in await desk.items("/teams")}
        assert teams["Returns"]["is_default"] is True
        assert teams["Support"]["is_default"] is False
        duplicate = await desk.post("/teams", {"name": "support"})
        problem(duplicate, 409, "team-name-taken")
        assert second["assignment_strategy"] == "manual"

    async def test_staff_cannot_configure_teams(
        self, desk: Desk, identity: Identity, services: TestServices
    ) -> None:
        staff = desk.as_(await identity.member(desk.account, "staff"))
        response = await staff.post("/teams", {"name": "Mine"})
        problem(response, 403, "permission-denied")
        assert await tenant_tables(services, desk.account.tenant_id, ("teams",)) == {"teams": []}

    async def test_a_ticket_without_a_team_goes_to_the_default_team(self, desk: Desk) -> None:
        team = await desk.team("Front desk")
        assert (await desk.ticket())["team_id"] == team["id"]


class TestRoundRobin:
    async def test_agents_take_turns_and_away_agents_are_skipped(
        self, desk: Desk, identity: Identity
    ) -> None:
        a, b, c = await _agents(identity, desk.account, 3)
        team = await desk.team(
            "Support", members=[a.user_id, b.user_id, c.user_id], assignment_strategy="round_robin"
        )
        turns = [(await desk.ticket(team_id=team["id"]))["assignee_id"] for _ in range(6)]
        assert turns[:3] == [a.user_id, b.user_id, c.user_id]
        assert turns[3:] == turns[:3]

        away = ok(await desk.as_(b).patch(f"/agents/{b.user_id}", {"is_away": True}))
        assert away["is_away"] is True
        turns = [(await desk.ticket(team_id=team["id"]))["assignee_id"] for _ in range(4)]
        assert b.user_id not in turns
        assert Counter(turns) == {a.user_id: 2, c.user_id: 2}

        ok(await desk.as_(b).patch(f"/agents/{b.user_id}", {"is_away": False}))
        # Back from being away, b has waited longest and is next.
        assert (await desk.ticket(team_id=team["id"]))["assignee_id"] == b.user_id

    async def test_an_agent_marks_only_themselves_away_a_manager_anyone(
        self, desk: Desk, identity: Identity
    ) -> None:
        a, b = await _agents(identity, desk.account, 2)
        response = await desk.as_(a).patch(f"/agents/{b.user_id}", {"is_away": True})
        problem(response, 403, "permission-denied")
        manager = desk.as_(await identity.member(desk.account, "manager"))
        assert ok(await manager.patch(f"/agents/{b.user_id}", {"is_away": True}))["is_away"]

    async def test_marking_away_and_back_is_an_event_on_tickets_updates_once_per_change(
        self, desk: Desk, identity: Identity, services: TestServices
    ) -> None:
        a, b = await _agents(identity, desk.account, 2)
        manager = desk.as_(await identity.member(desk.account, "manager"))
        ok(await manager.patch(f"/agents/{b.user_id}", {"is_away": True}))
        ok(await manager.patch(f"/agents/{b.user_id}", {"is_away": True}))  # no change
        ok(await desk.as_(b).patch(f"/agents/{b.user_id}", {"is_away": False}))
        ok(await desk.as_(a).patch(f"/agents/{a.user_id}", {"is_away": False}))  # no change
        refused = await desk.as_(a).patch(f"/agents/{b.user_id}", {"is_away": True})
        problem(refused, 403, "permission-denied")

        changes = [
            payload
            for kind, payload in await events(services, desk.account.tenant_id)
            if kind == "servicedesk.agent.updated"
        ]
        assert [(c["user_id"], c["is_away"]) for c in changes] == [
            (b.user_id, True),
            (b.user_id, False),
        ]
        assert changes[1]["changed_by"] == b.user_id
        assert channel_of("servicedesk.agent.updated") == "tickets:updates"

    async def test_nobody_available_leaves_the_ticket_unassigned(
        self, desk: Desk, identity: Identity
    ) -> None:
        (a,) = await _agents(identity, desk.account, 1)
        team = await desk.team("Support", members=[a.user_id], assignment_strategy="round_robin")
        ok(await desk.as_(a).patch(f"/agents/{a.user_id}", {"is_away": True}))
        assert (await desk.ticket(team_id=team["id"]))["assignee_id"] is None

    async def test_a_manual_team_assigns_nobody(self, desk: Desk, identity: Identity) -> None:
        (a,) = await _agents(identity, desk.account, 1)
        team = await desk.team("Support", members=[a.user_id])
        assert (await desk.ticket(team_id=team["id"]))["assignee_id"] is None

    async def test_an_explicit_assignee_is_kept(self, desk: Desk, identity: Identity) -> None:
        a, b = await _agents(identity, desk.account, 2)
        team = await desk.team(
            "Support", members=[a.user_id, b.user_id], assignment_strategy="round_robin"
        )
        ticket = await desk.ticket(team_id=team["id"], assignee_id=b.user_id)
        assert ticket["assignee_id"] == b.user_id
        # The rotation was not advanced by it: a (never assigned) is next.
        assert (await desk.ticket(team_id=team["id"]))["assignee_id"] == a.user_id


class TestLoadBalanced:
    async def test_the_agent_with_the_fewest_open_tickets_gets_the_next(
        self, desk: Desk, identity: Identity
    ) -> None:
        a, b = await _agents(identity, desk.account, 2)
        team = await desk.team(
            "Support", members=[a.user_id, b.user_id], assignment_strategy="load_balanced"
        )
        for _ in range(3):
            await desk.ticket(assignee_id=a.user_id)
        assert (await desk.ticket(team_id=team["id"]))["assignee_id"] == b.user_id
        assert (await desk.ticket(team_id=team["id"]))["assignee_id"] == b.user_id
        # Resolved tickets do not count as load.
        mine = await desk.list_tickets(assignee=a.user_id)
        for ticket in mine:
            await desk.moved(ticket["id"], "resolved")
        assert (await desk.ticket(team_id=team["id"]))["assignee_id"] == a.user_id
        agents = {x["user_id"]: x for x in await desk.items("/agents")}
        assert agents[a.user_id]["open_tickets"] == 1
        assert agents[b.user_id]["open_tickets"] == 2


class TestReopen:
    async def test_a_reopened_ticket_keeps_an_available_assignee(
        self, desk: Desk, identity: Identity
    ) -> None:
        a, b = await _agents(identity, desk.account, 2)
        team = await desk.team(
            "Support", members=[a.user_id, b.user_id], assignment_strategy="round_robin"
        )
        ticket = await desk.ticket(team_id=team["id"])
        assert ticket["assignee_id"] == a.user_id
        await desk.moved(ticket["id"], "resolved")
        assert (await desk.moved(ticket["id"], "open"))["assignee_id"] == a.user_id

    async def test_a_reopened_ticket_of_an_away_agent_is_assigned_again(
        self, desk: Desk, identity: Identity
    ) -> None:
        a, b = await _agents(identity, desk.account, 2)
        team = await desk.team(
            "Support", members=[a.user_id, b.user_id], assignment_strategy="round_robin"
        )
        ticket = await desk.ticket(team_id=team["id"])
        await desk.moved(ticket["id"], "resolved")
        ok(await desk.as_(a).patch(f"/agents/{a.user_id}", {"is_away": True}))
        assert (await desk.moved(ticket["id"], "open"))["assignee_id"] == b.user_id


@pytest.mark.slow
class TestUnderConcurrency:
    async def test_fifty_simultaneous_tickets_are_numbered_without_gaps_and_spread_evenly(
        self,
        desk: Desk,
        identity: Identity,
        http: httpx.AsyncClient,  # noqa: F811
        services: TestServices,
    ) -> None:
        agents = await _agents(identity, desk.account, 5)
        team = await desk.team(
            "Support", members=[a.user_id for a in agents], assignment_strategy="round_robin"
        )

        async def create(n: int) -> httpx.Response:
            body = {
                "subject": f"Concurrent {n}",
                "team_id": team["id"],
                "requester": {"email": f"c{n % 7}@example.net"},
            }
            return await http.post("/api/v1/tickets", headers=desk.headers, json=body)

        responses = await asyncio.gather(*(create(n) for n in range(CONCURRENCY)))
        assert [r.status_code for r in responses] == [201] * CONCURRENCY, [
            r.text for r in responses if r.status_code != 201
        ][:3]
        tickets = sorted((r.json() for r in responses), key=lambda t: t["number"])
        assert [t["number"] for t in tickets] == list(range(1001, 1001 + CONCURRENCY))
        assignees = [t["assignee_id"] for t in tickets]
        assert Counter(assignees) == {a.user_id: CONCURRENCY // 5 for a in agents}
        # In number (= assignment) order, every run of five has each agent once: nobody
        # got a second ticket while another was waiting.
        for start in range(0, CONCURRENCY, 5):
            assert len(set(assignees[start : start + 5])) == 5
        # Seven requesters, each created once although they raced.
        contacts = await tenant_rows(
            services, desk.account.tenant_id, "SELECT email FROM contacts ORDER BY email"
        )
        assert [row["email"] for row in contacts] == [f"c{n}@example.net" for n in range(7)]
