"""Two tenants with identical data each see only their own, through every endpoint.

Tenants A and B are set up the same way (same organization name, an owner, a staff member
with the same name, an API key with the same name, the audit entries all this writes).
A's credentials then go everywhere, including to B's ids: nothing of B comes back,
another tenant's id is a 404 (never a 403, which would confirm it exists), and B's data is
unchanged afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from httpx import AsyncClient, Response
from sqlalchemy.engine import make_url

from quartermaster.identity.tokens import REFRESH_TOKEN_PREFIX
from tests.builders import problem
from tests.conftest import TestServices, plain
from tests.identity.conftest import Account, Identity, bearer

STAFF_NAME = "Staff Member"  # what identity.member() names every staff member
KEY_NAME = "integration"


@dataclass
class Tenant:
    owner: Account
    staff: Account
    key: dict[str, Any]

    @property
    def key_headers(self) -> dict[str, str]:
        return bearer(self.key["key"])


async def _tenant(identity: Identity) -> Tenant:
    owner = await identity.signup("Acme")
    staff = await identity.member(owner, "staff")
    key = await identity.api_key(owner, "viewer", name=KEY_NAME)
    return Tenant(owner=owner, staff=staff, key=key)


@pytest.fixture
async def tenants(identity: Identity) -> tuple[Tenant, Tenant]:
    return await _tenant(identity), await _tenant(identity)


@pytest.fixture
async def superuser_conn(services: TestServices) -> AsyncIterator[asyncpg.Connection]:
    """A superuser in the test database, to see rows whatever RLS says."""
    url = make_url(services.admin_url).set(database=make_url(services.owner_url).database)
    connection = await asyncpg.connect(plain(url.render_as_string(hide_password=False)))
    yield connection
    await connection.close()


async def _ok(response: Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def _fingerprint(client: AsyncClient, tenant: Tenant) -> set[str]:
    """Every id, e-mail address, slug and secret of a tenant, as its owner sees them."""
    headers = tenant.owner.headers
    me = await _ok(await client.get("/api/v1/me", headers=headers))
    users = await _ok(await client.get("/api/v1/users", headers=headers))
    keys = await _ok(await client.get("/api/v1/api-keys", headers=headers))
    audit = await _ok(await client.get("/api/v1/audit-log", headers=headers))
    invitations = await _ok(await client.get("/api/v1/invitations", headers=headers))
    mail = await _ok(await client.get("/api/v1/mail/outbox", headers=headers))
    values = {
        tenant.owner.tenant_id,
        tenant.owner.tenant_slug,
        tenant.key["id"],
        tenant.key["key"],
        me["tenant"]["slug"],
    }
    values |= {u["id"] for u in users["items"]} | {u["email"] for u in users["items"]}
    values |= {k["id"] for k in keys["items"]}
    values |= {e["id"] for e in audit["items"]}
    values |= {i["id"] for i in invitations["items"]}
    values |= {m["id"] for m in mail["items"]} | {m["message_id"] for m in mail["items"]}
    # Not vacuous: both members, the key, the staff member's invitation and its e-mail, and
    # several audit entries are in there.
    assert {tenant.owner.user_id, tenant.staff.user_id, tenant.staff.email} <= values
    assert len(audit["items"]) >= 3
    assert len(invitations["items"]) == len(mail["items"]) == 1
    return values


class TestReadsShowOnlyOwnTenant:
    async def test_every_identity_read_returns_nothing_of_the_other_tenant(
        self, client: AsyncClient, tenants: tuple[Tenant, Tenant]
    ) -> None:
        a, b = tenants
        b_values = await _fingerprint(client, b)
        reads = {
            "owner /me": ("/api/v1/me", a.owner.headers),
            "owner /users": ("/api/v1/users", a.owner.headers),
            "owner /api-keys": ("/api/v1/api-keys", a.owner.headers),
            "owner /audit-log": ("/api/v1/audit-log", a.owner.headers),
            "owner /invitations": ("/api/v1/invitations", a.owner.headers),
            "owner /mail/outbox": ("/api/v1/mail/outbox", a.owner.headers),
            "owner /audit-log by B's owner": (
                f"/api/v1/audit-log?actor_id={b.owner.user_id}",
                a.owner.headers,
            ),
            "staff /me": ("/api/v1/me", a.staff.headers),
            "staff /users": ("/api/v1/users", a.staff.headers),
            "key /me": ("/api/v1/me", a.key_headers),
            "key /users": ("/api/v1/users", a.key_headers),
        }
        # The detector works: B's own owner does see B's values.
        own = await client.get("/api/v1/users", headers=b.owner.headers)
        assert f'"{b.staff.user_id}"' in own.text

        leaks = {}
        for label, (path, headers) in reads.items():
            response = await client.get(path, headers=headers)
            assert response.status_code == 200, f"{label}: {response.text}"
            # Quoted, as JSON strings: "acme" must not match inside "acme-3f2a1c".
            found = sorted(value for value in b_values if f'"{value}"' in response.text)
            if found:
                leaks[label] = found
        assert leaks == {}

    async def test_same_names_in_both_tenants_are_each_tenants_own(
        self, client: AsyncClient, tenants: tuple[Tenant, Tenant]
    ) -> None:
        a, _ = tenants
        users = await _ok(await client.get("/api/v1/users", headers=a.owner.headers))
        staff = [u for u in users["items"] if u["full_name"] == STAFF_NAME]
        assert [u["id"] for u in staff] == [a.staff.user_id]
        keys = await _ok(await client.get("/api/v1/api-keys", headers=a.owner.headers))
        assert [k["id"] for k in keys["items"] if k["name"] == KEY_NAME] == [a.key["id"]]

    async def test_an_api_key_lists_only_its_own_tenants_members(
        self, client: AsyncClient, tenants: tuple[Tenant, Tenant]
    ) -> None:
        a, _ = tenants
        users = await _ok(await client.get("/api/v1/users", headers=a.key_headers))
        assert {u["id"] for u in users["items"]} == {a.owner.user_id, a.staff.user_id}


class TestAnotherTenantsIdsAreNotFound:
    async def test_changing_or_removing_another_tenants_member_is_404_and_changes_nothing(
        self, client: AsyncClient, tenants: tuple[Tenant, Tenant]
    ) -> None:
        a, b = tenants
        b_before = await _ok(await client.get("/api/v1/users", headers=b.owner.headers))
        attempts = [
            ("PATCH", f"/api/v1/users/{b.staff.user_id}", {"role": "viewer"}),
            ("PATCH", f"/api/v1/users/{b.owner.user_id}", {"role": "viewer"}),
            ("DELETE", f"/api/v1/users/{b.staff.user_id}", None),
            ("DELETE", f"/api/v1/users/{b.owner.user_id}", None),
        ]
        for method, path, body in attempts:
            response = await client.request(method, path, headers=a.owner.headers, json=body)
            assert response.status_code == 404, f"{method} {path}: {response.text}"
            assert response.json()["code"] == "member-not-found"

        b_after = await _ok(await client.get("/api/v1/users", headers=b.owner.headers))
        assert b_after == b_before
        roles = {u["id"]: u["role"] for u in b_after["items"]}
        assert roles == {b.owner.user_id: "owner", b.staff.user_id: "staff"}
        # B's staff member was not logged out of B either.
        refreshed = await client.post(
            "/api/v1/auth/refresh", json={"refresh_token": b.staff.refresh_token}
        )
        assert refreshed.status_code == 200, refreshed.text

    async def test_revoking_another_tenants_api_key_is_404_and_the_key_keeps_working(
        self, client: AsyncClient, tenants: tuple[Tenant, Tenant]
    ) -> None:
        a, b = tenants
        response = await client.delete(f"/api/v1/api-keys/{b.key['id']}", headers=a.owner.headers)
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "api-key-not-found"

        keys = await _ok(await client.get("/api/v1/api-keys", headers=b.owner.headers))
        assert [(k["id"], k["revoked_at"]) for k in keys["items"]] == [(b.key["id"], None)]
        me = await _ok(await client.get("/api/v1/me", headers=b.key_headers))
        assert me["tenant"]["id"] == b.owner.tenant_id

    async def test_switching_to_a_tenant_one_is_not_a_member_of_is_404(
        self, client: AsyncClient, tenants: tuple[Tenant, Tenant]
    ) -> None:
        a, b = tenants
        for headers in (a.owner.headers, a.staff.headers, a.key_headers):
            response = await client.post(
                "/api/v1/auth/switch-tenant", headers=headers, json={"tenant_id": b.owner.tenant_id}
            )
            problem(response, 404, "tenant-not-found")
            assert b.owner.tenant_id not in response.text

    async def test_the_audit_log_has_no_trace_of_the_other_tenants_attempts(
        self, client: AsyncClient, tenants: tuple[Tenant, Tenant]
    ) -> None:
        a, b = tenants
        b_before = await _ok(await client.get("/api/v1/audit-log", headers=b.owner.headers))
        await client.delete(f"/api/v1/users/{b.staff.user_id}", headers=a.owner.headers)
        await client.delete(f"/api/v1/api-keys/{b.key['id']}", headers=a.owner.headers)
        b_after = await _ok(await client.get("/api/v1/audit-log", headers=b.owner.headers))
        assert b_after == b_before


class TestSharedAccounts:
    async def test_inviting_another_tenants_user_changes_nothing_until_they_accept(
        self, client: AsyncClient, identity: Identity, tenants: tuple[Tenant, Tenant]
    ) -> None:
        """Accounts are global, so A may invite B's owner; A can neither name the account
        nor set its password, learns nothing of it, and gets no member until they accept."""
        a, b = tenants
        smuggled = await client.post(
            "/api/v1/invitations",
            headers=a.owner.headers,
            json={
                "email": b.owner.email,
                "role": "viewer",
                "full_name": "Renamed By A",
                "password": "chosen by tenant a",
            },
        )
        problem(smuggled, 422, "validation-failed")
        response = await client.post(
            "/api/v1/invitations",
            headers=a.owner.headers,
            json={"email": b.owner.email, "role": "viewer"},
        )
        assert response.status_code == 201, response.text
        assert "Olive" not in response.text
        members = await _ok(await client.get("/api/v1/users", headers=a.owner.headers))
        assert b.owner.email not in {m["email"] for m in members["items"]}
        not_yet = await client.post(
            "/api/v1/auth/token",
            data={
                "username": b.owner.email,
                "password": b.owner.password,
                "tenant": a.owner.tenant_slug,
            },
        )
        problem(not_yet, 404, "tenant-not-found")
        tokens = await identity.login(b.owner.email, tenant=b.owner.tenant_slug)
        me = await _ok(await client.get("/api/v1/me", headers=bearer(tokens["access_token"])))
        assert me["user"]["full_name"] == "Olive Owner"
        assert me["role"] == "owner"


class TestForgedTenantInOpaqueTokens:
    """Refresh tokens and API keys carry their tenant id in clear (the lookup runs under that
    tenant's RLS); rewriting it to another tenant must not find the row."""

    @staticmethod
    def _retarget(token: str, prefix: str, tenant_id: str) -> str:
        body = token[len(prefix) :]
        assert body[:32] != uuid.UUID(tenant_id).hex
        return prefix + uuid.UUID(tenant_id).hex + body[32:]

    async def test_a_refresh_token_moved_to_another_tenant_is_refused(
        self, client: AsyncClient, tenants: tuple[Tenant, Tenant]
    ) -> None:
        a, b = tenants
        forged = self._retarget(b.owner.refresh_token, REFRESH_TOKEN_PREFIX, a.owner.tenant_id)
        response = await client.post("/api/v1/auth/refresh", json={"refresh_token": forged})
        assert response.status_code == 401, response.text
        assert response.json()["code"] == "invalid-refresh-token"
        # The forgery did not revoke or rotate B's genuine token.
        genuine = await client.post(
            "/api/v1/auth/refresh", json={"refresh_token": b.owner.refresh_token}
        )
        assert genuine.status_code == 200, genuine.text

    async def test_logging_out_with_a_refresh_token_moved_to_another_tenant_revokes_nothing(
        self, client: AsyncClient, tenants: tuple[Tenant, Tenant]
    ) -> None:
        a, b = tenants
        forged = self._retarget(b.owner.refresh_token, REFRESH_TOKEN_PREFIX, a.owner.tenant_id)
        response = await client.post("/api/v1/auth/logout", json={"refresh_token": forged})
        assert response.status_code == 204
        genuine = await client.post(
            "/api/v1/auth/refresh", json={"refresh_token": b.owner.refresh_token}
        )
        assert genuine.status_code == 200, genuine.text

    async def test_an_api_key_moved_to_another_tenant_is_refused(
        self, client: AsyncClient, tenants: tuple[Tenant, Tenant]
    ) -> None:
        a, b = tenants
        forged = self._retarget(b.key["key"], "qm_", a.owner.tenant_id)
        response = await client.get("/api/v1/users", headers=bearer(forged))
        assert response.status_code == 401, response.text
        assert response.json()["code"] == "invalid-api-key"


class TestNoMassAssignment:
    @pytest.mark.parametrize(
        "extra",
        ["tenant_id", "id"],
    )
    async def test_inviting_with_a_tenant_id_or_id_is_422_and_creates_nothing(
        self,
        client: AsyncClient,
        tenants: tuple[Tenant, Tenant],
        superuser_conn: asyncpg.Connection,
        extra: str,
    ) -> None:
        a, b = tenants
        value = b.owner.tenant_id if extra == "tenant_id" else str(uuid.uuid4())
        email = f"smuggled-{extra}@example.org"
        counts = "SELECT (SELECT count(*) FROM invitations), (SELECT count(*) FROM mail_messages)"
        before = await superuser_conn.fetchrow(counts)
        response = await client.post(
            "/api/v1/invitations",
            headers=a.owner.headers,
            json={"email": email, "role": "viewer", extra: value},
        )
        problem(response, 422, "validation-failed")
        assert extra in response.text
        assert await superuser_conn.fetchrow(counts) == before

    async def test_creating_an_api_key_with_a_tenant_id_is_422_and_creates_nothing(
        self,
        client: AsyncClient,
        tenants: tuple[Tenant, Tenant],
        superuser_conn: asyncpg.Connection,
    ) -> None:
        a, b = tenants
        before = await superuser_conn.fetchval("SELECT count(*) FROM api_keys")
        response = await client.post(
            "/api/v1/api-keys",
            headers=a.owner.headers,
            json={"name": "smuggled", "role": "viewer", "tenant_id": b.owner.tenant_id},
        )
        problem(response, 422, "validation-failed")
        assert "tenant_id" in response.text
        assert await superuser_conn.fetchval("SELECT count(*) FROM api_keys") == before
