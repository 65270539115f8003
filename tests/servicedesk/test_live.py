"""Live: every ticket change is an outbox event on ``tickets:updates``, delivered over a
real WebSocket by the server's own relay, with the same resume rules as the other
channels; the search document of a ticket never holds an internal note."""

from __future__ import annotations

import uuid

import httpx
import pytest

from quartermaster.core.db import Database
from quartermaster.core.settings import Settings
from quartermaster.realtime.public import channel_of
from quartermaster.servicedesk.public import TicketEvents, ticket_document
from tests.identity.conftest import Account, Identity
from tests.realtime.conftest import WAIT, open_socket, serve, since
from tests.servicedesk.conftest import Desk

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
