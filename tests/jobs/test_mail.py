"""Mail through the worker: a request queues it, the worker's `mail.send` task sends it to
a real SMTP server (aiosmtpd), retries, and the sweeper hands over what was never queued."""

from __future__ import annotations

import re
import uuid
from typing import Any

from httpx import AsyncClient
from pydantic import SecretStr

from quartermaster.core.db import Database
from quartermaster.core.mail import OutboundMail, queue_mail
from quartermaster.core.settings import Settings
from quartermaster.jobs.runtime import WorkerRuntime
from quartermaster.jobs.tasks import sweep_mail
from tests.conftest import TestServices
from tests.identity.conftest import PASSWORD, Account, Identity
from tests.jobs.conftest import run_queued_jobs
from tests.smtpd import smtp_server


def with_smtp(settings: Settings, url: str, **overrides: Any) -> Settings:
    return settings.model_copy(update={"smtp_url": SecretStr(url), **overrides})


async def test_an_invitation_reaches_the_mailbox_and_its_link_works(
    client: AsyncClient, identity: Identity, owner: Account, jobs_settings: Settings
) -> None:
    async with smtp_server() as server:
        await identity.invite(owner, "newcomer@example.org", "staff")
        ran = await run_queued_jobs(with_smtp(jobs_settings, server.url()))

    assert ran == 1
    [received] = server.inbox.received
    assert received.rcpt_tos == ["newcomer@example.org"]
    message = received.message
    assert message["Subject"] == "You are invited to join Acme on Quartermaster"
    assert message["Auto-Submitted"] == "auto-generated"
    body = message.get_body(("plain",)).get_content()
    match = re.search(r"/invitation#token=(qmi_[0-9a-f]+)", body)
    assert match, body
    accepted = await client.post(
        "/api/v1/auth/invitations/accept",
        json={"token": match.group(1), "password": PASSWORD, "full_name": "Newcomer"},
    )
    assert accepted.status_code == 200, accepted.text
    outbox = await client.get("/api/v1/mail/outbox", headers=owner.headers)
    [listed] = outbox.json()["items"]
    assert (listed["status"], listed["kind"], listed["attempts"]) == (
        "sent",
        "identity.invitation",
        1,
    )


async def test_a_refusal_for_now_is_retried_by_the_worker_after_its_backoff(
    identity: Identity, owner: Account, jobs_settings: Settings
) -> None:
    async with smtp_server() as server:
        server.inbox.data_reply = "451 4.3.0 greylisted, try again"
        server.inbox.data_refusals = 1
        await identity.invite(owner, "later@example.org", "viewer")
        settings = with_smtp(jobs_settings, server.url(), mail_retry_backoff_seconds=0.2)
        await run_queued_jobs(settings)

    assert server.inbox.data_refusals == 0
    assert [r.rcpt_tos for r in server.inbox.received] == [["later@example.org"]]


async def test_the_sweeper_hands_over_mail_whose_enqueue_was_lost(
    services: TestServices,
    owner: Account,
    jobs_settings: Settings,
    runtime: WorkerRuntime,
    client: AsyncClient,
) -> None:
    # A process without a scheduler (or one that died right after COMMIT): queued, never
    # handed to the job queue.
    database = Database(services.app_url, pool_size=1, max_overflow=0)
    tenant_id = uuid.UUID(owner.tenant_id)
    try:
        async with database.transaction(tenant_id) as session:
            await queue_mail(
                session,
                OutboundMail(
                    to=["ops@example.org"], subject="Digest", text="…", kind="test.digest"
                ),
                tenant_id=tenant_id,
            )
    finally:
        await database.dispose()
    async with smtp_server() as server:
        settings = with_smtp(jobs_settings, server.url())
        assert await run_queued_jobs(settings) == 0  # nothing was queued

        runtime.settings = settings
        handed_over = await sweep_mail({"quartermaster": runtime})
        await run_queued_jobs(settings)

    assert handed_over == 1
    assert [r.rcpt_tos for r in server.inbox.received] == [["ops@example.org"]]
    listed = (await client.get("/api/v1/mail/outbox", headers=owner.headers)).json()["items"]
    assert [m["status"] for m in listed] == ["sent"]


async def test_without_an_smtp_server_mail_waits_queued(
    identity: Identity, owner: Account, jobs_settings: Settings, client: AsyncClient
) -> None:
    await identity.invite(owner, "patient@example.org", "viewer")
    await run_queued_jobs(jobs_settings)  # QM_SMTP_URL unset

    listed = (await client.get("/api/v1/mail/outbox", headers=owner.headers)).json()["items"]
    assert [(m["status"], m["attempts"]) for m in listed] == [("queued", 0)]
