"""Tenants never see each other: every service desk route with an id in its path answers
404 to another tenant's id (never 403), and ids in bodies are refused as unknown. Hostile
input is a 4xx, never a 5xx."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from httpx import AsyncClient, Response

from quartermaster.servicedesk.router import routers
from tests.builders import nothing_written, problem
from tests.catalog.conftest import ok
from tests.conftest import TestServices
from tests.identity.conftest import Identity
from tests.servicedesk.conftest import DESK_TABLES, Desk, tenant_rows

SERVICEDESK_PREFIXES = tuple(f"/api/v1{r.prefix}" for r in routers)


def _servicedesk_routes_with_ids(app: FastAPI) -> set[tuple[str, str]]:
    found = set()
    for route in iter_route_contexts(app.routes):
        path = str(route.path)
        if not path.startswith(SERVICEDESK_PREFIXES) or "{" not in path:
            continue
        for method in route.methods or ():
            if method != "HEAD":
                found.add((method, path))
    return found


def _servicedesk_lists(app: FastAPI) -> set[str]:
    """Every GET route of the service desk's modules without an id in its path."""
    return {
        str(route.path)
        for route in iter_route_contexts(app.routes)
        if route.endpoint is not None
        and route.endpoint.__module__.startswith("quartermaster.servicedesk")
        and "GET" in (route.methods or ())
        and "{" not in str(route.path)
    }


def _items(body: dict[str, Any], caller: str) -> int:
    return len(body["items"])


def _bucket_totals(body: dict[str, Any], caller: str) -> int:
    return sum(b["created"] + b["resolved"] + b["csat_responses"] for b in body["buckets"])


# How much of a tenant's data each list route shows (besides the caller themselves), and
# the queries it is asked with.
LISTS: dict[str, tuple[Callable[[dict[str, Any], str], int], list[dict[str, str]]]] = {
    "/api/v1/tickets": (_items, [{}]),
    "/api/v1/contacts": (_items, [{}]),
    "/api/v1/teams": (_items, [{}]),
    "/api/v1/agents": (
        lambda body, caller: len([a for a in body["items"] if a["user_id"] != caller]),
        [{}],
    ),
    "/api/v1/sla-policies": (_items, [{}]),
    "/api/v1/ticket-fields": (_items, [{}]),
    "/api/v1/reports/tickets": (_bucket_totals, [{"interval": "day"}, {"interval": "month"}]),
    "/api/v1/reports/csat": (
        lambda body, caller: sum(row["responses"] for row in body["rows"]),
        [{"group_by": "team"}, {"group_by": "agent"}],
    ),
}
# Not a list: where the caller's own organization's mail goes.
NOT_LISTS = {"/api/v1/inbound/address"}

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


async def _alphas_world(desk: Desk, identity: Identity) -> dict[str, str]:
    """One of everything in tenant Alpha; the ids a foreign caller will try."""
    agent = await identity.member(desk.account, "staff")
    policy = await desk.policy()
    team = await desk.team("Alpha team", members=[agent.user_id])
    field = ok(await desk.post("/ticket-fields", {"key": "k", "label": "K", "type": "text"}), 201)
    ticket = await desk.ticket()
    other = await desk.ticket()
    linked = ok(
        await desk.post(f"/tickets/{ticket['id']}/links", {"other_ticket_id": other["id"]}), 201
    )
    attachment = ok(
        await desk.client.post(
            f"/api/v1/tickets/{ticket['id']}/attachments",
            headers=desk.headers,
            files={"file": ("a.txt", b"hello")},
        ),
        201,
    )
    return {
        "ticket_id": ticket["id"],
        "team_id": team["id"],
        "policy_id": policy["id"],
        "field_id": field["id"],
        "contact_id": ticket["requester"]["id"],
        "user_id": agent.user_id,
        "link_id": linked["links"][0]["id"],
        "attachment_id": attachment["id"],
        "other_ticket_id": other["id"],
    }


BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("PATCH", "/api/v1/tickets/{ticket_id}"): {"subject": "mine now"},
    ("POST", "/api/v1/tickets/{ticket_id}/transitions"): {"to": "closed"},
    ("POST", "/api/v1/tickets/{ticket_id}/comments"): {"body": "hi"},
    ("POST", "/api/v1/tickets/{ticket_id}/merge"): {"into": "{other_ticket_id}"},
    ("POST", "/api/v1/tickets/{ticket_id}/links"): {"other_ticket_id": "{other_ticket_id}"},
    ("POST", "/api/v1/tickets/{ticket_id}/reserve"): {
        "product_id": "00000000-0000-0000-0000-000000000001",
        "location_id": "00000000-0000-0000-0000-000000000001",
        "quantity": "1",
    },
    ("PATCH", "/api/v1/teams/{team_id}"): {"name": "mine now"},
    ("PATCH", "/api/v1/agents/{user_id}"): {"is_away": True},
    ("PATCH", "/api/v1/sla-policies/{policy_id}"): {"name": "mine now"},
}


class TestTenantIsolation:
    async def test_every_route_with_an_id_is_404_for_another_tenants_id(
        self,
        app: FastAPI,
        client: AsyncClient,
        desk: Desk,
        identity: Identity,
        services: TestServices,
    ) -> None:
        ids = await _alphas_world(desk, identity)
        before = await tenant_rows(
            services, desk.account.tenant_id, "SELECT id, version, subject FROM tickets ORDER BY id"
        )
        beta = await identity.signup("Beta")
        async with nothing_written(services, desk.account.tenant_id, DESK_TABLES):
            routes = _servicedesk_routes_with_ids(app)
            checked = set()
            for method, path in sorted(routes):
                if path.startswith("/api/v1/csat/"):
                    continue  # the token routes: tested in test_csat (a foreign token is 404)
                url = re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path)
                body = BODIES.get((method, path))
                if body is not None:
                    body = {
                        k: ids.get(v.strip("{}"), v) if isinstance(v, str) else v
                        for k, v in body.items()
                    }
                if method == "POST" and path.endswith("/attachments"):
                    response = await client.post(
                        url, headers=beta.headers, files={"file": ("x.txt", b"x")}
                    )
                else:
                    response = await client.request(method, url, headers=beta.headers, json=body)
                refused = problem(response, 404, response.json().get("code", ""))
                assert refused["code"].endswith("-not-found"), (method, path, refused)
                checked.add((method, path))
        # Not vacuous: the walk reached the ticket's sub-resources and the configuration.
        assert {
            ("GET", "/api/v1/tickets/{ticket_id}"),
            ("DELETE", "/api/v1/tickets/{ticket_id}/links/{link_id}"),
            ("GET", "/api/v1/tickets/{ticket_id}/attachments/{attachment_id}"),
            ("PATCH", "/api/v1/agents/{user_id}"),
            ("DELETE", "/api/v1/ticket-fields/{field_id}"),
        } <= checked
        after = await tenant_rows(
            services, desk.account.tenant_id, "SELECT id, version, subject FROM tickets ORDER BY id"
        )
        assert after == before

    async def test_another_tenants_ids_in_bodies_are_unknown(
        self, client: AsyncClient, desk: Desk, identity: Identity, services: TestServices
    ) -> None:
        ids = await _alphas_world(desk, identity)
        beta = desk.as_(await identity.signup("Beta"))
        own = await beta.ticket()
        async with (
            nothing_written(services, desk.account.tenant_id, DESK_TABLES),
            nothing_written(services, beta.account.tenant_id, DESK_TABLES),
        ):
            team_id = await beta.patch(f"/tickets/{own['id']}", {"team_id": ids["team_id"]})
            assignee = await beta.patch(f"/tickets/{own['id']}", {"assignee_id": ids["user_id"]})
            merge = await beta.post(f"/tickets/{own['id']}/merge", {"into": ids["ticket_id"]})
            link = await beta.post(
                f"/tickets/{own['id']}/links", {"other_ticket_id": ids["ticket_id"]}
            )
            team = await beta.post("/teams", {"name": "T", "member_ids": [ids["user_id"]]})
            policy = await beta.post("/teams", {"name": "T", "sla_policy_id": ids["policy_id"]})
        for response, code, field in (
            (team_id, "invalid-fields", "team_id"),
            (assignee, "unknown-agent", "assignee_id"),
            (merge, "invalid-fields", "into"),
            (link, "invalid-fields", "other_ticket_id"),
            (team, "invalid-fields", "member_ids.0"),
            (policy, "invalid-fields", "sla_policy_id"),
        ):
            assert f"{field}: No " in problem(response, 422, code)["detail"]
        # Lists show only one's own.
        assert [t["id"] for t in await beta.list_tickets()] == [own["id"]]
        assert await beta.items("/teams") == []
        assert ok(await beta.get("/reports/csat"))["rows"] == []
        assert ok(await beta.get("/contacts"))["items"][0]["id"] == own["requester"]["id"]
        assert len(ok(await beta.get("/contacts"))["items"]) == 1
        assert ok(await beta.get("/tickets", requester_id=ids["contact_id"]))["items"] == []

    async def test_no_list_shows_another_tenant_any_of_its_data(
        self, app: FastAPI, client: AsyncClient, desk: Desk, identity: Identity
    ) -> None:
        """Alpha has data in every list (a rated ticket too); Beta's lists, reports and
        CSAT results count none of it and name none of Alpha's ids."""
        ids = await _alphas_world(desk, identity)
        rated = await desk.ticket(team_id=ids["team_id"], assignee_id=ids["user_id"])
        await desk.moved(rated["id"], "resolved")
        (survey,) = await desk.items(f"/tickets/{rated['id']}/csat")
        link = "/api/v1/csat/" + survey["url"].rsplit("/csat/", 1)[1]
        ok(await client.post(link, json={"score": 5}))
        beta = await identity.signup("Beta")
        paths = _servicedesk_lists(app)
        assert paths == set(LISTS) | NOT_LISTS, "a list route this test does not look at"

        async def seen(headers: dict[str, str]) -> dict[tuple[str, str], Response]:
            return {
                (path, str(query)): await client.get(path, headers=headers, params=query)
                for path in sorted(paths)
                for query in (LISTS[path][1] if path in LISTS else [{}])
            }

        alphas, betas = await seen(desk.headers), await seen(beta.headers)
        for (path, query), response in alphas.items():
            if path in LISTS:
                amount = LISTS[path][0](ok(response), desk.account.user_id)
                assert amount > 0, (path, query, "Alpha has nothing here: the check is vacuous")
        for (path, query), response in betas.items():
            if path in LISTS:
                assert LISTS[path][0](ok(response), beta.user_id) == 0, (path, query)
        # Nothing of Alpha's by id either: every id in Alpha's answers, and its tenant's.
        alpha_ids = {desk.account.tenant_id, survey["id"]}
        for response in alphas.values():
            alpha_ids |= set(_UUID.findall(response.text))
        assert {ids["ticket_id"], ids["contact_id"], ids["user_id"], ids["field_id"]} <= alpha_ids
        for (path, query), response in betas.items():
            ok(response)
            leaked = [
                i for i in alpha_ids if i in response.text or uuid.UUID(i).hex in response.text
            ]
            assert leaked == [], (path, query, leaked)


class TestHostileInput:
    @pytest.mark.parametrize(
        "body",
        [
            {"subject": "nul\u0000byte", "requester": {"email": "a@example.org"}},
            {"subject": "ok", "requester": {"email": "a@example.org", "name": "x\u0000"}},
            {"subject": "ok", "requester": {"email": "a@example.org"}, "tags": ["a b"]},
            {"subject": "ok", "requester": {"email": "a@example.org"}, "tags": ["\u0000"]},
            {"subject": "x" * 301, "requester": {"email": "a@example.org"}},
            {
                "subject": "ok",
                "requester": {"email": "a@example.org"},
                "custom_fields": {"\u0000": 1},
            },
            {"subject": "ok", "requester": {"email": "a@example.org"}, "product_ids": ["x"] * 101},
        ],
    )
    async def test_bodies_are_4xx(self, desk: Desk, body: dict[str, Any]) -> None:
        response = await desk.post("/tickets", body)
        assert 400 <= response.status_code < 500, response.text

    @pytest.mark.parametrize(
        "raw",
        [
            b'{"subject": "\\udc00", "requester": {"email": "a@example.org"}}',
            b'{"subject": "s", "description": "\\ud800", "requester": {"email": "a@b.org"}}',
            b'{"subject": "s", "requester": {"email": "a@example.org", "name": "\\ud800"}}',
        ],
    )
    async def test_raw_lone_surrogates_in_json_are_4xx(self, desk: Desk, raw: bytes) -> None:
        response = await desk.client.post(
            "/api/v1/tickets",
            content=raw,
            headers={**desk.headers, "Content-Type": "application/json"},
        )
        assert 400 <= response.status_code < 500, response.text

    @pytest.mark.parametrize(
        "params",
        [
            {"created_from": "0001-01-01T00:00:00Z"},
            {"created_to": "9999-12-31T23:59:59Z"},
            {"updated_from": "0001-01-01T00:00:00+14:00"},
            {"cursor": "eyJ4IjoxfQ"},
            {"cursor": "WzEsMiwzXQ"},
            {"assignee": "not-a-uuid"},
            {"status": "limbo"},
            {"limit": 100000},
            {"tag": "\u0000"},
        ],
    )
    async def test_query_parameters_are_4xx_or_harmless(
        self, desk: Desk, params: dict[str, Any]
    ) -> None:
        await desk.ticket()
        response = await desk.get("/tickets", **params)
        assert response.status_code < 500, response.text

    async def test_paths_with_junk_ids_are_4xx(self, desk: Desk) -> None:
        for path in ("/tickets/not-a-uuid", "/tickets/%00", "/teams/1", "/csat/%00"):
            response = await desk.get(path)
            assert 400 <= response.status_code < 500, (path, response.text)
