"""API keys: shown once, stored as a digest, authenticate with their role in their tenant,
revocable and expirable, and never retrievable afterwards."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from httpx import AsyncClient
from sqlalchemy.engine import make_url

from quartermaster.identity.tokens import API_KEY_PREFIX, parse_opaque_token
from tests.builders import problem
from tests.conftest import TestServices, plain
from tests.identity.conftest import Account, Identity, bearer

KEYS = "/api/v1/api-keys"
ME = "/api/v1/me"


@pytest.fixture
async def superuser(services: TestServices) -> AsyncIterator[asyncpg.Connection]:
    """A connection that bypasses row-level security, to arrange and inspect raw rows."""
    url = make_url(services.admin_url).set(database=make_url(services.owner_url).database)
    connection = await asyncpg.connect(plain(url.render_as_string(hide_password=False)))
    yield connection
    await connection.close()


async def create_key(client: AsyncClient, admin: Account, **body: Any) -> dict[str, Any]:
    response = await client.post(
        KEYS, headers=admin.headers, json={"name": "integration", "role": "staff", **body}
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def listed(client: AsyncClient, admin: Account) -> list[dict[str, Any]]:
    response = await client.get(KEYS, headers=admin.headers, params={"limit": 500})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next_cursor"] is None
    keys: list[dict[str, Any]] = body["items"]
    return keys


def secret_of(key: str) -> str:
    parsed = parse_opaque_token(API_KEY_PREFIX, key)
    assert parsed is not None
    return parsed.secret


class TestCreate:
    async def test_key_is_returned_once_with_its_metadata_and_not_cached(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")

        response = await client.post(
            KEYS, headers=owner.headers, json={"name": "ERP sync", "role": "manager"}
        )

        assert response.status_code == 201, response.text
        body = response.json()
        assert body["key"].startswith(API_KEY_PREFIX)
        assert response.headers["location"] == f"{KEYS}/{body['id']}"
        assert response.headers["cache-control"] == "no-store"
        assert body["name"] == "ERP sync"
        assert body["role"] == "manager"
        assert body["hint"] == body["key"][-4:]
        assert body["created_by"] == owner.user_id
        assert body["expires_at"] is None
        assert body["revoked_at"] is None
        assert body["last_used_at"] is None

    async def test_each_key_is_different(self, client: AsyncClient, identity: Identity) -> None:
        owner = await identity.signup("Acme")

        first, second = await create_key(client, owner), await create_key(client, owner)

        assert first["key"] != second["key"]
        assert first["id"] != second["id"]

    async def test_role_above_your_own_is_forbidden(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        admin = await identity.member(owner, "admin")

        response = await client.post(
            KEYS, headers=admin.headers, json={"name": "root", "role": "owner"}
        )

        assert response.status_code == 403
        assert response.json()["code"] == "role-above-own"
        assert await listed(client, owner) == []

    async def test_expiry_in_the_past_is_rejected(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat()

        response = await client.post(
            KEYS,
            headers=owner.headers,
            json={"name": "old", "role": "viewer", "expires_at": yesterday},
        )

        assert response.status_code == 422
        assert response.json()["code"] == "expiry-in-past"
        assert await listed(client, owner) == []

    async def test_expiry_without_a_timezone_is_rejected(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")

        response = await client.post(
            KEYS,
            headers=owner.headers,
            json={"name": "naive", "role": "viewer", "expires_at": "2099-01-01T00:00:00"},
        )

        body = problem(response, 422, "validation-failed")
        assert body["errors"][0]["field"] == "expires_at"
        assert await listed(client, owner) == []

    @pytest.mark.parametrize("field", [{"tenant_id": "x"}, {"key": "qm_mine"}, {"id": "x"}])
    async def test_unknown_fields_are_rejected(
        self, client: AsyncClient, identity: Identity, field: dict[str, str]
    ) -> None:
        owner = await identity.signup("Acme")

        response = await client.post(
            KEYS, headers=owner.headers, json={"name": "k", "role": "viewer", **field}
        )

        problem(response, 422, "validation-failed")
        assert await listed(client, owner) == []

    async def test_manager_cannot_create_keys(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        manager = await identity.member(owner, "manager")

        response = await client.post(
            KEYS, headers=manager.headers, json={"name": "k", "role": "viewer"}
        )

        assert response.status_code == 403
        assert response.json()["code"] == "permission-denied"


class TestList:
    async def test_the_list_is_a_cursor_page_newest_first_like_every_list(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        created = [(await create_key(client, owner, name=f"key {n}"))["id"] for n in range(5)]

        first = await client.get(KEYS, headers=owner.headers, params={"limit": 2})
        assert first.status_code == 200, first.text
        page = first.json()
        assert set(page) == {"items", "next_cursor"}
        seen = [key["id"] for key in page["items"]]
        while page["next_cursor"] is not None:
            page = (
                await client.get(
                    KEYS, headers=owner.headers, params={"limit": 2, "cursor": page["next_cursor"]}
                )
            ).json()
            seen += [key["id"] for key in page["items"]]
        assert seen == created[::-1]

    async def test_a_forged_cursor_is_400(self, client: AsyncClient, identity: Identity) -> None:
        owner = await identity.signup("Acme")
        response = await client.get(KEYS, headers=owner.headers, params={"cursor": "bm9wZQ"})
        assert response.status_code == 400
        assert response.json()["code"] == "invalid-cursor"


class TestSecrecy:
    async def test_list_never_contains_the_key_and_shows_hint_and_last_use(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        created = await create_key(client, owner)

        response = await client.get(KEYS, headers=owner.headers)

        assert response.status_code == 200
        assert created["key"] not in response.text
        assert secret_of(created["key"]) not in response.text
        assert hashlib.sha256(secret_of(created["key"]).encode()).hexdigest() not in response.text
        [item] = response.json()["items"]
        assert "key" not in item
        assert "key_digest" not in item
        assert item["id"] == created["id"]
        assert item["hint"] == created["hint"]
        assert item["last_used_at"] is None

        assert (await client.get(ME, headers=bearer(created["key"]))).status_code == 200

        [used] = await listed(client, owner)
        assert used["last_used_at"] is not None
        last_used = datetime.fromisoformat(used["last_used_at"])
        assert abs(datetime.now(UTC) - last_used) < timedelta(minutes=1)

    async def test_database_stores_only_a_digest(
        self, client: AsyncClient, identity: Identity, superuser: asyncpg.Connection
    ) -> None:
        owner = await identity.signup("Acme")
        created = await create_key(client, owner)
        secret = secret_of(created["key"])

        row = await superuser.fetchrow("SELECT * FROM api_keys WHERE id = $1::uuid", created["id"])

        assert row is not None
        assert row["key_digest"] == hashlib.sha256(secret.encode()).hexdigest()
        assert row["key_digest"] != secret
        for column, value in dict(row).items():
            assert secret not in str(value), column
            assert created["key"] not in str(value), column


class TestAuthentication:
    async def test_key_authenticates_with_its_role_in_its_tenant(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        created = await create_key(client, owner, name="Warehouse scanner", role="staff")

        response = await client.get(ME, headers=bearer(created["key"]))

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["user"] is None
        assert body["api_key"] == {"id": created["id"], "name": "Warehouse scanner"}
        assert body["role"] == "staff"
        assert body["tenant"]["id"] == owner.tenant_id
        assert "stock:write" in body["permissions"]
        assert "catalog:write" not in body["permissions"]

    async def test_key_is_limited_to_its_role(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        viewer_key = await create_key(client, owner, role="viewer")
        admin_key = await create_key(client, owner, role="admin")

        denied = await client.get(KEYS, headers=bearer(viewer_key["key"]))
        allowed = await client.get(KEYS, headers=bearer(admin_key["key"]))

        problem(denied, 403, "permission-denied")
        assert allowed.status_code == 200

    async def test_revoked_key_stops_working(self, client: AsyncClient, identity: Identity) -> None:
        owner = await identity.signup("Acme")
        created = await create_key(client, owner)
        assert (await client.get(ME, headers=bearer(created["key"]))).status_code == 200

        revoked = await client.delete(f"{KEYS}/{created['id']}", headers=owner.headers)

        assert revoked.status_code == 204
        response = await client.get(ME, headers=bearer(created["key"]))
        assert response.status_code == 401
        assert response.json()["code"] == "invalid-api-key"
        [item] = await listed(client, owner)
        assert item["revoked_at"] is not None

    async def test_revoking_twice_is_not_an_error_and_unknown_keys_are_not_found(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        created = await create_key(client, owner)

        first = await client.delete(f"{KEYS}/{created['id']}", headers=owner.headers)
        second = await client.delete(f"{KEYS}/{created['id']}", headers=owner.headers)
        unknown = await client.delete(
            f"{KEYS}/01900000-0000-7000-8000-000000000000", headers=owner.headers
        )

        assert (first.status_code, second.status_code) == (204, 204)
        assert unknown.status_code == 404
        assert unknown.json()["code"] == "api-key-not-found"

    async def test_expired_key_stops_working(
        self, client: AsyncClient, identity: Identity, superuser: asyncpg.Connection
    ) -> None:
        owner = await identity.signup("Acme")
        tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
        created = await create_key(client, owner, expires_at=tomorrow)
        assert (await client.get(ME, headers=bearer(created["key"]))).status_code == 200
        await superuser.execute(
            "UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1::uuid",
            created["id"],
        )

        response = await client.get(ME, headers=bearer(created["key"]))

        assert response.status_code == 401
        assert response.json()["code"] == "invalid-api-key"

    async def test_tampered_key_is_refused(self, client: AsyncClient, identity: Identity) -> None:
        owner = await identity.signup("Acme")
        key = (await create_key(client, owner))["key"]
        position = len(key) - 10
        flipped = "0" if key[position] != "0" else "1"
        tampered = key[:position] + flipped + key[position + 1 :]

        response = await client.get(ME, headers=bearer(tampered))

        assert response.status_code == 401
        assert response.json()["code"] == "invalid-api-key"
        assert (await client.get(ME, headers=bearer(key))).status_code == 200

    @pytest.mark.parametrize("key", ["qm_", "qm_" + "0" * 128, "qm_not-hex", "qm_" + "a" * 200])
    async def test_malformed_or_unknown_key_is_refused(self, client: AsyncClient, key: str) -> None:
        response = await client.get(ME, headers=bearer(key))

        assert response.status_code == 401
        assert response.json()["code"] == "invalid-api-key"
