"""CSAT: a rating link per resolution, answered once without login; what the requester
sees never includes an internal note; results per team and agent."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from httpx import AsyncClient

from tests.builders import problem
from tests.catalog.conftest import ok
from tests.conftest import TestServices
from tests.identity.conftest import Identity
from tests.inventory.test_concurrency import http, live_url  # noqa: F401
from tests.servicedesk.conftest import Desk, events, tenant_rows


async def _resolved_with_link(desk: Desk, **fields: Any) -> tuple[dict[str, Any], str]:
    ticket = await desk.ticket(**fields)
    await desk.moved(ticket["id"], "resolved")
    (survey,) = await desk.items(f"/tickets/{ticket['id']}/csat")
    assert survey["answered_at"] is None
    return ticket, "/csat/" + survey["url"].rsplit("/csat/", 1)[1]


class TestRating:
    async def test_the_requester_rates_once_without_logging_in(
        self, desk: Desk, client: AsyncClient, services: TestServices
    ) -> None:
        ticket, path = await _resolved_with_link(desk)
        view = ok(await client.get(f"/api/v1{path}"))
        assert view["ticket_key"] == ticket["key"]
        assert (view["answered"], view["score"]) == (False, None)

        answered = ok(await client.post(f"/api/v1{path}", json={"score": 5, "comment": "Fast!"}))
        assert (answered["answered"], answered["score"]) == (True, 5)
        again = await client.post(f"/api/v1{path}", json={"score": 1})
        assert again.status_code == 409
        assert again.json()["code"] == "csat-already-answered"
        (survey,) = await desk.items(f"/tickets/{ticket['id']}/csat")
        assert (survey["score"], survey["comment"]) == (5, "Fast!")
        rated = [
            p for k, p in await events(services, desk.account.tenant_id) if k.endswith("rated")
        ]
        assert [(p["id"], p["score"]) for p in rated] == [(ticket["id"], 5)]

    async def test_a_forged_altered_or_foreign_token_is_404(
        self, desk: Desk, client: AsyncClient, identity: Identity
    ) -> None:
        _, path = await _resolved_with_link(desk)
        token = path.rsplit("/", 1)[1]
        altered = token[:-1] + ("0" if token[-1] != "0" else "1")
        for bad in (altered, "qmc_" + "0" * 128, "nonsense", token + "00"):
            response = await client.post(f"/api/v1/csat/{bad}", json={"score": 3})
            assert response.status_code == 404, (bad, response.text)
            assert response.json()["code"] == "csat-not-found"
        # The same survey id signed for another tenant does not exist there.
        other = await identity.signup("Other")
        foreign = "qmc_" + other.tenant_id.replace("-", "") + token[36:]
        problem(await client.get(f"/api/v1/csat/{foreign}"), 404, "csat-not-found")

    async def test_scores_outside_one_to_five_are_422_and_answer_nothing(
        self, desk: Desk, client: AsyncClient
    ) -> None:
        ticket, path = await _resolved_with_link(desk)
        for score in (0, 6, "five", None):
            response = await client.post(f"/api/v1{path}", json={"score": score})
            assert problem(response, 422, "validation-failed")["errors"][0]["field"] == "score"
        (survey,) = await desk.items(f"/tickets/{ticket['id']}/csat")
        assert (survey["answered_at"], survey["score"]) == (None, None)

    async def test_a_reopened_and_resolved_again_ticket_gets_a_new_link_the_old_one_is_spent(
        self, desk: Desk, client: AsyncClient
    ) -> None:
        ticket, first = await _resolved_with_link(desk)
        await desk.moved(ticket["id"], "open")
        await desk.moved(ticket["id"], "resolved")
        surveys = await desk.items(f"/tickets/{ticket['id']}/csat")
        assert len(surveys) == 2
        old = await client.post(f"/api/v1{first}", json={"score": 2})
        assert old.status_code == 409
        assert old.json()["code"] == "csat-superseded"
        newest = "/csat/" + surveys[-1]["url"].rsplit("/csat/", 1)[1]
        assert ok(await client.post(f"/api/v1{newest}", json={"score": 4}))["score"] == 4


@pytest.mark.slow
class TestUnderConcurrency:
    async def test_two_simultaneous_answers_to_one_link_record_exactly_one_rating(
        self,
        desk: Desk,
        http: httpx.AsyncClient,  # noqa: F811
        services: TestServices,
    ) -> None:
        """Both reach a live server at once: one is recorded, the other is told the link
        was used; one score stored, one rated event."""
        ticket, path = await _resolved_with_link(desk)
        responses = await asyncio.gather(
            *(http.post(f"/api/v1{path}", json={"score": score}) for score in (2, 5))
        )
        assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
        (won,) = (ok(r) for r in responses if r.status_code == 200)
        (lost,) = (r for r in responses if r.status_code == 409)
        problem(lost, 409, "csat-already-answered")

        answered = await tenant_rows(
            services,
            desk.account.tenant_id,
            "SELECT score FROM csat_surveys WHERE answered_at IS NOT NULL",
        )
        assert answered == [{"score": won["score"]}]
        rated = [
            p for k, p in await events(services, desk.account.tenant_id) if k.endswith("rated")
        ]
        assert [(p["id"], p["score"]) for p in rated] == [(ticket["id"], won["score"])]


class TestWhatTheRequesterSees:
    async def test_internal_notes_never_reach_the_rating_page(
        self, desk: Desk, client: AsyncClient
    ) -> None:
        ticket = await desk.ticket(description="My printer jams.")
        await desk.comment(ticket["id"], "SECRET: customer is on the watch list", internal=True)
        await desk.comment(ticket["id"], "Please try a new cartridge.")
        await desk.moved(
            ticket["id"], "resolved", comment="SECRET: closing to meet the SLA", internal=True
        )
        (survey,) = await desk.items(f"/tickets/{ticket['id']}/csat")
        path = "/api/v1/csat/" + survey["url"].rsplit("/csat/", 1)[1]
        view = await client.get(path)
        assert view.status_code == 200, view.text
        assert "SECRET" not in view.text
        assert [c["author"] for c in view.json()["conversation"]] == ["you", "support"]
        assert "new cartridge" in view.text
        answered = await client.post(path, json={"score": 3})
        assert "SECRET" not in answered.text


class TestResults:
    async def test_results_by_team_and_by_agent(
        self, desk: Desk, client: AsyncClient, identity: Identity
    ) -> None:
        a = await identity.member(desk.account, "staff")
        b = await identity.member(desk.account, "staff")
        blue = await desk.team("Blue")
        red = await desk.team("Red")
        for team, agent, score in (
            (blue, a, 5),
            (blue, a, 4),
            (blue, b, 2),
            (red, b, 1),
        ):
            _, path = await _resolved_with_link(desk, team_id=team["id"], assignee_id=agent.user_id)
            ok(await client.post(f"/api/v1{path}", json={"score": score}))
        await _resolved_with_link(desk, team_id=red["id"])  # not answered: not counted

        by_team = {r["name"]: r for r in ok(await desk.get("/reports/csat"))["rows"]}
        assert by_team["Blue"]["responses"] == 3
        assert by_team["Blue"]["average"] == "3.67"
        assert by_team["Blue"]["satisfied_percent"] == "66.67"
        assert by_team["Blue"]["distribution"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}
        assert by_team["Red"]["responses"] == 1
        by_agent = {
            r["id"]: r for r in ok(await desk.get("/reports/csat", group_by="agent"))["rows"]
        }
        assert by_agent[a.user_id]["average"] == "4.50"
        assert by_agent[b.user_id]["average"] == "1.50"
        assert by_agent[a.user_id]["name"] == "Staff Member"
