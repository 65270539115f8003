"""E-mail out, through the core mail port: acknowledgements, agent replies and rating
links queued in the ticket's transaction, threaded so the requester's answers come back
to the ticket, never for internal notes, never in answer to a machine; and what a real SMTP
server receives from the mail job (nothing for a refused ticket, one acknowledgement for a
message delivered twice)."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from httpx import AsyncClient
from pydantic import SecretStr

from quartermaster.core.settings import Settings
from tests.builders import nothing_written, problem
from tests.catalog.conftest import ok
from tests.conftest import Outbox, TestServices
from tests.identity.conftest import Account, Identity, bearer
from tests.jobs.conftest import run_queued_jobs
from tests.servicedesk.conftest import DESK_TABLES, Desk, tenant_rows
from tests.servicedesk.test_email import Inbox, mail
from tests.servicedesk.test_merge_links_rma import _stock
from tests.smtpd import SmtpServer, smtp_server

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


@pytest.fixture
def worker_settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(update={"jobs_files_dir": tmp_path})


def _mailer(settings: Settings, server: SmtpServer) -> Settings:
    """The worker's settings, sending to ``server``."""
    return settings.model_copy(update={"smtp_url": SecretStr(server.url())})


class TestDeliveredToTheRequester:
    """What the requester's mailbox actually gets: the mail job (a real worker's
    ``mail.send``) hands the queued mail to a real SMTP server (aiosmtpd)."""

    async def test_the_acknowledgement_and_a_reply_arrive_threaded_and_a_note_sends_nothing(
        self,
        inbox: Inbox,
        desk: Desk,
        owner: Account,
        services: TestServices,
        worker_settings: Settings,
    ) -> None:
        tenant_hex = owner.tenant_id.replace("-", "")
        first = mail("Pump leaks", sender=f"Pat <{REQUESTER}>")
        async with smtp_server() as server:
            mailer = _mailer(worker_settings, server)
            created = await inbox.send(first)
            await run_queued_jobs(mailer)
            assert len(server.inbox.received) == 1
            await desk.comment(created["ticket_id"], "SECRET internal note", internal=True)
            await run_queued_jobs(mailer)
            assert len(server.inbox.received) == 1  # a note mails nobody
            reply_comment = await desk.comment(created["ticket_id"], "Please send a photo.")
            await run_queued_jobs(mailer)
        ack_received, reply_received = server.inbox.received
        ack, reply = ack_received.message, reply_received.message

        ticket = await desk.get_ticket(created["ticket_id"])
        assert ticket["key"].startswith("QM-")
        for received, message in ((ack_received, ack), (reply_received, reply)):
            assert received.rcpt_tos == [REQUESTER]
            assert message["To"] == REQUESTER
            assert message["Subject"] == f"[{ticket['key']}] Pump leaks"
            assert message["Reply-To"] == f"support+{tenant_hex}@localhost.localdomain"
            assert message["X-QM-Loop"] == tenant_hex  # ours, should it ever come back in
        # The Message-IDs are the ones the ticket recorded, so answers thread back to it.
        stored = await tenant_rows(
            services,
            owner.tenant_id,
            "SELECT message_id, comment_id FROM email_messages "
            "WHERE ticket_id = $1 AND direction = 'outbound' ORDER BY id",
            uuid.UUID(ticket["id"]),
        )
        assert [(r["message_id"], r["comment_id"]) for r in stored] == [
            (ack["Message-ID"], None),
            (reply["Message-ID"], uuid.UUID(reply_comment["id"])),
        ]
        # The acknowledgement answers the requester's mail; the reply follows both.
        assert (ack["In-Reply-To"], ack["References"]) == (first["Message-ID"],) * 2
        assert reply["In-Reply-To"] == ack["Message-ID"]
        assert reply["References"] == f"{first['Message-ID']} {ack['Message-ID']}"
        # Only the acknowledgement is automatic (RFC 3834): an agent's reply is not.
        assert ack["Auto-Submitted"] == "auto-replied"
        assert reply["Auto-Submitted"] is None
        assert ticket["key"] in ack.get_body(("plain",)).get_content()
        assert reply.get_body(("plain",)).get_content().strip() == "Please send a photo."
        assert all(b"SECRET" not in r.content for r in server.inbox.received)

    async def test_a_refused_ticket_leaves_no_mail_behind(
        self, desk: Desk, services: TestServices, outbox: Outbox, worker_settings: Settings
    ) -> None:
        product, location = await _stock(desk, "3")
        held = {"product_id": product["id"], "location_id": location, "quantity": "2"}
        tables = (*DESK_TABLES, "reservations", "mail_messages")
        async with nothing_written(services, desk.account.tenant_id, tables):
            refused = await desk.open(requester={"email": REQUESTER}, reservations=[held, held])
        problem(refused, 409, "insufficient-stock")
        assert await outbox.messages() == []
        async with smtp_server() as server:
            await run_queued_jobs(_mailer(worker_settings, server))
        assert server.inbox.received == []

    async def test_a_message_delivered_several_times_is_acknowledged_once(
        self, inbox: Inbox, outbox: Outbox, worker_settings: Settings
    ) -> None:
        first = mail(sender=REQUESTER)
        at_once = await asyncio.gather(*(inbox.send(first) for _ in range(3)))
        later = await inbox.send(first)
        outcomes = sorted(r["outcome"] for r in [*at_once, later])
        assert outcomes == ["created", "duplicate", "duplicate", "duplicate"]
        assert len({r["ticket_id"] for r in [*at_once, later]}) == 1
        async with smtp_server() as server:
            await run_queued_jobs(_mailer(worker_settings, server))
        (ack,) = server.inbox.received
        assert ack.message["In-Reply-To"] == first["Message-ID"]
        assert [m["kind"] for m in await outbox.messages()] == ["servicedesk.acknowledgement"]
