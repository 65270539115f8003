"""A removed member, a changed role, a changed password or a revoked API key takes effect
at the very next request, not when the access token expires."""

from __future__ import annotations

from httpx import AsyncClient

from tests.builders import problem
from tests.identity.conftest import PASSWORD, Identity, bearer

ME = "/api/v1/me"


class TestAccessTokensAreRevokedAtOnce:
    async def test_a_removed_member_is_refused_at_the_next_request(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        member = await identity.member(owner, "staff")
        assert (await client.get(ME, headers=member.headers)).status_code == 200

        removed = await client.delete(f"/api/v1/users/{member.user_id}", headers=owner.headers)
        after = await client.get(ME, headers=member.headers)
        listing = await client.get("/api/v1/users", headers=member.headers)

        assert removed.status_code == 204
        assert (after.status_code, after.json()["code"]) == (401, "token-revoked")
        problem(listing, 401, "token-revoked")
        assert after.headers["www-authenticate"] == "Bearer"

    async def test_a_changed_role_revokes_tokens_with_the_old_role_and_refresh_gives_the_new(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        admin = await identity.member(owner, "admin")
        assert (await client.get("/api/v1/audit-log", headers=admin.headers)).status_code == 200

        demoted = await client.patch(
            f"/api/v1/users/{admin.user_id}", headers=owner.headers, json={"role": "viewer"}
        )
        stale = await client.get("/api/v1/audit-log", headers=admin.headers)
        refreshed = await client.post(
            "/api/v1/auth/refresh", json={"refresh_token": admin.refresh_token}
        )

        assert demoted.status_code == 200
        assert (stale.status_code, stale.json()["code"]) == (401, "token-revoked")
        assert refreshed.status_code == 200, refreshed.text
        fresh = bearer(refreshed.json()["access_token"])
        assert (await client.get(ME, headers=fresh)).json()["role"] == "viewer"
        denied = await client.get("/api/v1/audit-log", headers=fresh)
        assert "'viewer'" in problem(denied, 403, "permission-denied")["detail"]

    async def test_other_members_tokens_are_untouched(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        first = await identity.member(owner, "staff")
        second = await identity.member(owner, "staff")

        await client.patch(
            f"/api/v1/users/{first.user_id}", headers=owner.headers, json={"role": "viewer"}
        )

        assert (await client.get(ME, headers=second.headers)).status_code == 200
        assert (await client.get(ME, headers=owner.headers)).status_code == 200

    async def test_a_revoked_api_key_is_refused_at_the_next_request(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        key = await identity.api_key(owner, "viewer")
        assert (await client.get(ME, headers=bearer(key["key"]))).status_code == 200

        revoked = await client.delete(f"/api/v1/api-keys/{key['id']}", headers=owner.headers)
        after = await client.get(ME, headers=bearer(key["key"]))

        assert revoked.status_code == 204
        assert (after.status_code, after.json()["code"]) == (401, "invalid-api-key")

    async def test_removal_in_one_organization_keeps_access_in_another(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        acme = await identity.signup("Acme")
        globex = await identity.signup("Globex", email="gina@example.org")
        in_acme = await identity.join(globex, acme, "staff")

        await client.delete(f"/api/v1/users/{globex.user_id}", headers=acme.headers)

        problem(await client.get(ME, headers=in_acme.headers), 401, "token-revoked")
        assert (await client.get(ME, headers=globex.headers)).status_code == 200
        assert (await identity.login(globex.email, PASSWORD))["tenant"]["id"] == globex.tenant_id
