"""The audit log records who did what, when and from where, newest first, per tenant."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from httpx import AsyncClient
from sqlalchemy.engine import make_url

from tests.builders import problem
from tests.conftest import TestServices, plain
from tests.identity.conftest import PASSWORD, Account, Identity, bearer

AUDIT = "/api/v1/audit-log"
USER_AGENT = "quartermaster-tests/1.0"


@pytest.fixture
async def superuser(services: TestServices) -> AsyncIterator[asyncpg.Connection]:
    """A connection that bypasses row-level security, to inspect every tenant's rows."""
    url = make_url(services.admin_url).set(database=make_url(services.owner_url).database)
    connection = await asyncpg.connect(plain(url.render_as_string(hide_password=False)))
    yield connection
    await connection.close()


async def events(client: AsyncClient, reader: Account, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(AUDIT, headers=reader.headers, params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def only(client: AsyncClient, reader: Account, action: str) -> dict[str, Any]:
    matching = await events(client, reader, action=action)
    assert len(matching) == 1, matching
    return matching[0]


async def login(client: AsyncClient, email: str, password: str = PASSWORD) -> int:
    response = await client.post(
        "/api/v1/auth/token",
        data={"username": email, "password": password},
        headers={"User-Agent": USER_AGENT},
    )
    return response.status_code


class TestRecordedActions:
    async def test_signup_records_the_tenants_creation_by_its_owner(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")

        event = await only(client, owner, "tenant.created")

        assert event["actor_type"] == "user"
        assert event["actor_id"] == owner.user_id
        assert event["actor_label"] == owner.email
        assert event["target_type"] == "tenant"
        assert event["target_id"] == owner.tenant_id
        assert event["details"] == {"name": "Acme", "slug": owner.tenant_slug}

    async def test_successful_login_is_recorded_with_ip_and_user_agent(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")

        assert await login(client, owner.email) == 200

        event = await only(client, owner, "auth.login_succeeded")
        assert (event["actor_id"], event["actor_label"]) == (owner.user_id, owner.email)
        assert event["ip"] == "127.0.0.1"
        assert event["user_agent"] == USER_AGENT
        assert event["occurred_at"]

    async def test_failed_login_is_recorded_with_ip_and_user_agent(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")

        assert await login(client, owner.email, "wrong password!") == 401

        event = await only(client, owner, "auth.login_failed")
        assert (event["actor_id"], event["actor_label"]) == (owner.user_id, owner.email)
        assert event["ip"] == "127.0.0.1"
        assert event["user_agent"] == USER_AGENT
        assert "wrong password!" not in str(event)

    async def test_failed_login_for_an_unknown_email_is_recorded_in_no_tenant(
        self, client: AsyncClient, identity: Identity, superuser: asyncpg.Connection
    ) -> None:
        await identity.signup("Acme")
        await identity.signup("Globex")

        assert await login(client, "nobody@example.org") == 401

        assert await superuser.fetchval("SELECT count(*) FROM audit_events") == 2  # two signups
        assert (
            await superuser.fetchval(
                "SELECT count(*) FROM audit_events WHERE action = 'auth.login_failed'"
            )
            == 0
        )

    async def test_member_changes_are_recorded_with_actor_target_and_details(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        admin = await identity.member(owner, "admin")
        member = await identity.member(admin, "staff")

        changed = await client.patch(
            f"/api/v1/users/{member.user_id}", headers=admin.headers, json={"role": "viewer"}
        )
        assert changed.status_code == 200
        removed = await client.delete(f"/api/v1/users/{member.user_id}", headers=admin.headers)
        assert removed.status_code == 204

        invited = await events(client, owner, action="invitation.created")
        by_admin = next(e for e in invited if e["details"]["email"] == member.email)
        assert (by_admin["actor_id"], by_admin["actor_label"]) == (admin.user_id, admin.email)
        assert by_admin["actor_type"] == "user"
        assert by_admin["target_type"] == "invitation"
        assert by_admin["details"] == {"email": member.email, "role": "staff"}
        by_owner = next(e for e in invited if e["details"]["email"] == admin.email)
        assert by_owner["actor_id"] == owner.user_id
        joined = await events(client, owner, action="member.joined")
        by_member = next(e for e in joined if e["target_id"] == member.user_id)
        assert by_member["actor_id"] == member.user_id  # the person themselves, accepting
        assert by_member["details"]["role"] == "staff"

        role_changed = await only(client, owner, "member.role_changed")
        assert role_changed["actor_id"] == admin.user_id
        assert role_changed["target_id"] == member.user_id
        assert role_changed["details"]["from"] == "staff"
        assert role_changed["details"]["to"] == "viewer"

        gone = await only(client, owner, "member.removed")
        assert gone["actor_id"] == admin.user_id
        assert gone["actor_label"] == admin.email
        assert gone["target_id"] == member.user_id
        assert gone["details"]["email"] == member.email

    async def test_refused_member_changes_leave_no_entry(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")

        last_owner = await client.patch(
            f"/api/v1/users/{owner.user_id}", headers=owner.headers, json={"role": "admin"}
        )

        problem(last_owner, 409, "last-owner")
        assert await events(client, owner, action="member.role_changed") == []

    async def test_api_key_creation_and_revocation_are_recorded(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        key = await identity.api_key(owner, "viewer", name="ERP sync")
        revoked = await client.delete(f"/api/v1/api-keys/{key['id']}", headers=owner.headers)
        assert revoked.status_code == 204

        created = await only(client, owner, "api_key.created")
        assert (created["actor_id"], created["actor_label"]) == (owner.user_id, owner.email)
        assert (created["target_type"], created["target_id"]) == ("api_key", key["id"])
        assert created["details"] == {"name": "ERP sync", "role": "viewer"}
        assert key["key"] not in str(created)
        gone = await only(client, owner, "api_key.revoked")
        assert gone["actor_id"] == owner.user_id
        assert gone["target_id"] == key["id"]

    async def test_actions_by_an_api_key_name_the_key_as_actor(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        admin_key = await identity.api_key(owner, "admin", name="provisioning bot")

        response = await client.post(
            "/api/v1/api-keys",
            headers=bearer(admin_key["key"]),
            json={"name": "child", "role": "viewer"},
        )
        assert response.status_code == 201

        created = await events(client, owner, action="api_key.created")
        child = next(e for e in created if e["target_id"] == response.json()["id"])
        assert child["actor_type"] == "api_key"
        assert child["actor_id"] == admin_key["id"]
        assert child["actor_label"] == "provisioning bot"

    async def test_refresh_token_reuse_is_recorded(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        first = await client.post(
            "/api/v1/auth/refresh", json={"refresh_token": owner.refresh_token}
        )
        assert first.status_code == 200

        replay = await client.post(
            "/api/v1/auth/refresh",
            json={"refresh_token": owner.refresh_token},
            headers={"User-Agent": USER_AGENT},
        )
        problem(replay, 401, "invalid-refresh-token")

        event = await only(client, owner, "auth.refresh_reuse_detected")
        assert (event["actor_id"], event["actor_label"]) == (owner.user_id, owner.email)
        assert event["user_agent"] == USER_AGENT
        assert event["details"]["family_id"]


class TestReading:
    async def test_entries_are_newest_first(self, client: AsyncClient, identity: Identity) -> None:
        owner = await identity.signup("Acme")
        await identity.api_key(owner, "viewer")
        await login(client, owner.email)

        actions = [e["action"] for e in await events(client, owner)]

        assert actions == ["auth.login_succeeded", "api_key.created", "tenant.created"]
        times = [e["occurred_at"] for e in await events(client, owner)]
        assert times == sorted(times, reverse=True)

    async def test_pages_follow_the_cursor_without_gaps_or_duplicates(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        for index in range(4):
            await identity.api_key(owner, "viewer", name=f"key-{index}")
        everything = [e["id"] for e in await events(client, owner)]
        assert len(everything) == 5

        seen: list[str] = []
        pages = 0
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 2}
            if cursor:
                params["cursor"] = cursor
            response = await client.get(AUDIT, headers=owner.headers, params=params)
            assert response.status_code == 200, response.text
            seen += [e["id"] for e in response.json()["items"]]
            cursor = response.json()["next_cursor"]
            pages += 1
            if cursor is None:
                break
            assert pages < 10, "pagination does not terminate"

        assert pages == 3
        assert seen == everything

    async def test_bad_cursor_is_a_client_error(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")

        response = await client.get(AUDIT, headers=owner.headers, params={"cursor": "garbage"})

        assert response.status_code == 400
        assert response.json()["code"] == "invalid-cursor"

    async def test_filter_by_action(self, client: AsyncClient, identity: Identity) -> None:
        owner = await identity.signup("Acme")
        await identity.api_key(owner, "viewer")
        await identity.api_key(owner, "staff")
        await login(client, owner.email)

        created = await events(client, owner, action="api_key.created")

        assert [e["action"] for e in created] == ["api_key.created", "api_key.created"]
        assert await events(client, owner, action="member.removed") == []

    async def test_filter_by_actor(self, client: AsyncClient, identity: Identity) -> None:
        owner = await identity.signup("Acme")
        admin = await identity.member(owner, "admin")
        await identity.api_key(admin, "viewer")

        by_admin = await events(client, owner, actor_id=admin.user_id)

        assert by_admin
        assert {e["actor_id"] for e in by_admin} == {admin.user_id}
        # The admin's own acts: joining (accepting the invitation) and creating a key.
        assert {e["action"] for e in by_admin} == {"member.joined", "api_key.created"}

    async def test_each_tenant_sees_only_its_own_entries(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        acme = await identity.signup("Acme")
        globex = await identity.signup("Globex")
        await identity.api_key(globex, "viewer")

        assert [e["action"] for e in await events(client, acme)] == ["tenant.created"]
        assert len(await events(client, globex)) == 2

    async def test_manager_may_not_read_the_audit_log(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        manager = await identity.member(owner, "manager")
        admin = await identity.member(owner, "admin")

        denied = await client.get(AUDIT, headers=manager.headers)
        allowed = await client.get(AUDIT, headers=admin.headers)

        assert denied.status_code == 403
        assert denied.json()["code"] == "permission-denied"
        assert allowed.status_code == 200
