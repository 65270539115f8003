"""The core mail port against real SMTP servers (aiosmtpd): what is sent, what is retried,
what is never sent twice, and what waits for an operator."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from pydantic import SecretStr
from redis.asyncio import Redis

from quartermaster.core.db import Database, set_user
from quartermaster.core.mail import (
    InvalidMail,
    InvalidSmtpUrl,
    MailAttachment,
    MailDelivery,
    MailOwner,
    OutboundMail,
    QueuedMail,
    RetryLater,
    SmtpConfig,
    attach_mail_scheduler,
    deliver,
    queue_mail,
    retry_message,
    store,
    sweep,
    wait_for_mail_enqueues,
)
from quartermaster.core.settings import Settings
from quartermaster.jobs.enqueueing import QUEUE_NAME, JobQueue, MailQueue
from tests.conftest import TestServices, plain
from tests.identity.conftest import Account, Identity
from tests.smtpd import Credentials, closed_port, smtp_server


@pytest.fixture
async def database(services: TestServices) -> AsyncIterator[Database]:
    db = Database(services.app_url, pool_size=3, max_overflow=0)
    yield db
    await db.dispose()


@pytest.fixture
async def owner_database(services: TestServices) -> AsyncIterator[Database]:
    db = Database(services.owner_url, pool_size=1, max_overflow=0)
    yield db
    await db.dispose()


@pytest.fixture
async def owner_conn(services: TestServices) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(plain(services.owner_url))
    yield connection
    await connection.close()


@pytest.fixture
async def tenant(identity: Identity) -> Account:
    return await identity.signup("Acme")


def delivery_to(url: str | None, settings: Settings, **overrides: Any) -> MailDelivery:
    values: dict[str, Any] = {
        "smtp_url": SecretStr(url) if url else None,
        "mail_from": "Acme Supplies <noreply@acme.example>",
        "mail_retry_backoff_seconds": 30.0,
        "mail_max_attempts": 3,
        "mail_timeout_seconds": 10.0,
        **overrides,
    }
    return MailDelivery.from_settings(settings.model_copy(update=values))


def simple(to: str = "ana@example.org", **fields: Any) -> OutboundMail:
    return OutboundMail(
        to=[to], subject="Your order", text="It ships today.", kind="test.notice", **fields
    )


async def queue(database: Database, tenant: Account, mail: OutboundMail) -> QueuedMail:
    tenant_id = uuid.UUID(tenant.tenant_id)
    async with database.transaction(tenant_id) as session:
        message_id = await queue_mail(session, mail, tenant_id=tenant_id)
    return QueuedMail(owner=MailOwner(tenant_id=tenant_id), message_id=message_id)


async def row(owner_conn: asyncpg.Connection, queued: QueuedMail) -> asyncpg.Record:
    found = await owner_conn.fetchrow(
        "SELECT * FROM mail_messages WHERE id = $1", queued.message_id
    )
    assert found is not None
    return found


async def due_now(owner_conn: asyncpg.Connection, queued: QueuedMail) -> None:
    """The retry's time has come (as waiting would make it)."""
    await owner_conn.execute(
        "UPDATE mail_messages SET next_attempt_at = now() WHERE id = $1", queued.message_id
    )


class TestSending:
    async def test_a_mail_goes_out_once_with_its_envelope_headers_alternatives_and_files(
        self,
        database: Database,
        tenant: Account,
        settings: Settings,
        owner_conn: asyncpg.Connection,
    ) -> None:
        mail = OutboundMail(
            to=["Ana Example <ana@example.org>"],
            cc=["bo@example.org"],
            bcc=["audit@example.org"],
            reply_to="support@acme.example",
            subject="Re: Ticket #42\r\nBcc: injected@example.org",
            text="Thanks, we are on it.",
            html="<p>Thanks, we are <b>on it</b>.</p>",
            headers={"In-Reply-To": "<abc@mail.example>", "References": "<abc@mail.example>"},
            attachments=[MailAttachment("invoice.pdf", b"%PDF-1.4 fake", "application/pdf")],
            kind="servicedesk.reply",
            related=("ticket", uuid.UUID(int=42)),
            from_address="Acme Supplies <noreply@acme.example>",
        )
        queued = await queue(database, tenant, mail)
        async with smtp_server() as server:
            outcome = await deliver(database, delivery_to(server.url(), settings), queued)
            again = await deliver(database, delivery_to(server.url(), settings), queued)

        assert (outcome, again) == ("sent", "skipped")
        [received] = server.inbox.received
        assert received.mail_from == "noreply@acme.example"
        assert sorted(received.rcpt_tos) == [
            "ana@example.org",
            "audit@example.org",
            "bo@example.org",
        ]
        message = received.message
        assert message["From"] == "Acme Supplies <noreply@acme.example>"
        assert message["To"] == "Ana Example <ana@example.org>"
        assert message["Cc"] == "bo@example.org"
        assert message["Bcc"] is None  # in the envelope only
        assert message["Reply-To"] == "support@acme.example"
        # A line break in a subject from a user does not become a header.
        assert message["Subject"] == "Re: Ticket #42 Bcc: injected@example.org"
        assert message["In-Reply-To"] == "<abc@mail.example>"
        stored = await row(owner_conn, queued)
        assert message["Message-ID"] == stored["message_id"]
        assert stored["message_id"].endswith("@acme.example>")
        assert message.get_body(("plain",)).get_content().strip() == "Thanks, we are on it."
        assert "<b>on it</b>" in message.get_body(("html",)).get_content()
        [attachment] = list(message.iter_attachments())
        assert attachment.get_filename() == "invoice.pdf"
        assert attachment.get_content() == b"%PDF-1.4 fake"
        assert (stored["status"], stored["attempts"], stored["phase"]) == ("sent", 1, None)
        assert stored["sent_at"] is not None
        assert stored["smtp_response"].startswith("250")
        assert (stored["related_type"], stored["kind"]) == ("ticket", "servicedesk.reply")

    async def test_a_rolled_back_transaction_queues_nothing_and_a_commit_hands_over_once(
        self, database: Database, tenant: Account, redis: Redis, owner_conn: asyncpg.Connection
    ) -> None:
        attach_mail_scheduler(
            database.engine, MailQueue(JobQueue(redis)), default_from="x@acme.example"
        )
        tenant_id = uuid.UUID(tenant.tenant_id)

        async def failing_change() -> None:
            async with database.transaction(tenant_id) as session:
                await queue_mail(session, simple(), tenant_id=tenant_id)
                raise RuntimeError("the business change failed")

        with pytest.raises(RuntimeError):
            await failing_change()
        await wait_for_mail_enqueues()
        assert await owner_conn.fetchval("SELECT count(*) FROM mail_messages") == 0
        assert await redis.zcard(QUEUE_NAME) == 0

        queued = await queue(database, tenant, simple())
        await wait_for_mail_enqueues()

        assert [m.decode() for m in await redis.zrange(QUEUE_NAME, 0, -1)] == [
            f"mail:{queued.message_id}"
        ]

    @pytest.mark.parametrize(
        "mail",
        [
            simple(to="not an address"),
            simple(to="a@example.org, b@example.org"),
            simple(headers={"X-Note": "fine\r\nBcc: evil@example.org"}),
            simple(headers={"From": "ceo@example.org"}),
            simple(headers={"Bad Name": "x"}),
            OutboundMail(to=[], subject="s", text="t", kind="test"),
            simple(attachments=[MailAttachment("big.bin", b"x" * (10 * 1024 * 1024 + 1))]),
        ],
        ids=[
            "bad-address",
            "two-in-one",
            "header-injection",
            "reserved",
            "bad-name",
            "none",
            "too-big",
        ],
    )
    async def test_unusable_mail_is_refused_before_anything_is_written(
        self,
        database: Database,
        tenant: Account,
        owner_conn: asyncpg.Connection,
        mail: OutboundMail,
    ) -> None:
        with pytest.raises(InvalidMail):
            await queue(database, tenant, mail)
        assert await owner_conn.fetchval("SELECT count(*) FROM mail_messages") == 0


class TestFailuresThatProveNothingWasDelivered:
    async def test_an_unreachable_server_is_retried_with_backoff_until_it_answers(
        self,
        database: Database,
        tenant: Account,
        settings: Settings,
        owner_conn: asyncpg.Connection,
    ) -> None:
        queued = await queue(database, tenant, simple())
        down = delivery_to(f"smtp://127.0.0.1:{closed_port()}", settings)

        with pytest.raises(RetryLater) as first:
            await deliver(database, down, queued)
        early = await deliver(database, down, queued)  # its time has not come
        await due_now(owner_conn, queued)
        with pytest.raises(RetryLater) as second:
            await deliver(database, down, queued)

        assert (first.value.delay, second.value.delay) == (30.0, 60.0)
        assert early == "skipped"
        stored = await row(owner_conn, queued)
        assert (stored["status"], stored["attempts"]) == ("queued", 2)
        assert "could not reach" in stored["last_error"]
        await due_now(owner_conn, queued)
        async with smtp_server() as server:
            assert await deliver(database, delivery_to(server.url(), settings), queued) == "sent"
        assert len(server.inbox.received) == 1

    async def test_it_fails_for_good_after_the_last_attempt(
        self,
        database: Database,
        tenant: Account,
        settings: Settings,
        owner_conn: asyncpg.Connection,
    ) -> None:
        queued = await queue(database, tenant, simple())
        down = delivery_to(f"smtp://127.0.0.1:{closed_port()}", settings, mail_max_attempts=2)

        with pytest.raises(RetryLater):
            await deliver(database, down, queued)
        await due_now(owner_conn, queued)
        outcome = await deliver(database, down, queued)

        assert outcome == "failed"
        assert (await row(owner_conn, queued))["status"] == "failed"

    @pytest.mark.parametrize(
        ("reply", "outcome"), [("451 4.3.0 try later", "retry"), ("554 5.7.1 spam", "failed")]
    )
    async def test_a_refused_message_is_retried_or_failed_by_the_reply_class(
        self,
        database: Database,
        tenant: Account,
        settings: Settings,
        owner_conn: asyncpg.Connection,
        reply: str,
        outcome: str,
    ) -> None:
        queued = await queue(database, tenant, simple())
        async with smtp_server() as server:
            server.inbox.data_reply = reply
            if outcome == "retry":
                with pytest.raises(RetryLater):
                    await deliver(database, delivery_to(server.url(), settings), queued)
            else:
                assert await deliver(database, delivery_to(server.url(), settings), queued) == (
                    "failed"
                )
        stored = await row(owner_conn, queued)
        assert stored["status"] == ("queued" if outcome == "retry" else "failed")
        assert reply.split()[0] in stored["last_error"]
        assert server.inbox.received == []

    async def test_recipients_refused_for_good_are_recorded_and_the_others_get_it(
        self,
        database: Database,
        tenant: Account,
        settings: Settings,
        owner_conn: asyncpg.Connection,
    ) -> None:
        queued = await queue(database, tenant, simple(cc=["gone@example.org", "busy@example.org"]))
        async with smtp_server() as server:
            server.inbox.refuse = {
                "gone@example.org": "550 5.1.1 no such user",
                "busy@example.org": "450 4.2.1 mailbox busy",
            }
            outcome = await deliver(database, delivery_to(server.url(), settings), queued)

        assert outcome == "sent"
        [received] = server.inbox.received
        assert received.rcpt_tos == ["ana@example.org"]
        refused = (await row(owner_conn, queued))["refused"]
        assert set(json.loads(refused)) == {"gone@example.org", "busy@example.org"}

    @pytest.mark.parametrize(
        ("reply", "status"), [("450 4.2.1 busy", "queued"), ("550 5.1.1 unknown", "failed")]
    )
    async def test_when_every_recipient_is_refused_the_reply_class_decides(
        self,
        database: Database,
        tenant: Account,
        settings: Settings,
        owner_conn: asyncpg.Connection,
        reply: str,
        status: str,
    ) -> None:
        queued = await queue(database, tenant, simple())
        async with smtp_server() as server:
            server.inbox.refuse = {"ana@example.org": reply}
            with contextlib.suppress(RetryLater):
                await deliver(database, delivery_to(server.url(), settings), queued)
        assert (await row(owner_conn, queued))["status"] == status
        assert server.inbox.received == []


class TestNeverTwice:
    async def test_a_connection_lost_during_the_hand_over_is_left_for_an_operator(
        self,
        database: Database,
        owner_database: Database,
        tenant: Account,
        settings: Settings,
        owner_conn: asyncpg.Connection,
    ) -> None:
        queued = await queue(database, tenant, simple())
        async with smtp_server() as server:
            server.inbox.drop_after_data = True
            delivery = delivery_to(server.url(), settings)
            outcome = await deliver(database, delivery, queued)
            # Nothing sends it again on its own: not another delivery, not the sweeper.
            server.inbox.drop_after_data = False
            again = await deliver(database, delivery, queued)
            swept = await sweep(owner_database, delivery)

            stored = await row(owner_conn, queued)
            assert (outcome, again) == ("uncertain", "skipped")
            assert swept == []
            assert stored["status"] == "uncertain"
            assert "may or may not" in stored["last_error"]
            assert len(server.inbox.received) == 1  # it did arrive: resending would duplicate

            # The operator checked and decides to send it again.
            async with owner_database.transaction() as session:
                await retry_message(session, queued.message_id)
            assert await deliver(database, delivery, queued) == "sent"
        assert len(server.inbox.received) == 2

    async def test_a_worker_that_died_before_the_hand_over_is_replaced_by_a_new_attempt(
        self,
        database: Database,
        owner_database: Database,
        tenant: Account,
        settings: Settings,
        owner_conn: asyncpg.Connection,
    ) -> None:
        queued = await queue(database, tenant, simple())
        async with database.transaction(uuid.UUID(tenant.tenant_id)) as session:
            claimed = await store.claim(
                session, queued.message_id, lease=timedelta(seconds=60), early=timedelta(0)
            )
        assert claimed is not None  # …and then the worker died: its lease lapses
        await owner_conn.execute(
            "UPDATE mail_messages SET lease_until = now() - interval '1 second' WHERE id = $1",
            queued.message_id,
        )
        async with smtp_server() as server:
            delivery = delivery_to(server.url(), settings)
            swept = await sweep(owner_database, delivery)
            outcome = await deliver(database, delivery, queued)

        assert swept == [queued]
        assert outcome == "sent"
        assert len(server.inbox.received) == 1
        assert (await row(owner_conn, queued))["attempts"] == 2

    async def test_a_worker_that_died_during_the_hand_over_leaves_it_uncertain(
        self,
        database: Database,
        owner_database: Database,
        tenant: Account,
        settings: Settings,
        owner_conn: asyncpg.Connection,
    ) -> None:
        queued = await queue(database, tenant, simple())
        tenant_id = uuid.UUID(tenant.tenant_id)
        async with database.transaction(tenant_id) as session:
            claimed = await store.claim(
                session, queued.message_id, lease=timedelta(seconds=60), early=timedelta(0)
            )
        assert claimed is not None
        async with database.transaction(tenant_id) as session:
            assert await store.enter_data_phase(
                session, queued.message_id, claimed.attempts, lease=timedelta(seconds=60)
            )
        await owner_conn.execute(
            "UPDATE mail_messages SET lease_until = now() - interval '1 second' WHERE id = $1",
            queued.message_id,
        )

        swept = await sweep(owner_database, delivery_to("smtp://127.0.0.1:1", settings))

        assert swept == []
        stored = await row(owner_conn, queued)
        assert stored["status"] == "uncertain"
        assert "qm mail retry" in stored["last_error"]

    async def test_an_attempt_that_lost_its_lease_cannot_hand_the_message_over(
        self,
        database: Database,
        owner_database: Database,
        tenant: Account,
        settings: Settings,
        owner_conn: asyncpg.Connection,
    ) -> None:
        queued = await queue(database, tenant, simple())
        tenant_id = uuid.UUID(tenant.tenant_id)
        lease = timedelta(seconds=60)
        async with database.transaction(tenant_id) as session:
            stale = await store.claim(session, queued.message_id, lease=lease, early=timedelta(0))
        assert stale is not None
        await owner_conn.execute(
            "UPDATE mail_messages SET lease_until = now() - interval '1 second' WHERE id = $1",
            queued.message_id,
        )
        await sweep(owner_database, delivery_to("smtp://127.0.0.1:1", settings))
        async with database.transaction(tenant_id) as session:
            newer = await store.claim(session, queued.message_id, lease=lease, early=timedelta(0))
        assert newer is not None

        async with database.transaction(tenant_id) as session:
            old_may_send = await store.enter_data_phase(
                session, queued.message_id, stale.attempts, lease=lease
            )
            new_may_send = await store.enter_data_phase(
                session, queued.message_id, newer.attempts, lease=lease
            )

        assert (old_may_send, new_may_send) == (False, True)


class TestTransportSecurity:
    async def test_starttls_and_authentication(
        self,
        database: Database,
        tenant: Account,
        settings: Settings,
        owner_conn: asyncpg.Connection,
        tmp_path: Path,
    ) -> None:
        credentials = Credentials("mailer", "p@ss word")
        async with smtp_server(starttls=True, credentials=credentials) as server:
            assert server.ca is not None
            ca_file = tmp_path / "ca.pem"
            server.ca.cert_pem.write_to_path(str(ca_file))
            good = server.url(userinfo="mailer:p%40ss%20word", query=f"cafile={ca_file}")
            wrong = server.url(userinfo="mailer:nope", query=f"cafile={ca_file}")
            plain_text = server.url(userinfo="mailer:p%40ss%20word", query="starttls=off")
            unverified = server.url(userinfo="mailer:p%40ss%20word")

            first = await queue(database, tenant, simple())
            with pytest.raises(RetryLater, match="authentication failed"):
                await deliver(database, delivery_to(wrong, settings), first)
            second = await queue(database, tenant, simple())
            with pytest.raises(RetryLater):  # the server insists on TLS first
                await deliver(database, delivery_to(plain_text, settings), second)
            third = await queue(database, tenant, simple())
            with pytest.raises(RetryLater):  # a certificate nobody vouched for
                await deliver(database, delivery_to(unverified, settings), third)
            await due_now(owner_conn, first)
            sent = await deliver(database, delivery_to(good, settings), first)

        assert sent == "sent"
        assert len(server.inbox.received) == 1

    async def test_smtps_speaks_tls_from_the_first_byte(
        self, database: Database, tenant: Account, settings: Settings
    ) -> None:
        async with smtp_server(implicit_tls=True) as server:
            queued = await queue(database, tenant, simple())
            outcome = await deliver(
                database, delivery_to(server.url("smtps", query="verify=false"), settings), queued
            )
        assert outcome == "sent"
        assert len(server.inbox.received) == 1

    def test_smtp_urls(self) -> None:
        plain_local = SmtpConfig.from_url("smtp://127.0.0.1:2525")
        submission = SmtpConfig.from_url("smtp://user:s%3Acret@mail.example:587")
        tls = SmtpConfig.from_url("smtps://mail.example")
        assert (plain_local.port, plain_local.starttls.value) == (2525, "auto")
        assert (submission.username, submission.password) == ("user", "s:cret")
        assert submission.starttls.value == "required"  # credentials never in clear
        assert (tls.port, tls.implicit_tls) == (465, True)
        assert SmtpConfig.from_url("smtp://mail.example").port == 25
        assert "s:cret" not in submission.describe()
        for bad in ("http://x", "smtp://", "smtp://h?bogus=1", "smtps://h?starttls=required"):
            with pytest.raises(InvalidSmtpUrl):
                SmtpConfig.from_url(bad)


class TestWhoSeesWhat:
    async def test_account_mail_is_visible_only_as_that_account(
        self, database: Database, tenant: Account, services: TestServices
    ) -> None:
        user_id = uuid.UUID(tenant.user_id)
        async with database.transaction() as session:
            await set_user(session, user_id)
            await queue_mail(session, simple(), account_user_id=user_id)
        connection = await asyncpg.connect(plain(services.app_url))
        try:
            async with connection.transaction():
                await connection.execute(
                    "SELECT set_config('app.tenant_id', $1, true)", tenant.tenant_id
                )
                as_tenant = await connection.fetchval("SELECT count(*) FROM mail_messages")
            async with connection.transaction():
                await connection.execute(
                    "SELECT set_config('app.user_id', $1, true)", tenant.user_id
                )
                as_user = await connection.fetchval("SELECT count(*) FROM mail_messages")
            async with connection.transaction():
                await connection.execute(
                    "SELECT set_config('app.user_id', $1, true)", str(uuid.uuid4())
                )
                as_other = await connection.fetchval("SELECT count(*) FROM mail_messages")
        finally:
            await connection.close()
        assert (as_tenant, as_user, as_other) == (0, 1, 0)

    async def test_a_tenant_cannot_queue_mail_as_another(
        self, database: Database, identity: Identity
    ) -> None:
        alpha = await identity.signup("Alpha")
        beta = await identity.signup("Beta")
        with pytest.raises(Exception, match="row-level security"):
            async with database.transaction(uuid.UUID(alpha.tenant_id)) as session:
                await queue_mail(session, simple(), tenant_id=uuid.UUID(beta.tenant_id))


@pytest.fixture
async def redis(services: TestServices) -> AsyncIterator[Redis]:
    client = Redis.from_url(services.redis_url)
    yield client
    await client.aclose()
