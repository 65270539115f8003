"""A ticket's life through the API: numbers, statuses and the transitions between them,
edits with ETag/If-Match, comments, filters, sorting and paging."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from httpx import ASGITransport, AsyncClient

from quartermaster.api import create_app
from quartermaster.core.settings import Settings
from tests.builders import nothing_written, problem, tenant_tables
from tests.catalog.conftest import ok
from tests.conftest import TestServices
from tests.identity.conftest import Identity
from tests.servicedesk.conftest import ALWAYS, DESK_TABLES, Desk, events

ALLOWED = {
    "new": ["open", "pending", "resolved", "closed"],
    "open": ["pending", "resolved", "closed"],
    "pending": ["open", "resolved", "closed"],
    "resolved": ["open", "closed"],
    "closed": [],
}


async def _at_status(desk: Desk, status: str) -> dict[str, Any]:
    ticket = await desk.ticket()
    path = {
        "new": [],
        "open": ["open"],
        "pending": ["pending"],
        "resolved": ["resolved"],
        "closed": ["closed"],
    }[status]
    for step in path:
        ticket = await desk.moved(ticket["id"], step)
    assert ticket["status"] == status
    return ticket


class TestOpening:
    async def test_a_ticket_gets_the_next_number_its_requester_and_a_rendered_description(
        self, desk: Desk
    ) -> None:
        first = await desk.ticket(requester={"email": "Ann@Example.NET", "name": "Ann"})
        second = await desk.ticket(requester={"email": "ann@example.net", "name": "Other"})
        assert (first["number"], first["key"]) == (1001, "QM-1001")
        assert (second["number"], second["key"]) == (1002, "QM-1002")
        assert first["status"] == "new"
        assert first["priority"] == "normal"
        # The contact is created on first sight, then found again (the first name stays).
        assert first["requester"] == second["requester"]
        assert first["requester"]["email"] == "ann@example.net"
        assert first["requester"]["name"] == "Ann"
        assert first["description_html"] == "<p>It <strong>broke</strong>.</p>\n"

    async def test_creation_answers_201_with_location_and_etag(self, desk: Desk) -> None:
        response = await desk.open()
        assert response.status_code == 201, response.text
        body = response.json()
        assert response.headers["Location"] == f"/api/v1/tickets/{body['id']}"
        assert response.headers["ETag"] == '"1"'

    async def test_markdown_cannot_carry_script(self, desk: Desk) -> None:
        ticket = await desk.ticket(
            description="<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=y>"
        )
        html = ticket["description_html"]
        assert "<script" not in html
        assert "<img" not in html
        assert "href" not in html  # the javascript: link stays text

    async def test_unknown_fields_and_bad_values_are_422_and_open_nothing(
        self, desk: Desk, services: TestServices
    ) -> None:
        for body in (
            {"subject": "x", "requester": {"email": "a@b.c"}, "tenant_id": "x"},
            {"subject": "", "requester": {"email": "a@b.c"}},
            {"subject": "x", "requester": {"email": "not an address"}},
            {"subject": "x", "requester": {"email": "a@example.org"}, "priority": "asap"},
            {"subject": "x", "requester": {"email": "a@example.org"}, "team_id": "nope"},
        ):
            problem(await desk.post("/tickets", body), 422, "validation-failed")
        tables = ("tickets", "contacts", "ticket_counters", "outbox_events")
        assert await tenant_tables(services, desk.account.tenant_id, tables, order_by="1") == {
            table: [] for table in tables
        }


class TestTransitions:
    @pytest.mark.parametrize("start", list(ALLOWED))
    async def test_every_forbidden_transition_is_409_naming_the_allowed_ones(
        self, desk: Desk, start: str
    ) -> None:
        ticket = await _at_status(desk, start)
        for target in ALLOWED:
            if target in ALLOWED[start]:
                continue
            response = await desk.transition(ticket["id"], target)
            assert response.status_code == 409, (start, target, response.text)
            problem = response.json()
            assert problem["code"] == "invalid-transition"
            assert problem["allowed"] == ALLOWED[start]
            assert problem["current_status"] == start
        after = await desk.get_ticket(ticket["id"])
        assert (after["status"], after["version"]) == (start, ticket["version"])
        # The ticket names the moves it allows, so a screen offers exactly those.
        assert after["allowed_transitions"] == ALLOWED[start]

    async def test_the_whole_lifecycle_with_a_reopen(
        self, desk: Desk, services: TestServices
    ) -> None:
        ticket = await desk.ticket()
        ticket = await desk.moved(ticket["id"], "open")
        ticket = await desk.moved(ticket["id"], "pending", comment="Waiting for the serial number.")
        ticket = await desk.moved(ticket["id"], "open")
        ticket = await desk.moved(ticket["id"], "resolved", comment="Replaced.")
        assert ticket["sla"]["resolved_at"] is not None
        ticket = await desk.moved(ticket["id"], "open")  # reopened
        assert ticket["sla"]["resolved_at"] is None
        ticket = await desk.moved(ticket["id"], "resolved")
        ticket = await desk.moved(ticket["id"], "closed")
        assert ticket["closed_at"] is not None
        changes = [
            (payload["previous_status"], payload["status"])
            for kind, payload in await events(services, desk.account.tenant_id)
            if kind == "servicedesk.ticket.status_changed"
        ]
        assert changes == [
            ("new", "open"),
            ("open", "pending"),
            ("pending", "open"),
            ("open", "resolved"),
            ("resolved", "open"),
            ("open", "resolved"),
            ("resolved", "closed"),
        ]
        comments = await desk.items(f"/tickets/{ticket['id']}/comments")
        assert [c["body"] for c in comments] == ["Waiting for the serial number.", "Replaced."]

    async def test_a_closed_ticket_cannot_be_edited_or_commented(
        self, desk: Desk, services: TestServices
    ) -> None:
        ticket = await _at_status(desk, "closed")
        async with nothing_written(services, desk.account.tenant_id, DESK_TABLES):
            edited = await desk.patch(f"/tickets/{ticket['id']}", {"subject": "again"})
            commented = await desk.post(f"/tickets/{ticket['id']}/comments", {"body": "hello"})
        assert "changing it" in problem(edited, 409, "ticket-closed")["detail"]
        assert "commenting" in problem(commented, 409, "ticket-closed")["detail"]


class TestEditing:
    async def test_patch_with_a_stale_etag_is_412_and_changes_nothing(self, desk: Desk) -> None:
        ticket = await desk.ticket()
        path = f"/tickets/{ticket['id']}"
        first = await desk.patch(path, {"subject": "First"}, headers={"If-Match": '"1"'})
        assert first.status_code == 200, first.text
        assert first.headers["ETag"] == '"2"'
        stale = await desk.patch(path, {"subject": "Second"}, headers={"If-Match": '"1"'})
        problem(stale, 412, "precondition-failed")
        assert (await desk.get_ticket(ticket["id"]))["subject"] == "First"

    async def test_tags_products_and_assignee_change(self, desk: Desk, identity: Identity) -> None:
        agent = await identity.member(desk.account, "staff")
        product = await desk.product()
        ticket = await desk.ticket(tags=["Printer", "printer", "urgent-ish"])
        assert ticket["tags"] == ["printer", "urgent-ish"]
        changed = ok(
            await desk.patch(
                f"/tickets/{ticket['id']}",
                {"assignee_id": agent.user_id, "product_ids": [product["id"]], "tags": ["rma"]},
            )
        )
        assert changed["assignee_id"] == agent.user_id
        assert changed["product_ids"] == [product["id"]]
        assert changed["tags"] == ["rma"]
        cleared = ok(await desk.patch(f"/tickets/{ticket['id']}", {"assignee_id": None}))
        assert cleared["assignee_id"] is None

    async def test_references_this_organization_does_not_have_are_422(
        self, desk: Desk, identity: Identity, services: TestServices
    ) -> None:
        viewer = await identity.member(desk.account, "viewer")
        ticket = await desk.ticket()
        for body, field, code in (
            ({"assignee_id": viewer.user_id}, "assignee_id", "unknown-agent"),  # not an agent
            ({"team_id": "00000000-0000-0000-0000-000000000001"}, "team_id", "invalid-fields"),
            (
                {"product_ids": ["00000000-0000-0000-0000-000000000001"]},
                "product_ids.0",
                "invalid-fields",
            ),
        ):
            async with nothing_written(services, desk.account.tenant_id, DESK_TABLES):
                response = await desk.patch(f"/tickets/{ticket['id']}", body)
            problem(response, 422, code)
            assert response.json()["errors"][0]["field"] == field


class TestListing:
    async def test_filters_sort_and_cursor_pages(self, desk: Desk, identity: Identity) -> None:
        agent = await identity.member(desk.account, "staff")
        product = await desk.product()
        made = []
        for index in range(7):
            made.append(
                await desk.ticket(
                    priority=["low", "normal", "high", "urgent"][index % 4],
                    tags=["even"] if index % 2 == 0 else [],
                    product_ids=[product["id"]] if index == 3 else [],
                    assignee_id=agent.user_id if index < 2 else None,
                )
            )
        await desk.moved(made[0]["id"], "pending")
        numbers = [t["number"] for t in await desk.list_tickets(sort="number", order="asc")]
        assert numbers == sorted(t["number"] for t in made)
        assert {t["number"] for t in await desk.list_tickets(tag="even")} == {
            made[i]["number"] for i in (0, 2, 4, 6)
        }
        assert [t["id"] for t in await desk.list_tickets(product_id=product["id"])] == [
            made[3]["id"]
        ]
        assert [t["id"] for t in await desk.list_tickets(status="pending")] == [made[0]["id"]]
        assert len(await desk.list_tickets(assignee="none")) == 5
        assert len(await desk.list_tickets(assignee=agent.user_id)) == 2
        agent_desk = desk.as_(agent)
        assert len(await agent_desk.list_tickets(assignee="me")) == 2
        urgent_first = await desk.list_tickets(sort="priority", order="desc")
        assert [t["priority"] for t in urgent_first][:3] == ["urgent", "high", "high"]

        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 3, "sort": "priority", "order": "desc"}
            if cursor:
                params["cursor"] = cursor
            page = ok(await desk.get("/tickets", **params))
            seen += [t["id"] for t in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == sorted(t["id"] for t in made)
        assert len(seen) == len(set(seen))

    async def test_team_requester_and_time_range_filters(self, desk: Desk) -> None:
        await desk.team("Support")  # the first team: the default one
        billing = await desk.team("Billing")
        first = await desk.ticket(requester={"email": "rita@example.net"})
        second = await desk.ticket(team_id=billing["id"], requester={"email": "rita@example.net"})
        third = await desk.ticket(requester={"email": "ben@example.net"})

        def ids(tickets: list[dict[str, Any]]) -> set[str]:
            return {t["id"] for t in tickets}

        assert ids(await desk.list_tickets(team_id=billing["id"])) == {second["id"]}
        rita = second["requester"]["id"]
        assert ids(await desk.list_tickets(requester_id=rita)) == {first["id"], second["id"]}
        # from is inclusive, to exclusive
        middle = second["created_at"]
        assert ids(await desk.list_tickets(created_from=middle)) == {second["id"], third["id"]}
        assert ids(await desk.list_tickets(created_to=middle)) == {first["id"]}
        touched = ok(await desk.patch(f"/tickets/{first['id']}", {"priority": "high"}))
        after = touched["updated_at"]
        assert ids(await desk.list_tickets(updated_from=after)) == {first["id"]}
        assert ids(await desk.list_tickets(updated_to=after)) == {second["id"], third["id"]}
        assert ids(await desk.list_tickets(team_id=billing["id"], requester_id=rita)) == {
            second["id"]
        }

    async def test_search_by_subject_words_or_number(self, desk: Desk) -> None:
        printer = await desk.ticket(subject="Printer jams on page 2")
        await desk.ticket(subject="Invoice 100% wrong")
        await desk.ticket(subject="Delivery late")
        assert [t["id"] for t in await desk.list_tickets(q="printer JAMS")] == [printer["id"]]
        assert [t["id"] for t in await desk.list_tickets(q=printer["key"])] == [printer["id"]]
        by_number = await desk.list_tickets(q=str(printer["number"]))
        assert printer["id"] in [t["id"] for t in by_number]
        # LIKE wildcards are literal: "%" matches only a subject with a percent sign.
        assert [t["subject"] for t in await desk.list_tickets(q="100%")] == ["Invoice 100% wrong"]
        assert await desk.list_tickets(q="_") == []
        response = await desk.get("/tickets", q="nul\x00byte")
        assert "NUL" in problem(response, 422, "invalid-text")["detail"]

    async def test_the_priority_filter_takes_one_or_several_values_and_refuses_others(
        self, desk: Desk
    ) -> None:
        made = {p: await desk.ticket(priority=p) for p in ("low", "normal", "high", "urgent")}
        await desk.ticket(priority="high", subject="Another high one")

        def ids(tickets: list[dict[str, Any]]) -> list[str]:
            return sorted(t["id"] for t in tickets)

        highs = await desk.list_tickets(priority="high")
        assert [t["priority"] for t in highs] == ["high", "high"]
        assert made["high"]["id"] in ids(highs)
        # A repeated parameter is any of its values.
        either = await desk.list_tickets(priority=["low", "urgent"])
        assert ids(either) == sorted([made["low"]["id"], made["urgent"]["id"]])
        both_filters = await desk.list_tickets(priority=["low", "normal"], q="Problem 2")
        assert ids(both_filters) == [made["normal"]["id"]]
        for wrong in ("asap", ["low", "asap"], "URGENT", ""):
            response = await desk.get("/tickets", priority=wrong)
            body = problem(response, 422, "validation-failed")
            assert {e["field"].split(".")[0] for e in body["errors"]} == {"priority"}, body

    async def test_sorting_by_last_change_either_way_pages_like_one_page(self, desk: Desk) -> None:
        first, second, third = [await desk.ticket() for _ in range(3)]
        ok(await desk.patch(f"/tickets/{second['id']}", {"priority": "high"}))
        ok(await desk.patch(f"/tickets/{first['id']}", {"tags": ["touched"]}))
        oldest_change_first = [third["id"], second["id"], first["id"]]
        for order, expected in (
            ("asc", oldest_change_first),
            ("desc", oldest_change_first[::-1]),
        ):
            whole = await desk.list_tickets(sort="updated_at", order=order)
            assert [t["id"] for t in whole] == expected, order
            one_by_one = await desk.paged("/tickets", sort="updated_at", order=order)
            assert [t["id"] for t in one_by_one] == expected, order

    async def test_sorting_by_resolution_due_date_puts_undated_tickets_last_either_way(
        self, desk: Desk
    ) -> None:
        """Without a policy a ticket has no resolution due date: it is listed after every
        dated one in both directions, the undated ones in id order, and a cursor pages
        through those equal keys one at a time without skipping or repeating any."""
        undated = sorted([(await desk.ticket())["id"] for _ in range(3)])
        await desk.policy(
            "Around the clock",
            weekly_hours=ALWAYS,
            targets={
                "normal": {"resolution_minutes": 480},
                "high": {"resolution_minutes": 240},
                "urgent": {"resolution_minutes": 120},
            },
        )
        normal = await desk.ticket(priority="normal")  # due in 8 h
        urgent = await desk.ticket(priority="urgent")  # due in 2 h
        high = await desk.ticket(priority="high")  # due in 4 h
        soonest_first = [urgent["id"], high["id"], normal["id"]]
        for order, expected in (
            ("asc", soonest_first + undated),
            ("desc", soonest_first[::-1] + undated[::-1]),
        ):
            whole = await desk.list_tickets(sort="resolution_due_at", order=order)
            assert [t["id"] for t in whole] == expected, order
            dues = [t["sla"]["resolution_due_at"] for t in whole]
            assert dues[3:] == [None, None, None]
            assert dues[:3] == sorted(dues[:3], reverse=order == "desc")
            one_by_one = await desk.paged("/tickets", sort="resolution_due_at", order=order)
            assert [t["id"] for t in one_by_one] == expected, order
            in_twos = await desk.paged("/tickets", 2, sort="resolution_due_at", order=order)
            assert [t["id"] for t in in_twos] == expected, order

    async def test_a_forged_or_foreign_cursor_is_400(self, desk: Desk) -> None:
        for _ in range(3):
            await desk.ticket()
        page = ok(await desk.get("/tickets", limit=1, sort="number"))
        for cursor in ("garbage", "W10", page["next_cursor"]):
            response = await desk.get("/tickets", cursor=cursor, sort="created_at")
            problem(response, 400, "invalid-cursor")
            assert response.json()["code"] == "invalid-cursor"


class TestOnItsOwn:
    async def test_the_servicedesk_module_serves_the_ticket_api_alone(
        self, settings: Settings, desk: Desk
    ) -> None:
        alone = create_app(settings, modules=["servicedesk"])
        paths = {str(route.path) for route in iter_route_contexts(alone.routes)}
        assert "/api/v1/tickets" in paths
        assert "/api/v1/products" not in paths
        assert "/api/v1/auth/token" not in paths
        async with (
            alone.router.lifespan_context(alone),
            AsyncClient(transport=ASGITransport(app=alone), base_url="http://alone") as client,
        ):
            # A token issued by the identity service (another deployment) is accepted.
            on_its_own = Desk(client, desk.account)
            ticket = await on_its_own.ticket()
            assert ticket["key"] == "QM-1001"
            moved = await on_its_own.moved(ticket["id"], "resolved")
            assert moved["status"] == "resolved"
