"""E-mail out, through the core mail port: acknowledgements, agent replies and rating
links queued in the ticket's transaction, threaded so the requester's answers come back
to the ticket, never for internal notes, never in answer to a machine."""

from __future__ import annotations

import json
from typing import Any

import pytest
from httpx import AsyncClient

from tests.builders import problem
from tests.catalog.conftest import ok
from tests.conftest import Outbox
from tests.identity.conftest import Account, Identity, bearer
from tests.servicedesk.conftest import Desk
from tests.servicedesk.test_email import Inbox, mail

REQUESTER = "pat@example.net"


@pytest.fixture
async def inbox(client: AsyncClient, identity: Identity, owner: Account) -> Inbox:
    key = await identity.api_key(owner, "staff", name="mail provider")
    return Inbox(client, key["key"])


async def _mails(outbox: Outbox, kind: str | None = None) -> list[dict[str, Any]]:
    """The queued mails to the requester, headers as a dict."""
    found = []
    for row in await outbox.messages(to=REQUESTER, kind=kind):
        message = dict(row)
        message["headers"] = json.loads(message["headers"] or "{}")
        found.append(message)
    return found


class TestAcknowledgementsAndReplies:
    async def test_a_new_ticket_is_acknowledged_and_a_public_reply_is_mailed(
        self, desk: Desk, outbox: Outbox, owner: Account
    ) -> None:
        ticket = await desk.ticket(subject="Pump leaks", requester={"email": REQUESTER})
        (ack,) = await _mails(outbox, "servicedesk.acknowledgement")
        assert ack["subject"] == f"[{ticket['key']}] Pump leaks"
        assert ack["headers"]["Auto-Submitted"] == "auto-replied"
        assert ack["headers"]["X-QM-Loop"] == owner.tenant_id.replace("-", "")
        tenant_hex = owner.tenant_id.replace("-", "")
        assert ack["reply_to"] == f"support+{tenant_hex}@localhost.localdomain"
        assert ticket["key"] in ack["text_body"]

        await desk.comment(ticket["id"], "SECRET internal note", internal=True)
        await desk.comment(ticket["id"], "Please send a photo.")
        (reply,) = await _mails(outbox, "servicedesk.reply")
        assert reply["text_body"] == "Please send a photo."
        assert "Auto-Submitted" not in reply["headers"]
        # Threaded on what the requester already has: the acknowledgement.
        assert reply["headers"]["In-Reply-To"] == ack["message_id"]
        assert all("SECRET" not in m["text_body"] for m in await _mails(outbox))

    async def test_resolving_mails_a_rating_link_that_works(
        self, desk: Desk, outbox: Outbox, client: AsyncClient
    ) -> None:
        ticket = await desk.ticket(requester={"email": REQUESTER})
        await desk.moved(ticket["id"], "resolved")
        (link_mail,) = await _mails(outbox, "servicedesk.csat")
        url = next(w for w in link_mail["text_body"].split() if "/csat/qmc_" in w)
        # The link opens the web app's rating page, which answers through the API.
        assert "/api/" not in url
        path = "/api/v1/csat/" + url.rsplit("/csat/", 1)[1]
        assert ok(await client.post(path, json={"score": 5}))["score"] == 5


class TestMailThreadsBack:
    async def test_an_e_mail_ticket_is_acknowledged_in_its_thread_and_answers_return(
        self, inbox: Inbox, desk: Desk, outbox: Outbox
    ) -> None:
        first = mail(sender=f"Pat <{REQUESTER}>")
        created = await inbox.send(first)
        (ack,) = await _mails(outbox, "servicedesk.acknowledgement")
        assert ack["headers"]["In-Reply-To"] == first["Message-ID"]
        await desk.comment(created["ticket_id"], "Which model is it?")
        (reply,) = await _mails(outbox, "servicedesk.reply")
        # The requester answers the agent's mail: it lands on the same ticket.
        answer = mail("Re: whatever", "Model X", sender=REQUESTER, in_reply_to=reply["message_id"])
        threaded = await inbox.send(answer)
        assert (threaded["outcome"], threaded["ticket_id"]) == ("threaded", created["ticket_id"])

    async def test_machines_are_never_answered(
        self, inbox: Inbox, desk: Desk, outbox: Outbox
    ) -> None:
        first = mail(sender=REQUESTER)
        created = await inbox.send(first)
        before = len(await _mails(outbox))
        out_of_office = mail(
            "Auto: out of office",
            "Back Monday",
            sender=REQUESTER,
            in_reply_to=first["Message-ID"],
            headers={"Auto-Submitted": "auto-replied"},
        )
        assert (await inbox.send(out_of_office))["outcome"] == "threaded"
        fresh_bounce = mail("Undeliverable", "…", sender=REQUESTER, headers={"Return-Path": "<>"})
        assert (await inbox.send(fresh_bounce))["outcome"] == "ignored"
        assert len(await _mails(outbox)) == before
        # Our own mail coming back in (a forwarding loop) is dropped.
        (ack,) = await _mails(outbox, "servicedesk.acknowledgement")
        echo = mail(ack["subject"], "echo", sender=REQUESTER, headers={"X-QM-Loop": "x"})
        assert (await inbox.send(echo))["outcome"] == "ignored"
        assert len(await _mails(outbox)) == before
        assert created["ticket_id"]

    async def test_a_user_without_api_key_cannot_post_mail(
        self, client: AsyncClient, desk: Desk
    ) -> None:
        response = await client.post(
            "/api/v1/inbound/email", content=mail().as_bytes(), headers=bearer("nonsense")
        )
        problem(response, 401, "invalid-token")
