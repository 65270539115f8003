"""The tickets:read / tickets:write split: a viewer (tickets:read, not tickets:write) reads
the whole desk, and every service desk route that changes anything refuses them with 403
permission-denied and writes nothing. The routes are read from the app, so a new write
route is tried too (or fails here for want of a request to try it with)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts
from httpx import AsyncClient, Response

from quartermaster.identity.permissions import Permission
from tests.builders import nothing_written, ok, problem
from tests.conftest import TestServices
from tests.identity.conftest import Identity, bearer
from tests.servicedesk.conftest import DESK_TABLES, WEEKDAYS_9_TO_5, Desk
from tests.servicedesk.test_isolation import _alphas_world

# The requester's rating link: no login, the token in the path is the credential.
PUBLIC = {("GET", "/api/v1/csat/{token}"), ("POST", "/api/v1/csat/{token}")}

# Written out here rather than read from the code under test: what a viewer lacks.
WRITE_PERMISSIONS = {Permission.TICKETS_WRITE, Permission.SETTINGS_WRITE}

ATTACHMENT = "multipart"
MAIL = (
    b"From: Pat Customer <pat@example.net>\r\nTo: support@acme.example\r\n"
    b"Subject: My pump leaks\r\nMessage-ID: <viewer-probe@example.net>\r\n\r\nWater.\r\n"
)

# What a viewer tries on each write route: a request that would succeed for an agent or an
# administrator, so a missing check would show as a change, not only as another status.
# "{name}" is one of the tenant's ids.
WRITES: dict[tuple[str, str], dict[str, Any] | str | bytes | None] = {
    ("POST", "/api/v1/tickets"): {
        "subject": "Opened by a viewer",
        "requester": {"email": "viewer-probe@example.net"},
    },
    ("PATCH", "/api/v1/tickets/{ticket_id}"): {"subject": "Changed by a viewer"},
    ("POST", "/api/v1/tickets/{ticket_id}/transitions"): {"to": "resolved"},
    ("POST", "/api/v1/tickets/{ticket_id}/comments"): {"body": "A viewer's reply"},
    ("POST", "/api/v1/tickets/{ticket_id}/attachments"): ATTACHMENT,
    ("POST", "/api/v1/tickets/{ticket_id}/merge"): {"into": "{other_ticket_id}"},
    ("POST", "/api/v1/tickets/{ticket_id}/links"): {"other_ticket_id": "{third_ticket_id}"},
    ("DELETE", "/api/v1/tickets/{ticket_id}/links/{link_id}"): None,
    ("POST", "/api/v1/tickets/{ticket_id}/reserve"): {
        "product_id": "{product_id}",
        "location_id": "{location_id}",
        "quantity": "1",
    },
    ("PATCH", "/api/v1/agents/{user_id}"): {"is_away": True},
    ("POST", "/api/v1/inbound/email"): MAIL,
    ("POST", "/api/v1/teams"): {"name": "A viewer's team"},
    ("PATCH", "/api/v1/teams/{team_id}"): {"name": "Renamed by a viewer"},
    ("POST", "/api/v1/sla-policies"): {
        "name": "A viewer's policy",
        "time_zone": "UTC",
        "weekly_hours": WEEKDAYS_9_TO_5,
        "targets": {"normal": {"first_response_minutes": 60, "resolution_minutes": 480}},
    },
    ("PATCH", "/api/v1/sla-policies/{policy_id}"): {"name": "Renamed by a viewer"},
    ("POST", "/api/v1/ticket-fields"): {"key": "viewer", "label": "Viewer", "type": "text"},
    ("DELETE", "/api/v1/ticket-fields/{field_id}"): None,
}


def _permissions(dependant: Dependant) -> set[Permission]:
    """Every permission the route's dependency tree insists on."""
    found = set()
    for dep in dependant.dependencies:
        required = getattr(dep.call, "required_permission", None)
        if isinstance(required, Permission):
            found.add(required)
        found |= _permissions(dep)
    return found


def _desk_routes(app: FastAPI) -> dict[tuple[str, str], set[Permission]]:
    """(method, path) of every route the service desk's modules serve, with the
    permissions each requires."""
    routes = {}
    for route in iter_route_contexts(app.routes):
        endpoint = route.endpoint
        if endpoint is None or not endpoint.__module__.startswith("quartermaster.servicedesk"):
            continue
        for method in route.methods or ():
            if method != "HEAD":
                routes[(method, str(route.path))] = _permissions(route.dependant)
    return routes


def _writes(app: FastAPI) -> dict[tuple[str, str], set[Permission]]:
    return {
        route: needs
        for route, needs in _desk_routes(app).items()
        if route[0] != "GET" and route not in PUBLIC
    }


def _reads(app: FastAPI) -> dict[tuple[str, str], set[Permission]]:
    return {
        route: needs
        for route, needs in _desk_routes(app).items()
        if route[0] == "GET" and route not in PUBLIC
    }


async def _world(desk: Desk, identity: Identity) -> dict[str, str]:
    """One of everything in the owner's tenant (an agent, a team, a policy, a field,
    linked tickets, an attachment, stock to reserve): the ids the viewer's requests use."""
    ids = await _alphas_world(desk, identity)
    third = await desk.ticket()
    warehouse = await desk.warehouse("MAIN")
    product = await desk.product()
    await desk.receive(product["id"], warehouse["default_location_id"], "5")
    return {
        **ids,
        "third_ticket_id": third["id"],
        "product_id": product["id"],
        "location_id": warehouse["default_location_id"],
    }


def _fill(text: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], text)


async def _attempt(
    client: AsyncClient,
    headers: dict[str, str],
    method: str,
    path: str,
    body: dict[str, Any] | str | bytes | None,
    ids: dict[str, str],
) -> Response:
    url = _fill(path, ids)
    if body == ATTACHMENT:
        return await client.post(url, headers=headers, files={"file": ("v.txt", b"viewer")})
    if isinstance(body, bytes):
        return await client.post(url, headers=headers, content=body)
    if isinstance(body, dict):
        body = {k: _fill(v, ids) if isinstance(v, str) else v for k, v in body.items()}
    return await client.request(method, url, headers=headers, json=body)


async def _viewer(identity: Identity, desk: Desk, kind: str) -> dict[str, str]:
    """A viewer's credentials in the desk's tenant: a member's access token or an API key."""
    if kind == "api_key":
        return bearer((await identity.api_key(desk.account, "viewer", name="read only"))["key"])
    return (await identity.member(desk.account, "viewer")).headers


class TestTheRoutesThemselves:
    def test_every_write_route_needs_a_write_permission_and_every_read_only_tickets_read(
        self, app: FastAPI
    ) -> None:
        writes, reads = _writes(app), _reads(app)
        assert {route: needs for route, needs in writes.items() if len(needs) != 1} == {}
        assert {
            route: needs for route, needs in writes.items() if not needs <= WRITE_PERMISSIONS
        } == {}
        assert {
            route: needs for route, needs in reads.items() if needs != {Permission.TICKETS_READ}
        } == {}
        # Not vacuous: both routers were walked, writes of both kinds found.
        assert writes[("POST", "/api/v1/tickets")] == {Permission.TICKETS_WRITE}
        assert writes[("PATCH", "/api/v1/agents/{user_id}")] == {Permission.TICKETS_WRITE}
        assert writes[("POST", "/api/v1/inbound/email")] == {Permission.TICKETS_WRITE}
        assert writes[("POST", "/api/v1/teams")] == {Permission.SETTINGS_WRITE}
        assert ("GET", "/api/v1/reports/csat") in reads

    def test_every_write_route_has_a_request_to_try_and_every_request_a_route(
        self, app: FastAPI
    ) -> None:
        """A new write route fails here until the viewer test below tries it."""
        writes = set(_writes(app))
        assert writes - set(WRITES) == set(), "write routes the viewer test does not try"
        assert set(WRITES) - writes == set(), "requests for routes that do not exist"


@pytest.mark.parametrize("kind", ["user", "api_key"])
class TestAViewer:
    async def test_every_write_route_is_403_permission_denied_and_writes_nothing(
        self,
        app: FastAPI,
        client: AsyncClient,
        desk: Desk,
        identity: Identity,
        services: TestServices,
        kind: str,
    ) -> None:
        ids = await _world(desk, identity)
        viewer = await _viewer(identity, desk, kind)
        writes = _writes(app)
        async with nothing_written(services, desk.account.tenant_id, DESK_TABLES):
            responses = {
                route: await _attempt(client, viewer, *route, WRITES[route], ids)
                for route in sorted(writes)
            }
        statuses = {route: r.status_code for route, r in responses.items()}
        assert statuses == dict.fromkeys(writes, 403)
        for route, response in responses.items():
            (needed,) = writes[route]
            detail = problem(response, 403, "permission-denied")["detail"]
            assert f"'{needed.value}'" in detail, (route, detail)
            assert "'viewer'" in detail, (route, detail)
        # Not vacuous: the tickets:write routes of both routers were among those tried.
        assert {route for route in responses if writes[route] == {Permission.TICKETS_WRITE}} >= {
            ("POST", "/api/v1/tickets"),
            ("PATCH", "/api/v1/tickets/{ticket_id}"),
            ("POST", "/api/v1/tickets/{ticket_id}/transitions"),
            ("POST", "/api/v1/tickets/{ticket_id}/comments"),
            ("POST", "/api/v1/tickets/{ticket_id}/attachments"),
            ("POST", "/api/v1/tickets/{ticket_id}/merge"),
            ("POST", "/api/v1/tickets/{ticket_id}/links"),
            ("DELETE", "/api/v1/tickets/{ticket_id}/links/{link_id}"),
            ("POST", "/api/v1/tickets/{ticket_id}/reserve"),
            ("PATCH", "/api/v1/agents/{user_id}"),
            ("POST", "/api/v1/inbound/email"),
        }

    async def test_every_read_route_answers_including_the_ticket_list_and_a_ticket(
        self,
        app: FastAPI,
        client: AsyncClient,
        desk: Desk,
        identity: Identity,
        kind: str,
    ) -> None:
        ids = await _world(desk, identity)
        viewer = await _viewer(identity, desk, kind)
        reads = _reads(app)
        responses = {
            route: await client.get(_fill(route[1], ids), headers=viewer) for route in reads
        }
        assert {route: r.status_code for route, r in responses.items()} == dict.fromkeys(reads, 200)
        listed = ok(responses[("GET", "/api/v1/tickets")])["items"]
        assert {t["id"] for t in listed} == {
            ids["ticket_id"],
            ids["other_ticket_id"],
            ids["third_ticket_id"],
        }
        one = ok(responses[("GET", "/api/v1/tickets/{ticket_id}")])
        assert (one["id"], one["links"][0]["id"]) == (ids["ticket_id"], ids["link_id"])
