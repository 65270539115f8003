"""Changing a password (knowing the current one) and resetting it by e-mail; either way
every other session of the account ends."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import pytest
from httpx import AsyncClient, Response
from sqlalchemy.engine import make_url

from quartermaster.core.settings import Settings
from tests.builders import problem
from tests.conftest import Outbox, TestServices, plain
from tests.identity.conftest import PASSWORD, Identity, bearer
from tests.identity.test_auth import client_of, serving

CHANGE = "/api/v1/auth/change-password"
RESET = "/api/v1/auth/password-reset"
CONFIRM = "/api/v1/auth/password-reset/confirm"
RESET_MAIL = "identity.password_reset"
NEW_PASSWORD = "an entirely new passphrase"


@pytest.fixture
async def superuser(services: TestServices) -> Any:
    url = make_url(services.admin_url).set(database=make_url(services.owner_url).database)
    connection = await asyncpg.connect(plain(url.render_as_string(hide_password=False)))
    yield connection
    await connection.close()


async def login(client: AsyncClient, email: str, password: str) -> Response:
    return await client.post("/api/v1/auth/token", data={"username": email, "password": password})


class TestChangePassword:
    async def test_the_new_password_works_and_every_other_session_ends(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        acme = await identity.signup("Acme", email="dana@example.org")
        globex = await identity.signup("Globex")
        in_globex = await identity.join(acme, globex, "staff")
        other_session = await identity.login(acme.email, tenant=acme.tenant_slug)

        response = await client.post(
            CHANGE,
            headers=acme.headers,
            json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        )

        assert response.status_code == 200, response.text
        fresh = response.json()
        assert fresh["tenant"]["id"] == acme.tenant_id
        assert (
            await client.get("/api/v1/me", headers=bearer(fresh["access_token"]))
        ).status_code == 200
        # Every other session, in every organization, is over: access and refresh tokens.
        for access in (acme.access_token, other_session["access_token"], in_globex.access_token):
            problem(await client.get("/api/v1/me", headers=bearer(access)), 401, "token-revoked")
        for refresh in (
            acme.refresh_token,
            other_session["refresh_token"],
            in_globex.refresh_token,
        ):
            refused = await client.post("/api/v1/auth/refresh", json={"refresh_token": refresh})
            problem(refused, 401, "invalid-refresh-token")
        kept = await client.post(
            "/api/v1/auth/refresh", json={"refresh_token": fresh["refresh_token"]}
        )
        assert kept.status_code == 200
        problem(await login(client, acme.email, PASSWORD), 401, "invalid-credentials")
        assert (await login(client, acme.email, NEW_PASSWORD)).status_code == 200
        # Both organizations' admins see it in their audit logs.
        for owner, headers in ((acme, bearer(fresh["access_token"])), (globex, globex.headers)):
            audit = await client.get(
                "/api/v1/audit-log", headers=headers, params={"action": "auth.password_changed"}
            )
            assert [e["actor_id"] for e in audit.json()["items"]] == [acme.user_id], owner

    async def test_a_wrong_current_password_changes_nothing_and_is_throttled(
        self, settings: Settings, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        async with (
            serving(settings, login_max_failures=2) as application,
            client_of(application) as client,
        ):
            statuses = [
                (
                    await client.post(
                        CHANGE,
                        headers=owner.headers,
                        json={"current_password": f"guess {i}!!!", "new_password": NEW_PASSWORD},
                    )
                ).status_code
                for i in range(3)
            ]
            still = await client.get("/api/v1/me", headers=owner.headers)
            old = await login(client, owner.email, PASSWORD)

        assert statuses == [401, 401, 429]
        assert still.status_code == 200  # nothing was revoked
        problem(old, 429, "too-many-login-attempts")  # same address, same account: blocked
        async with client_of(application, ip="198.51.100.3") as elsewhere:
            assert (await login(elsewhere, owner.email, PASSWORD)).status_code == 200

    async def test_a_weak_new_password_is_refused(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")

        short = await client.post(
            CHANGE,
            headers=owner.headers,
            json={"current_password": PASSWORD, "new_password": "short"},
        )
        email = await client.post(
            CHANGE,
            headers=owner.headers,
            json={"current_password": PASSWORD, "new_password": owner.email.upper()},
        )

        assert "new_password" in problem(short, 422, "validation-failed")["detail"]
        assert (email.status_code, email.json()["code"]) == (422, "weak-password")
        assert (await client.get("/api/v1/me", headers=owner.headers)).status_code == 200
        assert (await login(client, owner.email, PASSWORD)).status_code == 200

    async def test_an_api_key_cannot_change_a_password(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        key = await identity.api_key(owner, "owner")

        response = await client.post(
            CHANGE,
            headers=bearer(key["key"]),
            json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        )

        assert (response.status_code, response.json()["code"]) == (403, "users-only")


class TestResetByEmail:
    async def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(
        self, client: AsyncClient, identity: Identity, outbox: Outbox
    ) -> None:
        owner = await identity.signup("Acme")

        known = await client.post(RESET, json={"email": owner.email})
        unknown = await client.post(RESET, json={"email": "nobody@example.org"})

        assert known.status_code == unknown.status_code == 202
        assert known.json() == unknown.json()
        assert known.headers["content-type"] == unknown.headers["content-type"]
        assert len(await outbox.messages(to=owner.email, kind=RESET_MAIL)) == 1
        assert await outbox.messages(to="nobody@example.org") == []

    async def test_a_reset_link_sets_a_new_password_once_and_ends_every_session(
        self, client: AsyncClient, identity: Identity, outbox: Outbox
    ) -> None:
        owner = await identity.signup("Acme")
        await client.post(RESET, json={"email": owner.email.upper()})
        token = await outbox.token(owner.email, RESET_MAIL)

        done = await client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})
        again = await client.post(
            CONFIRM, json={"token": token, "new_password": "yet another one!"}
        )

        assert done.status_code == 204, done.text
        assert (again.status_code, again.json()["code"]) == (410, "password-reset-invalid")
        problem(await login(client, owner.email, PASSWORD), 401, "invalid-credentials")
        assert (await login(client, owner.email, NEW_PASSWORD)).status_code == 200
        problem(await client.get("/api/v1/me", headers=owner.headers), 401, "token-revoked")
        refused = await client.post(
            "/api/v1/auth/refresh", json={"refresh_token": owner.refresh_token}
        )
        problem(refused, 401, "invalid-refresh-token")

    async def test_reset_mail_belongs_to_the_account_not_to_its_organizations(
        self, client: AsyncClient, identity: Identity, outbox: Outbox
    ) -> None:
        """An organization's administrators must never see (let alone use) a member's
        reset link: the mail is the account's, outside every organization's outbox."""
        owner = await identity.signup("Acme")
        admin = await identity.member(owner, "admin")
        await client.post(RESET, json={"email": owner.email})

        [mail] = await outbox.messages(to=owner.email, kind=RESET_MAIL)
        assert mail["tenant_id"] is None
        assert str(mail["account_user_id"]) == owner.user_id
        assert mail["confidential"] is True
        listed = await client.get("/api/v1/mail/outbox", headers=admin.headers)
        assert RESET_MAIL not in listed.text
        single = await client.get(f"/api/v1/mail/outbox/{mail['id']}", headers=admin.headers)
        problem(single, 404, "mail-not-found")
        # Not even the account's own organization-scoped session lists it.
        own = await client.get("/api/v1/mail/outbox", headers=owner.headers)
        assert RESET_MAIL not in own.text

    async def test_one_mail_per_address_per_cooldown_whatever_is_asked(
        self, settings: Settings, identity: Identity, outbox: Outbox
    ) -> None:
        owner = await identity.signup("Acme")
        async with (
            serving(settings, login_backoff_seconds=60) as application,
            client_of(application) as client,
        ):
            await client.post(RESET, json={"email": owner.email})
            flood = [await client.post(RESET, json={"email": owner.email}) for _ in range(3)]
            assert [r.status_code for r in flood] == [202] * 3
            assert len(await outbox.messages(to=owner.email, kind=RESET_MAIL)) == 1

    async def test_a_newer_link_replaces_the_older_one(
        self, client: AsyncClient, identity: Identity, outbox: Outbox, services: TestServices
    ) -> None:
        from redis.asyncio import Redis

        owner = await identity.signup("Acme")
        await client.post(RESET, json={"email": owner.email})
        first = await outbox.token(owner.email, RESET_MAIL)
        redis = Redis.from_url(services.redis_url)
        try:  # the per-address cooldown lapses (as time would make it)
            await redis.delete(*[k async for k in redis.scan_iter("qm:password-reset:*")])
        finally:
            await redis.aclose()
        await client.post(RESET, json={"email": owner.email})
        second = await outbox.token(owner.email, RESET_MAIL)

        stale = await client.post(CONFIRM, json={"token": first, "new_password": NEW_PASSWORD})
        fresh = await client.post(CONFIRM, json={"token": second, "new_password": NEW_PASSWORD})

        assert second != first
        problem(stale, 410, "password-reset-invalid")
        assert fresh.status_code == 204

    async def test_an_expired_link_is_refused(
        self, client: AsyncClient, identity: Identity, outbox: Outbox, superuser: Any
    ) -> None:
        owner = await identity.signup("Acme")
        await client.post(RESET, json={"email": owner.email})
        token = await outbox.token(owner.email, RESET_MAIL)
        await superuser.execute(
            "UPDATE password_resets SET expires_at = now() - interval '1 second' "
            "WHERE user_id = $1",
            uuid.UUID(owner.user_id),
        )

        response = await client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})

        problem(response, 410, "password-reset-invalid")
        assert (await login(client, owner.email, PASSWORD)).status_code == 200

    @pytest.mark.parametrize(
        "token", ["qmp_" + "0" * 128, "qmp_" + "f" * 127, "garbage", "qmi_" + "a" * 128]
    )
    async def test_forged_tokens_are_refused(self, client: AsyncClient, token: str) -> None:
        response = await client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})

        assert (response.status_code, response.json()["code"]) == (410, "password-reset-invalid")

    async def test_a_weak_password_keeps_the_link_usable(
        self, client: AsyncClient, identity: Identity, outbox: Outbox
    ) -> None:
        owner = await identity.signup("Acme")
        await client.post(RESET, json={"email": owner.email})
        token = await outbox.token(owner.email, RESET_MAIL)

        weak = await client.post(CONFIRM, json={"token": token, "new_password": owner.email})
        good = await client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})

        assert (weak.status_code, weak.json()["code"]) == (422, "weak-password")
        assert good.status_code == 204
