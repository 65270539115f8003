"""E-mail in, through the provider webhook and through a real SMTP conversation with the
aiosmtpd listener: new tickets, threading (headers, subject tag, merged tickets),
auto-replies and loops never answered, duplicates, attachments kept."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import AsyncIterator
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from quartermaster.api import create_app
from quartermaster.core.settings import Settings
from tests.builders import nothing_written, problem, tenant_tables
from tests.catalog.conftest import ok
from tests.conftest import TestServices
from tests.identity.conftest import Account, Identity, bearer
from tests.servicedesk.conftest import DESK_TABLES, Desk, tenant_rows

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def mail(
    subject: str = "My pump leaks",
    body: str = "Water everywhere.",
    *,
    sender: str = "Pat Customer <pat@example.net>",
    to: str = "support@acme.example",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    headers: dict[str, str] | None = None,
    attachment: tuple[str, bytes] | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="example.net")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    if attachment is not None:
        name, content = attachment
        message.add_attachment(
            content, maintype="application", subtype="octet-stream", filename=name
        )
    return message


class Inbox:
    """Posts raw messages to the webhook with an API key."""

    def __init__(self, client: AsyncClient, key: str) -> None:
        self.client = client
        self.key = key

    async def send(self, message: EmailMessage | bytes) -> dict[str, Any]:
        response = await self.post(message)
        return ok(response)

    async def post(self, message: EmailMessage | bytes) -> Any:
        raw = message if isinstance(message, bytes) else message.as_bytes()
        return await self.client.post(
            "/api/v1/inbound/email",
            content=raw,
            headers={**bearer(self.key), "Content-Type": "message/rfc822"},
        )


@pytest.fixture
async def inbox(client: AsyncClient, identity: Identity, owner: Account) -> Inbox:
    key = await identity.api_key(owner, "staff", name="mail provider")
    return Inbox(client, key["key"])


class TestNewMessages:
    async def test_a_new_message_opens_a_ticket_for_the_sender(
        self, inbox: Inbox, desk: Desk
    ) -> None:
        result = await inbox.send(mail())
        assert result["outcome"] == "created"
        ticket = await desk.get_ticket(result["ticket_id"])
        assert ticket["channel"] == "email"
        assert ticket["subject"] == "My pump leaks"
        assert ticket["description"] == "Water everywhere."
        assert ticket["requester"]["email"] == "pat@example.net"
        assert ticket["requester"]["name"] == "Pat Customer"

    async def test_the_same_message_twice_is_one_ticket(self, inbox: Inbox, desk: Desk) -> None:
        message = mail()
        first = await inbox.send(message)
        second = await inbox.send(message)
        assert second["outcome"] == "duplicate"
        assert second["ticket_id"] == first["ticket_id"]
        assert len(await desk.list_tickets()) == 1

    async def test_the_same_message_delivered_concurrently_is_one_ticket(
        self, inbox: Inbox, desk: Desk
    ) -> None:
        message = mail()
        results = await asyncio.gather(*(inbox.send(message) for _ in range(4)))
        assert sorted(r["outcome"] for r in results) == [
            "created",
            "duplicate",
            "duplicate",
            "duplicate",
        ]
        assert len(await desk.list_tickets()) == 1
        # The losers used no number: the next ticket follows directly.
        (only,) = await desk.list_tickets()
        assert (await desk.ticket())["number"] == only["number"] + 1

    async def test_an_attachment_is_kept_with_its_sniffed_type(
        self, inbox: Inbox, desk: Desk
    ) -> None:
        result = await inbox.send(mail(attachment=("../../etc/invoice.pdf", PDF)))
        (attachment,) = await desk.items(f"/tickets/{result['ticket_id']}/attachments")
        assert attachment["file_name"] == "invoice.pdf"
        assert attachment["content_type"] == "application/pdf"
        assert attachment["size"] == len(PDF)
        download = await desk.get(f"/tickets/{result['ticket_id']}/attachments/{attachment['id']}")
        assert download.content == PDF
        assert download.headers["content-type"] == "application/pdf"

    async def test_an_html_only_message_becomes_text(self, inbox: Inbox, desk: Desk) -> None:
        message = EmailMessage()
        message["From"] = "pat@example.net"
        message["Subject"] = "HTML"
        message.set_content("<p>Hello <b>there</b><script>x()</script></p>", subtype="html")
        result = await inbox.send(message)
        ticket = await desk.get_ticket(result["ticket_id"])
        assert "<" not in ticket["description"]
        assert "Hello" in ticket["description"]


class TestThreading:
    async def test_a_reply_by_in_reply_to_lands_on_its_ticket_and_reopens_it(
        self, inbox: Inbox, desk: Desk
    ) -> None:
        first = mail()
        created = await inbox.send(first)
        await desk.moved(created["ticket_id"], "pending")
        reply = mail("Re: My pump leaks", "Serial is 42.", in_reply_to=first["Message-ID"])
        threaded = await inbox.send(reply)
        assert threaded["outcome"] == "threaded"
        assert threaded["ticket_id"] == created["ticket_id"]
        ticket = await desk.get_ticket(created["ticket_id"])
        assert ticket["status"] == "open"
        comments = await desk.items(f"/tickets/{created['ticket_id']}/comments")
        assert [(c["author_kind"], c["body"], c["channel"]) for c in comments] == [
            ("requester", "Serial is 42.", "email")
        ]

    async def test_a_reply_by_references_only_is_threaded(self, inbox: Inbox) -> None:
        first = mail()
        created = await inbox.send(first)
        reply = mail(
            "Re: Fwd: something else",
            "More",
            references=f"<unrelated@example.org> {first['Message-ID']}",
        )
        assert (await inbox.send(reply))["ticket_id"] == created["ticket_id"]

    async def test_a_reply_by_the_subject_tag_is_threaded(self, inbox: Inbox, desk: Desk) -> None:
        ticket = await desk.ticket()
        reply = mail(f"Re: [{ticket['key']}] Problem", "Any news?")
        result = await inbox.send(reply)
        assert (result["outcome"], result["ticket_id"]) == ("threaded", ticket["id"])

    async def test_a_reply_to_a_merged_ticket_lands_on_the_surviving_one(
        self, inbox: Inbox, desk: Desk
    ) -> None:
        first = mail()
        created = await inbox.send(first)
        target = await desk.ticket()
        ok(await desk.post(f"/tickets/{created['ticket_id']}/merge", {"into": target["id"]}))
        reply = mail("Re: My pump leaks", "Still leaking", in_reply_to=first["Message-ID"])
        assert (await inbox.send(reply))["ticket_id"] == target["id"]

    async def test_a_reply_to_a_closed_ticket_opens_a_new_linked_one(
        self, inbox: Inbox, desk: Desk
    ) -> None:
        first = mail()
        created = await inbox.send(first)
        await desk.moved(created["ticket_id"], "closed")
        reply = mail("Re: My pump leaks", "It is back", in_reply_to=first["Message-ID"])
        result = await inbox.send(reply)
        assert result["outcome"] == "created"
        assert result["ticket_id"] != created["ticket_id"]
        (link,) = (await desk.get_ticket(result["ticket_id"]))["links"]
        assert link["other_ticket_id"] == created["ticket_id"]


class TestMachines:
    @pytest.mark.parametrize(
        "headers",
        [
            {"Auto-Submitted": "auto-replied"},
            {"Auto-Submitted": "auto-generated"},
            {"Precedence": "bulk"},
            {"X-Autoreply": "yes"},
            {"Return-Path": "<>"},
        ],
    )
    async def test_an_auto_reply_never_opens_a_ticket(
        self, inbox: Inbox, desk: Desk, headers: dict[str, str]
    ) -> None:
        result = await inbox.send(mail("Out of office", "Back on Monday", headers=headers))
        assert result["outcome"] == "ignored"
        assert result["reason"]
        assert await desk.list_tickets() == []

    async def test_our_own_loop_marker_is_dropped_even_on_a_thread(
        self, inbox: Inbox, desk: Desk
    ) -> None:
        ticket = await desk.ticket()
        looped = mail(f"Re: [{ticket['key']}]", "echo", headers={"X-QM-Loop": "quartermaster"})
        assert (await inbox.send(looped))["outcome"] == "ignored"
        assert await desk.items(f"/tickets/{ticket['id']}/comments") == []

    async def test_an_auto_reply_on_a_thread_is_kept_but_reopens_nothing(
        self, inbox: Inbox, desk: Desk
    ) -> None:
        first = mail()
        created = await inbox.send(first)
        await desk.moved(created["ticket_id"], "resolved")
        ooo = mail(
            "Auto: Re: My pump leaks",
            "I am out of the office",
            in_reply_to=first["Message-ID"],
            headers={"Auto-Submitted": "auto-replied"},
        )
        result = await inbox.send(ooo)
        assert result["outcome"] == "threaded"
        assert (await desk.get_ticket(created["ticket_id"]))["status"] == "resolved"


class TestRefusals:
    async def test_a_message_without_a_sender_is_422(
        self, inbox: Inbox, desk: Desk, services: TestServices
    ) -> None:
        async with nothing_written(services, desk.account.tenant_id, DESK_TABLES):
            for raw, why in (
                (b"Subject: nobody\r\n\r\nhello\r\n", "no valid From address"),
                (b"", "the message is empty"),
                (b"\x00\xff\xfe garbage", "no valid From address"),
            ):
                assert why in problem(await inbox.post(raw), 422, "invalid-email")["detail"]

    async def test_only_an_api_key_may_post_mail(
        self, client: AsyncClient, desk: Desk, identity: Identity, services: TestServices
    ) -> None:
        viewer_key = (await identity.api_key(desk.account, "viewer", name="ro"))["key"]
        async with nothing_written(services, desk.account.tenant_id, DESK_TABLES):
            response = await client.post(
                "/api/v1/inbound/email", content=mail().as_bytes(), headers=desk.headers
            )
            problem(response, 403, "api-key-required")
            response = await client.post(
                "/api/v1/inbound/email", content=mail().as_bytes(), headers=bearer(viewer_key)
            )
        assert "'tickets:write'" in problem(response, 403, "permission-denied")["detail"]

    async def test_a_message_over_the_limit_is_413_and_opens_nothing(
        self, inbox: Inbox, settings: Settings, desk: Desk, services: TestServices
    ) -> None:
        huge = mail(body="x" * (settings.inbound_email_max_bytes + 10))
        response = await inbox.post(huge)
        problem(response, 413, "payload-too-large")
        tables = ("tickets", "contacts", "email_messages")
        assert await tenant_tables(services, desk.account.tenant_id, tables) == {
            table: [] for table in tables
        }

    async def test_nul_bytes_and_broken_encodings_in_a_message_are_stored_cleanly(
        self, inbox: Inbox, desk: Desk
    ) -> None:
        raw = (
            b"From: pat@example.net\r\nSubject: =?utf-8?b?/w==?= nul\x00here\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\n\r\nbody \x00 with \xff bytes\r\n"
        )
        result = await inbox.send(raw)
        ticket = await desk.get_ticket(result["ticket_id"])
        assert "\x00" not in ticket["subject"] + ticket["description"]


# The SMTP listener (aiosmtpd) inside a real app, spoken to with smtplib.


@pytest.fixture
async def smtp_app(settings: Settings, tmp_path: Any) -> AsyncIterator[FastAPI]:
    application = create_app(
        settings.model_copy(update={"inbound_smtp_port": 0, "servicedesk_files_dir": tmp_path})
    )
    async with application.router.lifespan_context(application):
        yield application


def _send(port: int, message: EmailMessage, recipients: list[str]) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        smtp.send_message(message, to_addrs=recipients)


@pytest.mark.slow
class TestSmtpListener:
    async def test_mail_over_smtp_opens_and_threads_tickets(
        self, smtp_app: FastAPI, owner: Account, services: TestServices
    ) -> None:
        async with AsyncClient(
            transport=ASGITransport(app=smtp_app), base_url="http://test"
        ) as client:
            info = ok(await client.get("/api/v1/inbound/address", headers=owner.headers))
            port = smtp_app.state.inbound_smtp_port
            assert info["smtp_port"] == port
            address = info["address"]
            assert owner.tenant_id.replace("-", "") in address

            first = mail(to=address, attachment=("photo.pdf", PDF))
            await asyncio.to_thread(_send, port, first, [address])
            reply = mail("Re: My pump leaks", "Photo attached", in_reply_to=first["Message-ID"])
            await asyncio.to_thread(_send, port, reply, [address])

            tickets = await tenant_rows(
                services, owner.tenant_id, "SELECT id, channel, subject FROM tickets"
            )
            assert [(r["channel"], r["subject"]) for r in tickets] == [("email", "My pump leaks")]
            ticket_id = str(tickets[0]["id"])
            comments = ok(
                await client.get(f"/api/v1/tickets/{ticket_id}/comments", headers=owner.headers)
            )["items"]
            assert [c["body"] for c in comments] == ["Photo attached"]
            (attachment,) = ok(
                await client.get(f"/api/v1/tickets/{ticket_id}/attachments", headers=owner.headers)
            )["items"]
            assert attachment["content_type"] == "application/pdf"

    async def test_an_address_that_names_no_organization_is_refused(
        self, smtp_app: FastAPI
    ) -> None:
        port = smtp_app.state.inbound_smtp_port
        for recipient in ("nobody@acme.example", "support+" + "0" * 32 + "@acme.example"):
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                await asyncio.to_thread(_send, port, mail(to=recipient), [recipient])
