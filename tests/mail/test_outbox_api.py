"""The outbox API: administrators see their organization's e-mails (never another's, never
a confidential body) and decide what happens to failed or uncertain ones."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from httpx import AsyncClient

from quartermaster.core.db import Database
from quartermaster.core.mail import OutboundMail, queue_mail
from tests.builders import problem
from tests.conftest import TestServices, plain
from tests.identity.conftest import Account, Identity

OUTBOX = "/api/v1/mail/outbox"


@pytest.fixture
async def database(services: TestServices) -> AsyncIterator[Database]:
    db = Database(services.app_url, pool_size=2, max_overflow=0)
    yield db
    await db.dispose()


@pytest.fixture
async def owner_conn(services: TestServices) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(plain(services.owner_url))
    yield connection
    await connection.close()


async def send(database: Database, account: Account, subject: str, kind: str = "test.note") -> str:
    tenant_id = uuid.UUID(account.tenant_id)
    async with database.transaction(tenant_id) as session:
        message_id = await queue_mail(
            session,
            OutboundMail(
                to=["ana@example.org"],
                subject=subject,
                text=f"Body of {subject}",
                html=f"<p>{subject}</p>",
                kind=kind,
                headers={"References": "<x@example.org>"},
            ),
            tenant_id=tenant_id,
        )
    return str(message_id)


async def test_admins_list_and_read_their_organizations_mail(
    client: AsyncClient, identity: Identity, database: Database
) -> None:
    owner = await identity.signup("Acme")
    ids = [await send(database, owner, f"Note {i}") for i in range(3)]
    other = await send(database, owner, "Digest", kind="test.digest")

    first = await client.get(OUTBOX, headers=owner.headers, params={"limit": 2})
    second = await client.get(
        OUTBOX, headers=owner.headers, params={"limit": 2, "cursor": first.json()["next_cursor"]}
    )
    by_kind = await client.get(OUTBOX, headers=owner.headers, params={"kind": "test.digest"})
    detail = await client.get(f"{OUTBOX}/{ids[0]}", headers=owner.headers)

    listed = [m["id"] for m in first.json()["items"] + second.json()["items"]]
    assert listed == [other, *reversed(ids)]
    assert [m["id"] for m in by_kind.json()["items"]] == [other]
    body = detail.json()
    assert (body["status"], body["subject"], body["to"]) == (
        "queued",
        "Note 0",
        ["ana@example.org"],
    )
    assert body["text_body"] == "Body of Note 0"
    assert body["html_body"] == "<p>Note 0</p>"
    assert body["headers"] == {"References": "<x@example.org>"}
    assert body["from_address"] is None  # QM_MAIL_FROM at send time


async def test_only_admins_read_the_outbox_and_only_their_own(
    client: AsyncClient, identity: Identity, database: Database
) -> None:
    acme = await identity.signup("Acme")
    globex = await identity.signup("Globex")
    manager = await identity.member(acme, "manager")
    theirs = await send(database, globex, "Globex secret")

    forbidden = await client.get(OUTBOX, headers=manager.headers)
    read = await client.get(f"{OUTBOX}/{theirs}", headers=acme.headers)
    retry = await client.post(f"{OUTBOX}/{theirs}/retry", headers=acme.headers)
    cancel = await client.post(f"{OUTBOX}/{theirs}/cancel", headers=acme.headers)
    listed = await client.get(OUTBOX, headers=acme.headers)

    assert (forbidden.status_code, forbidden.json()["code"]) == (403, "permission-denied")
    for refused in (read, retry, cancel):
        problem(refused, 404, "mail-not-found")
    assert "Globex secret" not in listed.text
    assert (await client.get(f"{OUTBOX}/{theirs}", headers=globex.headers)).status_code == 200


async def test_failed_or_uncertain_mail_can_be_retried_or_cancelled_and_nothing_else(
    client: AsyncClient, identity: Identity, database: Database, owner_conn: asyncpg.Connection
) -> None:
    owner = await identity.signup("Acme")
    queued = await send(database, owner, "Queued")
    uncertain = await send(database, owner, "Uncertain")
    await owner_conn.execute(
        "UPDATE mail_messages SET status = 'uncertain', attempts = 3 WHERE id = $1",
        uuid.UUID(uncertain),
    )

    cannot_retry = await client.post(f"{OUTBOX}/{queued}/retry", headers=owner.headers)
    retried = await client.post(f"{OUTBOX}/{uncertain}/retry", headers=owner.headers)
    cancelled = await client.post(f"{OUTBOX}/{queued}/cancel", headers=owner.headers)
    again = await client.post(f"{OUTBOX}/{queued}/cancel", headers=owner.headers)

    assert (cannot_retry.status_code, cannot_retry.json()["code"]) == (409, "mail-status-conflict")
    assert retried.status_code == 200
    assert retried.json()["status"] == "queued"
    assert cancelled.json()["status"] == "cancelled"
    assert "is cancelled" in problem(again, 409, "mail-status-conflict")["detail"]
    series = await owner_conn.fetchval(
        "SELECT series_start FROM mail_messages WHERE id = $1", uuid.UUID(uncertain)
    )
    assert series == 3  # a fresh series of attempts, the fencing token still rising
