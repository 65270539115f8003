"""Live: every ticket change is an outbox event on ``tickets:updates``, delivered over a
real WebSocket by the server's own relay, with the same resume rules as the other
channels; the search document of a ticket never holds an internal note."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from quartermaster.core.db import Database
from quartermaster.core.settings import Settings
from quartermaster.realtime.public import channel_of
from quartermaster.servicedesk.public import TicketEvents, ticket_document
from quartermaster.servicedesk.service.sla import mark_breaches
from tests.builders import ok
from tests.conftest import TestServices
from tests.identity.conftest import Account, Identity
from tests.realtime.conftest import WAIT, open_socket, serve, since
from tests.servicedesk.conftest import Desk, events
from tests.servicedesk.test_merge_links_rma import _stock
from tests.servicedesk.test_sla import ALWAYS

TICKETS = "tickets:updates"


def test_every_ticket_event_is_carried_on_the_tickets_channel() -> None:
    types = [v for k, v in vars(TicketEvents).items() if k.isupper()]
    assert len(types) >= 10
    assert {channel_of(t) for t in types} == {TICKETS}


@pytest.mark.slow
class TestLiveTickets:
    async def test_changes_reach_a_subscribed_socket_and_a_reconnect_resumes(
        self, settings: Settings, identity: Identity
    ) -> None:
        owner = await identity.signup("Alpha")
        viewer = await identity.member(owner, "viewer")
        async with (
            serve(settings, run_relay=True, relay_poll_interval_seconds=5.0) as live,
            httpx.AsyncClient(base_url=live.http_url, timeout=WAIT) as http,
        ):
            desk = Desk(http, owner)
            async with open_socket(live, viewer.access_token) as socket:
                await socket.subscribe(TICKETS)
                ticket = await desk.ticket()
                created = await socket.next("event")
                assert (created["channel"], created["type"]) == (TICKETS, TicketEvents.CREATED)
                assert created["data"]["key"] == ticket["key"]
                await desk.comment(ticket["id"], "Secret note", internal=True)
                commented = await socket.next("event")
                assert commented["type"] == TicketEvents.COMMENTED
                assert commented["data"]["internal"] is True
                assert "Secret note" not in str(commented)  # events never carry bodies
                last = commented
            # Missed while away: a transition; a reconnect from the last offset gets it.
            await desk.moved(ticket["id"], "pending")
            async with open_socket(live, viewer.access_token) as socket:
                await socket.subscribe(TICKETS, since=since(last))
                missed = await socket.next("event")
                assert missed["type"] == TicketEvents.STATUS_CHANGED
                assert missed["data"]["previous_status"] == "new"

    async def test_another_tenant_hears_nothing(
        self, settings: Settings, identity: Identity
    ) -> None:
        alpha, beta = await identity.signup("Alpha"), await identity.signup("Beta")
        async with (
            serve(settings, run_relay=True, relay_poll_interval_seconds=5.0) as live,
            httpx.AsyncClient(base_url=live.http_url, timeout=WAIT) as http,
            open_socket(live, beta.access_token) as betas,
        ):
            await betas.subscribe(TICKETS)
            await Desk(http, alpha).ticket()
            marker = await Desk(http, beta).ticket()
            event = await betas.next("event")  # the first one beta hears is its own
            assert event["data"]["id"] == marker["id"]


# Every write path, as a table: what it emits, for which of the tickets it set up.


@dataclass
class World:
    desk: Desk
    database: Database


# What a change needs set up first; then the change itself, and the ids of its tickets
# by role ("ticket", "source", "target", …).
Change = tuple[Callable[[], Awaitable[object]], dict[str, str]]


async def _patch(world: World) -> Change:
    desk = world.desk
    ticket = await desk.ticket()
    body = {"priority": "urgent", "tags": ["pump"]}
    return lambda: _ok(desk.patch(f"/tickets/{ticket['id']}", body)), {"ticket": ticket["id"]}


async def _assign(world: World) -> Change:
    desk = world.desk
    ticket = await desk.ticket()
    body = {"assignee_id": desk.account.user_id}
    return lambda: _ok(desk.patch(f"/tickets/{ticket['id']}", body)), {"ticket": ticket["id"]}


async def _reserve(world: World) -> Change:
    desk = world.desk
    product, location = await _stock(desk)
    ticket = await desk.ticket()
    body = {"product_id": product["id"], "location_id": location, "quantity": "1"}
    path = f"/tickets/{ticket['id']}/reserve"
    return lambda: _ok(desk.post(path, body), 201), {"ticket": ticket["id"]}


async def _link(world: World) -> Change:
    desk = world.desk
    one, two = await desk.ticket(), await desk.ticket()
    body = {"other_ticket_id": two["id"], "kind": "relates_to"}
    path = f"/tickets/{one['id']}/links"
    return lambda: _ok(desk.post(path, body), 201), {"ticket": one["id"]}


async def _unlink(world: World) -> Change:
    desk = world.desk
    one, two = await desk.ticket(), await desk.ticket()
    linked = ok(await desk.post(f"/tickets/{one['id']}/links", {"other_ticket_id": two["id"]}), 201)
    path = f"/tickets/{one['id']}/links/{linked['links'][0]['id']}"
    return lambda: _ok(desk.delete(path), 204), {"ticket": one["id"]}


async def _attach(world: World) -> Change:
    desk = world.desk
    ticket = await desk.ticket()

    async def upload() -> None:
        await _ok(
            desk.client.post(
                f"/api/v1/tickets/{ticket['id']}/attachments",
                headers=desk.headers,
                files={"file": ("log.txt", b"pump log")},
            ),
            201,
        )

    return upload, {"ticket": ticket["id"]}


async def _merge(world: World) -> Change:
    desk = world.desk
    source, target = await desk.ticket(), await desk.ticket()
    path = f"/tickets/{source['id']}/merge"
    return lambda: _ok(desk.post(path, {"into": target["id"]})), {
        "source": source["id"],
        "target": target["id"],
    }


async def _transition(world: World) -> Change:
    desk = world.desk
    ticket = await desk.ticket()
    return lambda: desk.moved(ticket["id"], "pending"), {"ticket": ticket["id"]}


async def _rate(world: World) -> Change:
    desk = world.desk
    ticket = await desk.ticket()
    await desk.moved(ticket["id"], "resolved")
    (survey,) = await desk.items(f"/tickets/{ticket['id']}/csat")
    path = "/api/v1/csat/" + survey["url"].rsplit("/csat/", 1)[1]
    return lambda: _ok(desk.client.post(path, json={"score": 4})), {"ticket": ticket["id"]}


async def _breach(world: World) -> Change:
    desk = world.desk
    await desk.policy(
        "Around the clock",
        weekly_hours=ALWAYS,
        targets={"normal": {"first_response_minutes": 60, "resolution_minutes": 240}},
    )
    ticket = await desk.ticket()
    tenant = uuid.UUID(desk.account.tenant_id)

    async def run_the_breach_job() -> None:
        async with world.database.transaction(tenant) as session:
            assert await mark_breaches(session, tenant, datetime.now(UTC) + timedelta(days=1))

    return run_the_breach_job, {"ticket": ticket["id"]}


async def _ok(call: Awaitable[httpx.Response], status: int = 200) -> None:
    response = await call
    assert response.status_code == status, response.text


# (name, how it is set up and made, what it emits: (event type, role of the ticket))
CHANGES: list[tuple[str, Callable[[World], Awaitable[Change]], list[tuple[str, str]]]] = [
    ("patch", _patch, [(TicketEvents.UPDATED, "ticket")]),
    ("assign", _assign, [(TicketEvents.UPDATED, "ticket"), (TicketEvents.ASSIGNED, "ticket")]),
    ("reserve", _reserve, [(TicketEvents.RESERVED, "ticket")]),
    ("link", _link, [(TicketEvents.LINKED, "ticket")]),
    ("unlink", _unlink, [(TicketEvents.UNLINKED, "ticket")]),
    ("attach", _attach, [(TicketEvents.ATTACHED, "ticket")]),
    (
        "merge",
        _merge,
        [(TicketEvents.MERGED, "source"), (TicketEvents.UPDATED, "target")],
    ),
    ("transition", _transition, [(TicketEvents.STATUS_CHANGED, "ticket")]),
    ("rate", _rate, [(TicketEvents.RATED, "ticket")]),
    ("sla-breach", _breach, [(TicketEvents.SLA_BREACHED, "ticket")]),
]


class TestEveryChangeIsAnEvent:
    """Each write path puts its event in the outbox in its own transaction (read back as
    the tenant sees its rows; the relay and the socket are proven above), naming the
    ticket it changed."""

    @pytest.mark.parametrize(
        ("make", "expected"),
        [(make, expected) for _, make, expected in CHANGES],
        ids=[name for name, _, _ in CHANGES],
    )
    async def test_the_change_emits_its_event_naming_its_ticket(
        self,
        desk: Desk,
        database: Database,
        services: TestServices,
        make: Callable[[World], Awaitable[Change]],
        expected: list[tuple[str, str]],
    ) -> None:
        change, tickets = await make(World(desk, database))
        before = len(await events(services, desk.account.tenant_id))
        await change()
        emitted = [
            (kind, payload["id"])
            for kind, payload in (await events(services, desk.account.tenant_id))[before:]
        ]
        for kind, role in expected:
            assert (kind, tickets[role]) in emitted, emitted

    async def test_a_link_added_or_removed_names_the_ticket_at_the_other_end(
        self, desk: Desk, services: TestServices
    ) -> None:
        """Both tickets show the link, so both pages must hear of it (from either side)."""
        one, two = await desk.ticket(), await desk.ticket()
        before = len(await events(services, desk.account.tenant_id))
        linked = ok(
            await desk.post(f"/tickets/{one['id']}/links", {"other_ticket_id": two["id"]}), 201
        )
        link_id = linked["links"][0]["id"]
        removed = await desk.delete(f"/tickets/{two['id']}/links/{link_id}")
        assert removed.status_code == 204, removed.text
        emitted = [
            (kind, payload["id"], payload["other_ticket_id"])
            for kind, payload in (await events(services, desk.account.tenant_id))[before:]
            if kind in (TicketEvents.LINKED, TicketEvents.UNLINKED)
        ]
        assert emitted == [
            (TicketEvents.LINKED, one["id"], two["id"]),
            (TicketEvents.UNLINKED, two["id"], one["id"]),
        ]

    def test_the_table_covers_every_ticket_event(self) -> None:
        """A new event type needs a row here (created and commented are proven above)."""
        covered = {kind for _, _, expected in CHANGES for kind, _ in expected}
        types = {v for k, v in vars(TicketEvents).items() if k.isupper()}
        assert covered | {TicketEvents.CREATED, TicketEvents.COMMENTED} == types


class TestSearchDocument:
    async def test_the_document_holds_the_public_conversation_only(
        self, desk: Desk, database: Database, owner: Account
    ) -> None:
        ticket = await desk.ticket(
            subject="Pump leaks", requester={"email": "pat@example.net", "name": "Pat"}
        )
        await desk.comment(ticket["id"], "Replaced the seal")
        await desk.comment(ticket["id"], "INTERNAL do not show", internal=True)
        tenant = uuid.UUID(owner.tenant_id)
        async with database.transaction(tenant) as session:
            document = await ticket_document(session, tenant, uuid.UUID(ticket["id"]))
            missing = await ticket_document(session, tenant, uuid.uuid4())
        assert document is not None
        assert missing is None
        assert (document.key, document.subject) == (ticket["key"], "Pump leaks")
        assert document.public_comments == ["Replaced the seal"]
        assert (document.requester_name, document.requester_email) == ("Pat", "pat@example.net")
        assert "INTERNAL" not in repr(document)
