"""Sign-up, password login, refresh rotation with reuse detection, logout, tenant switch,
access-token claims and login throttling, through the HTTP API on real PostgreSQL/Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import asyncpg
import bcrypt
import jwt
import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient, Response
from sqlalchemy.engine import make_url

from quartermaster.api import create_app
from quartermaster.core.clock import utcnow
from quartermaster.core.security import sign_token
from quartermaster.core.settings import Settings
from quartermaster.identity.permissions import Permission
from quartermaster.identity.tokens import REFRESH_TOKEN_PREFIX, parse_opaque_token
from tests.builders import problem
from tests.conftest import TestServices, plain
from tests.identity.conftest import PASSWORD, Account, Identity, bearer

SIGNUP = "/api/v1/auth/signup"
TOKEN = "/api/v1/auth/token"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
SWITCH = "/api/v1/auth/switch-tenant"
ME = "/api/v1/me"


@pytest.fixture
async def superuser(services: TestServices) -> AsyncIterator[asyncpg.Connection]:
    """A connection that bypasses row-level security, to arrange and inspect raw rows."""
    url = make_url(services.admin_url).set(database=make_url(services.owner_url).database)
    connection = await asyncpg.connect(plain(url.render_as_string(hide_password=False)))
    yield connection
    await connection.close()


@asynccontextmanager
async def serving(settings: Settings, **overrides: Any) -> AsyncIterator[FastAPI]:
    """A separate app with some settings changed, sharing the test database and Redis."""
    application = create_app(settings.model_copy(update=overrides))
    async with application.router.lifespan_context(application):
        yield application


def client_of(application: FastAPI, ip: str = "127.0.0.1") -> AsyncClient:
    transport = ASGITransport(app=application, client=(ip, 123))
    return AsyncClient(transport=transport, base_url="http://test")


async def post_login(
    client: AsyncClient, email: str, password: str = PASSWORD, tenant: str | None = None
) -> Response:
    form = {"username": email, "password": password}
    if tenant is not None:
        form["tenant"] = tenant
    return await client.post(TOKEN, data=form)


def signup_body(**overrides: Any) -> dict[str, Any]:
    return {
        "organization": "Acme Supplies",
        "email": "olive@example.org",
        "password": PASSWORD,
        "full_name": "Olive Owner",
        **overrides,
    }


def without_request_id(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "request_id"}


def refresh_token_id(token: str) -> Any:
    parsed = parse_opaque_token(REFRESH_TOKEN_PREFIX, token)
    assert parsed is not None
    return parsed.id


async def me(client: AsyncClient, access_token: str) -> dict[str, Any]:
    response = await client.get(ME, headers=bearer(access_token))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def two_tenant_user(identity: Identity) -> tuple[Account, Account]:
    """A user who signed up to Acme and then accepted Globex's invitation as staff (so
    Globex is the organization she used last)."""
    acme = await identity.signup("Acme", email="dana@example.org")
    globex_owner = await identity.signup("Globex")
    await identity.join(acme, globex_owner, "staff")
    return acme, globex_owner


class TestSignup:
    async def test_signup_creates_tenant_and_owner_and_logs_in(
        self, client: AsyncClient, settings: Settings
    ) -> None:
        response = await client.post(SIGNUP, json=signup_body())

        assert response.status_code == 201, response.text
        body = response.json()
        assert set(body) == {
            "tenant",
            "user",
            "access_token",
            "refresh_token",
            "token_type",
            "expires_in",
        }
        assert set(body["tenant"]) == {"id", "name", "slug"}
        assert body["tenant"]["name"] == "Acme Supplies"
        assert body["tenant"]["slug"] == "acme-supplies"
        assert body["user"]["email"] == "olive@example.org"
        assert body["user"]["full_name"] == "Olive Owner"
        assert set(body["user"]) == {"id", "email", "full_name"}
        assert body["token_type"] == "bearer"
        assert body["expires_in"] == settings.access_token_ttl_seconds
        assert body["refresh_token"].startswith(REFRESH_TOKEN_PREFIX)

        profile = await me(client, body["access_token"])
        assert profile["user"]["id"] == body["user"]["id"]
        assert profile["tenant"] == body["tenant"]
        assert profile["role"] == "owner"
        assert set(profile["permissions"]) == {p.value for p in Permission}
        assert profile["memberships"] == [{"tenant": body["tenant"], "role": "owner"}]

    async def test_existing_email_is_refused_and_creates_no_second_organization(
        self, client: AsyncClient, superuser: asyncpg.Connection
    ) -> None:
        assert (await client.post(SIGNUP, json=signup_body())).status_code == 201

        response = await client.post(
            SIGNUP,
            json=signup_body(organization="Second Org", email="OLIVE@example.org"),
        )

        assert response.status_code == 409
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "email-taken"
        assert await superuser.fetchval("SELECT count(*) FROM tenants") == 1
        assert await superuser.fetchval("SELECT count(*) FROM users") == 1
        assert await superuser.fetchval("SELECT count(*) FROM memberships") == 1

    async def test_same_organization_name_gets_a_distinct_slug(self, identity: Identity) -> None:
        first = await identity.signup("Acme")
        second = await identity.signup("Acme")

        assert first.tenant_slug == "acme"
        assert second.tenant_slug.startswith("acme-")
        assert first.tenant_id != second.tenant_id

    async def test_email_is_case_insensitive(self, client: AsyncClient) -> None:
        response = await client.post(SIGNUP, json=signup_body(email="Foo@X.org"))
        assert response.status_code == 201, response.text
        assert response.json()["user"]["email"] == "foo@x.org"

        login = await post_login(client, "foo@x.org")
        assert login.status_code == 200, login.text
        assert (await post_login(client, "  FOO@x.ORG ")).status_code == 200

    async def test_password_of_nine_characters_is_rejected_on_the_password_field(
        self, client: AsyncClient
    ) -> None:
        response = await client.post(SIGNUP, json=signup_body(password="123456789"))

        problem(response, 422, "validation-failed")
        assert [e["field"] for e in response.json()["errors"]] == ["password"]

    async def test_password_equal_to_the_email_is_rejected_as_weak(
        self, client: AsyncClient, superuser: asyncpg.Connection
    ) -> None:
        response = await client.post(
            SIGNUP, json=signup_body(email="longname@example.org", password="LongName@Example.org")
        )

        assert response.status_code == 422
        body = response.json()
        assert body["code"] == "weak-password"
        assert body["errors"][0]["field"] == "password"
        assert await superuser.fetchval("SELECT count(*) FROM users") == 0

    @pytest.mark.parametrize(
        "extra", [{"role": "admin"}, {"tenant_id": "00000000-0000-0000-0000-000000000001"}]
    )
    async def test_unknown_fields_are_rejected(
        self, client: AsyncClient, extra: dict[str, str]
    ) -> None:
        response = await client.post(SIGNUP, json=signup_body(**extra))

        problem(response, 422, "validation-failed")
        assert [e["field"] for e in response.json()["errors"]] == list(extra)

    async def test_signup_can_be_disabled(
        self, settings: Settings, superuser: asyncpg.Connection
    ) -> None:
        async with (
            serving(settings, signup_enabled=False) as application,
            client_of(application) as client,
        ):
            response = await client.post(SIGNUP, json=signup_body())

        assert response.status_code == 403
        assert response.json()["code"] == "signup-disabled"
        assert await superuser.fetchval("SELECT count(*) FROM users") == 0


class TestLogin:
    async def test_valid_credentials_return_a_token_pair_for_the_owner(
        self, client: AsyncClient, identity: Identity, settings: Settings
    ) -> None:
        owner = await identity.signup("Acme")

        response = await post_login(client, owner.email)

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["token_type"] == "bearer"
        assert body["expires_in"] == settings.access_token_ttl_seconds
        assert body["refresh_token"].startswith(REFRESH_TOKEN_PREFIX)
        assert body["refresh_token"] != owner.refresh_token
        assert (await me(client, body["access_token"]))["tenant"]["id"] == owner.tenant_id

    async def test_unknown_email_and_wrong_password_are_indistinguishable(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")

        unknown = await post_login(client, "nobody@example.org")
        wrong = await post_login(client, owner.email, "wrong password!")

        assert unknown.status_code == wrong.status_code == 401
        assert unknown.headers["content-type"] == wrong.headers["content-type"]
        assert unknown.headers.get("www-authenticate") == wrong.headers.get("www-authenticate")
        assert without_request_id(unknown.json()) == without_request_id(wrong.json())
        assert unknown.json()["code"] == "invalid-credentials"

    async def test_inactive_user_is_refused_like_a_wrong_password(
        self, client: AsyncClient, identity: Identity, superuser: asyncpg.Connection
    ) -> None:
        owner = await identity.signup("Acme")
        await superuser.execute(
            "UPDATE users SET is_active = false WHERE id = $1::uuid", owner.user_id
        )

        inactive = await post_login(client, owner.email)
        wrong = await post_login(client, owner.email, "wrong password!")

        problem(inactive, 401, "invalid-credentials")
        assert without_request_id(inactive.json()) == without_request_id(wrong.json())

    async def test_member_of_two_tenants_logs_into_the_one_used_last_and_is_told_which(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        acme, globex_owner = await two_tenant_user(identity)

        response = await post_login(client, "dana@example.org")

        assert response.status_code == 200, response.text
        assert response.json()["tenant"] == {
            "id": globex_owner.tenant_id,
            "name": "Globex",
            "slug": globex_owner.tenant_slug,
        }
        profile = await me(client, response.json()["access_token"])
        assert profile["tenant"]["id"] == globex_owner.tenant_id
        assert profile["role"] == "staff"
        assert {m["tenant"]["slug"] for m in profile["memberships"]} == {
            acme.tenant_slug,
            "globex",
        }
        # Logging in to Acme by name makes it the one used last.
        assert (await post_login(client, acme.email, tenant=acme.tenant_slug)).status_code == 200
        again = await post_login(client, "dana@example.org")
        assert again.json()["tenant"]["id"] == acme.tenant_id

    async def test_member_of_two_tenants_with_none_used_last_is_told_the_choices(
        self, client: AsyncClient, identity: Identity, superuser: asyncpg.Connection
    ) -> None:
        acme, globex_owner = await two_tenant_user(identity)
        await superuser.execute(
            "UPDATE users SET last_tenant_id = NULL WHERE id = $1::uuid", acme.user_id
        )

        response = await post_login(client, "dana@example.org")

        assert response.status_code == 409
        body = response.json()
        assert body["code"] == "organization-required"
        assert {o["slug"] for o in body["organizations"]} == {acme.tenant_slug, "globex"}
        assert acme.tenant_slug in body["detail"]
        assert "globex" in body["detail"]
        assert {o["id"] for o in body["organizations"]} == {
            acme.tenant_id,
            globex_owner.tenant_id,
        }

    async def test_a_last_used_organization_one_left_is_not_chosen(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        acme, globex_owner = await two_tenant_user(identity)
        dana = await identity.login("dana@example.org")  # into Globex, the one used last
        dana_in_globex = (await me(client, dana["access_token"]))["user"]["id"]
        removed = await client.delete(
            f"/api/v1/users/{dana_in_globex}", headers=globex_owner.headers
        )
        assert removed.status_code == 204

        response = await post_login(client, "dana@example.org")

        assert response.status_code == 200, response.text
        assert response.json()["tenant"]["id"] == acme.tenant_id

    @pytest.mark.parametrize("by", ["slug", "id"])
    async def test_member_of_two_tenants_chooses_one_by_slug_or_id(
        self, client: AsyncClient, identity: Identity, by: str
    ) -> None:
        acme, _ = await two_tenant_user(identity)

        response = await post_login(
            client,
            "dana@example.org",
            tenant=acme.tenant_slug if by == "slug" else acme.tenant_id,
        )

        assert response.status_code == 200, response.text
        profile = await me(client, response.json()["access_token"])
        assert profile["tenant"]["id"] == acme.tenant_id
        assert profile["role"] == "owner"

    @pytest.mark.parametrize(
        "slug", ["other-org", "no-such-org", "01900000-0000-7000-8000-000000000000"]
    )
    async def test_slug_of_a_tenant_the_user_is_not_in_is_not_found(
        self, client: AsyncClient, identity: Identity, slug: str
    ) -> None:
        owner = await identity.signup("Acme")
        await identity.signup("Other Org")

        response = await post_login(client, owner.email, tenant=slug)

        assert response.status_code == 404
        assert response.json()["code"] == "tenant-not-found"

    async def test_bcrypt_hash_is_accepted_and_upgraded_to_argon2id(
        self, client: AsyncClient, identity: Identity, superuser: asyncpg.Connection
    ) -> None:
        owner = await identity.signup("Acme")
        legacy = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
        await superuser.execute(
            "UPDATE users SET password_hash = $1 WHERE id = $2::uuid", legacy, owner.user_id
        )

        response = await post_login(client, owner.email)

        assert response.status_code == 200, response.text
        stored = await superuser.fetchval(
            "SELECT password_hash FROM users WHERE id = $1::uuid", owner.user_id
        )
        assert stored.startswith("$argon2id$")
        assert (await post_login(client, owner.email)).status_code == 200
        wrong = await post_login(client, owner.email, "wrong password!")
        problem(wrong, 401, "invalid-credentials")

    async def test_successful_login_records_the_login_time(
        self, client: AsyncClient, identity: Identity, superuser: asyncpg.Connection
    ) -> None:
        owner = await identity.signup("Acme")
        assert (
            await superuser.fetchval(
                "SELECT last_login_at FROM users WHERE id = $1::uuid", owner.user_id
            )
            is None
        )

        assert (await post_login(client, owner.email)).status_code == 200

        assert (
            await superuser.fetchval(
                "SELECT last_login_at FROM users WHERE id = $1::uuid", owner.user_id
            )
            is not None
        )


class TestAccessToken:
    async def test_claims_name_user_tenant_role_and_lifetime(
        self, client: AsyncClient, identity: Identity, settings: Settings
    ) -> None:
        owner = await identity.signup("Acme")
        token = (await identity.login(owner.email))["access_token"]

        claims = jwt.decode(token, settings.secret_key.get_secret_value(), algorithms=["HS256"])

        assert claims["sub"] == owner.user_id
        assert claims["tid"] == owner.tenant_id
        assert claims["role"] == "owner"
        assert claims["jti"]
        assert claims["exp"] - claims["iat"] == settings.access_token_ttl_seconds
        other = jwt.decode(
            owner.access_token, settings.secret_key.get_secret_value(), algorithms=["HS256"]
        )
        assert other["jti"] != claims["jti"]

    async def test_expired_access_token_is_refused(
        self, client: AsyncClient, identity: Identity, settings: Settings
    ) -> None:
        owner = await identity.signup("Acme")
        claims = jwt.decode(
            owner.access_token, settings.secret_key.get_secret_value(), algorithms=["HS256"]
        )
        claims = {k: v for k, v in claims.items() if k not in ("iat", "exp")}
        expired = sign_token(
            claims,
            settings.secret_key.get_secret_value(),
            ttl=timedelta(minutes=15),
            now=utcnow() - timedelta(hours=1),
        )

        response = await client.get(ME, headers=bearer(expired))

        assert response.status_code == 401
        assert response.json()["code"] == "invalid-token"
        assert "expired" in response.json()["detail"]

    async def test_token_signed_with_another_secret_is_refused(
        self, client: AsyncClient, identity: Identity, settings: Settings
    ) -> None:
        owner = await identity.signup("Acme")
        claims = jwt.decode(
            owner.access_token, settings.secret_key.get_secret_value(), algorithms=["HS256"]
        )
        forged = jwt.encode(
            claims, "an-attacker-secret-that-is-long-enough-000000", algorithm="HS256"
        )

        response = await client.get(ME, headers=bearer(forged))

        assert response.status_code == 401
        assert response.json()["code"] == "invalid-token"

    async def test_missing_token_is_refused(self, client: AsyncClient) -> None:
        response = await client.get(ME)

        problem(response, 401, "unauthenticated")
        assert response.headers["www-authenticate"] == "Bearer"


class TestRefresh:
    async def test_refresh_returns_a_new_working_pair(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")

        response = await client.post(REFRESH, json={"refresh_token": owner.refresh_token})

        assert response.status_code == 200, response.text
        pair = response.json()
        assert pair["refresh_token"] != owner.refresh_token
        assert pair["access_token"] != owner.access_token
        assert (await me(client, pair["access_token"]))["user"]["id"] == owner.user_id
        again = await client.post(REFRESH, json={"refresh_token": pair["refresh_token"]})
        assert again.status_code == 200, again.text

    async def test_reusing_a_rotated_token_revokes_the_whole_family(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        rotated = await client.post(REFRESH, json={"refresh_token": owner.refresh_token})
        newest = rotated.json()["refresh_token"]

        replay = await client.post(REFRESH, json={"refresh_token": owner.refresh_token})

        assert replay.status_code == 401
        assert replay.json()["code"] == "invalid-refresh-token"
        after = await client.post(REFRESH, json={"refresh_token": newest})
        assert after.status_code == 401
        assert after.json()["code"] == "invalid-refresh-token"

    async def test_reuse_does_not_revoke_other_logins_of_the_same_user(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        other_session = (await identity.login(owner.email))["refresh_token"]
        await client.post(REFRESH, json={"refresh_token": owner.refresh_token})

        await client.post(REFRESH, json={"refresh_token": owner.refresh_token})

        response = await client.post(REFRESH, json={"refresh_token": other_session})
        assert response.status_code == 200, response.text

    @pytest.mark.parametrize(
        "token",
        [
            "garbage",
            REFRESH_TOKEN_PREFIX + "0" * 128,
            REFRESH_TOKEN_PREFIX + "zz" * 64,
        ],
    )
    async def test_garbage_refresh_token_is_refused(self, client: AsyncClient, token: str) -> None:
        response = await client.post(REFRESH, json={"refresh_token": token})

        assert response.status_code == 401
        assert response.json()["code"] == "invalid-refresh-token"

    async def test_refresh_token_with_a_wrong_secret_is_refused(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        last = owner.refresh_token[-1]
        tampered = owner.refresh_token[:-1] + ("0" if last != "0" else "1")

        response = await client.post(REFRESH, json={"refresh_token": tampered})

        problem(response, 401, "invalid-refresh-token")
        # A wrong secret is not a replay: the genuine token still works.
        genuine = await client.post(REFRESH, json={"refresh_token": owner.refresh_token})
        assert genuine.status_code == 200

    async def test_expired_refresh_token_is_refused(
        self, client: AsyncClient, identity: Identity, superuser: asyncpg.Connection
    ) -> None:
        owner = await identity.signup("Acme")
        await superuser.execute(
            "UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE id = $1",
            refresh_token_id(owner.refresh_token),
        )

        response = await client.post(REFRESH, json={"refresh_token": owner.refresh_token})

        assert response.status_code == 401
        assert response.json()["code"] == "invalid-refresh-token"

    async def test_refresh_reflects_a_role_change_at_once(
        self, client: AsyncClient, identity: Identity, settings: Settings
    ) -> None:
        owner = await identity.signup("Acme")
        admin = await identity.member(owner, "admin")
        member = await identity.member(owner, "staff")
        demoted = await client.patch(
            f"/api/v1/users/{member.user_id}", headers=admin.headers, json={"role": "viewer"}
        )
        assert demoted.status_code == 200, demoted.text

        response = await client.post(REFRESH, json={"refresh_token": member.refresh_token})

        assert response.status_code == 200, response.text
        access = response.json()["access_token"]
        assert (await me(client, access))["role"] == "viewer"
        secret = settings.secret_key.get_secret_value()
        assert jwt.decode(access, secret, algorithms=["HS256"])["role"] == "viewer"

    async def test_removed_member_cannot_refresh(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        member = await identity.member(owner, "staff")
        removed = await client.delete(f"/api/v1/users/{member.user_id}", headers=owner.headers)
        assert removed.status_code == 204

        response = await client.post(REFRESH, json={"refresh_token": member.refresh_token})

        assert response.status_code == 401
        assert response.json()["code"] == "invalid-refresh-token"

    async def test_deactivated_user_cannot_refresh(
        self, client: AsyncClient, identity: Identity, superuser: asyncpg.Connection
    ) -> None:
        owner = await identity.signup("Acme")
        await superuser.execute(
            "UPDATE users SET is_active = false WHERE id = $1::uuid", owner.user_id
        )

        response = await client.post(REFRESH, json={"refresh_token": owner.refresh_token})

        problem(response, 401, "invalid-refresh-token")

    async def test_unknown_fields_are_rejected(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")

        response = await client.post(
            REFRESH, json={"refresh_token": owner.refresh_token, "tenant_id": owner.tenant_id}
        )

        problem(response, 422, "validation-failed")
        # Refused before anything was done: the token was not rotated and still works.
        assert (await client.post(REFRESH, json={"refresh_token": owner.refresh_token})).is_success


class TestLogout:
    async def test_logout_revokes_the_refresh_token(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")

        response = await client.post(LOGOUT, json={"refresh_token": owner.refresh_token})

        assert response.status_code == 204
        assert response.content == b""
        refused = await client.post(REFRESH, json={"refresh_token": owner.refresh_token})
        problem(refused, 401, "invalid-refresh-token")

    async def test_logout_revokes_the_tokens_rotated_from_the_same_login(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        rotated = await client.post(REFRESH, json={"refresh_token": owner.refresh_token})
        newest = rotated.json()["refresh_token"]

        assert (await client.post(LOGOUT, json={"refresh_token": newest})).status_code == 204

        refused = await client.post(REFRESH, json={"refresh_token": newest})
        problem(refused, 401, "invalid-refresh-token")

    async def test_logging_out_twice_or_with_garbage_is_not_an_error(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")

        first = await client.post(LOGOUT, json={"refresh_token": owner.refresh_token})
        second = await client.post(LOGOUT, json={"refresh_token": owner.refresh_token})
        garbage = await client.post(LOGOUT, json={"refresh_token": "garbage"})

        assert (first.status_code, second.status_code, garbage.status_code) == (204, 204, 204)


class TestSwitchTenant:
    @pytest.mark.parametrize(
        "how", ["slug", "id", "tenant_id"], ids=["tenant=slug", "tenant=id", "legacy tenant_id"]
    )
    async def test_switch_returns_a_pair_for_the_other_tenant(
        self, client: AsyncClient, identity: Identity, how: str
    ) -> None:
        acme, globex_owner = await two_tenant_user(identity)
        tokens = await identity.login("dana@example.org", tenant=acme.tenant_slug)
        body = {
            "slug": {"tenant": globex_owner.tenant_slug},
            "id": {"tenant": globex_owner.tenant_id},
            "tenant_id": {"tenant_id": globex_owner.tenant_id},
        }[how]

        response = await client.post(SWITCH, headers=bearer(tokens["access_token"]), json=body)

        assert response.status_code == 200, response.text
        pair = response.json()
        assert pair["tenant"]["id"] == globex_owner.tenant_id
        profile = await me(client, pair["access_token"])
        assert profile["tenant"]["id"] == globex_owner.tenant_id
        assert profile["role"] == "staff"
        # The organization switched to is the one used last: the next login goes there.
        assert (await post_login(client, "dana@example.org")).json()["tenant"]["id"] == (
            globex_owner.tenant_id
        )
        refreshed = await client.post(REFRESH, json={"refresh_token": pair["refresh_token"]})
        assert refreshed.status_code == 200
        assert (await me(client, refreshed.json()["access_token"]))["tenant"]["id"] == (
            globex_owner.tenant_id
        )
        assert acme.tenant_id != globex_owner.tenant_id

    async def test_switch_to_a_tenant_the_user_is_not_in_is_not_found(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        stranger = await identity.signup("Globex")

        by_id = await client.post(
            SWITCH, headers=owner.headers, json={"tenant_id": stranger.tenant_id}
        )
        by_slug = await client.post(
            SWITCH, headers=owner.headers, json={"tenant": stranger.tenant_slug}
        )

        assert by_id.status_code == by_slug.status_code == 404
        assert by_id.json()["code"] == by_slug.json()["code"] == "tenant-not-found"

    @pytest.mark.parametrize(
        "body",
        [{}, {"tenant": "acme", "tenant_id": "01900000-0000-7000-8000-000000000000"}],
        ids=["neither", "both"],
    )
    async def test_switch_names_exactly_one_organization(
        self, client: AsyncClient, identity: Identity, body: dict[str, str]
    ) -> None:
        owner = await identity.signup("Acme")

        response = await client.post(SWITCH, headers=owner.headers, json=body)

        problem(response, 422, "validation-failed")

    async def test_api_key_cannot_switch_tenant(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        key = await identity.api_key(owner, "admin")

        response = await client.post(
            SWITCH, headers=bearer(key["key"]), json={"tenant_id": owner.tenant_id}
        )

        problem(response, 404, "tenant-not-found")

    async def test_switch_needs_authentication(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")

        response = await client.post(SWITCH, json={"tenant_id": owner.tenant_id})

        problem(response, 401, "unauthenticated")


class TestLoginThrottling:
    async def test_fourth_attempt_after_three_failures_is_throttled_even_with_the_right_password(
        self, settings: Settings, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        async with (
            serving(settings, login_max_failures=3) as application,
            client_of(application) as client,
        ):
            failures = [
                (await post_login(client, owner.email, "wrong password!")).status_code
                for _ in range(3)
            ]
            throttled = await post_login(client, owner.email)

        assert failures == [401, 401, 401]
        assert throttled.status_code == 429
        assert throttled.headers["content-type"].startswith("application/problem+json")
        assert throttled.json()["code"] == "too-many-login-attempts"
        retry_after = int(throttled.headers["retry-after"])
        assert 0 < retry_after <= settings.login_backoff_seconds

    async def test_the_right_password_from_another_address_works_while_an_attacker_is_throttled(
        self, settings: Settings, identity: Identity
    ) -> None:
        """Knowing someone's e-mail address is not enough to lock them out."""
        owner = await identity.signup("Acme")
        async with serving(settings, login_max_failures=3) as application:
            async with client_of(application, ip="203.0.113.9") as attacker:
                guesses = [
                    (await post_login(attacker, owner.email, f"guess {i}!!!!")).status_code
                    for i in range(5)
                ]
                still_blocked = await post_login(attacker, owner.email)
            async with client_of(application, ip="198.51.100.20") as owner_at_home:
                response = await post_login(owner_at_home, owner.email)

        assert guesses == [401, 401, 401, 429, 429]
        problem(still_blocked, 429, "too-many-login-attempts")
        assert response.status_code == 200, response.text

    async def test_each_failure_past_the_threshold_doubles_the_wait(
        self, settings: Settings, identity: Identity, services: TestServices
    ) -> None:
        from redis.asyncio import Redis

        owner = await identity.signup("Acme")
        redis = Redis.from_url(services.redis_url)
        waits: list[int] = []
        try:
            async with (
                serving(
                    settings,
                    login_max_failures=2,
                    login_backoff_seconds=10,
                    login_backoff_max_seconds=60,
                ) as application,
                client_of(application, ip="203.0.113.10") as client,
            ):
                for _ in range(2):
                    wrong = await post_login(client, owner.email, "wrong!!!!!")
                    problem(wrong, 401, "invalid-credentials")
                for _ in range(4):
                    blocked = await post_login(client, owner.email, "wrong!!!!!")
                    problem(blocked, 429, "too-many-login-attempts")
                    waits.append(int(blocked.headers["retry-after"]))
                    # The block lapses (as time would make it) and the attacker guesses again.
                    keys = [k async for k in redis.scan_iter("qm:login:account-ip:*:blocked")]
                    assert len(keys) == 1
                    await redis.delete(*keys)
                    wrong = await post_login(client, owner.email, "wrong!!!!!")
                    problem(wrong, 401, "invalid-credentials")
        finally:
            await redis.aclose()

        # 10 s after the 2nd failure, then 20, 40, and capped at 60.
        assert waits == [10, 20, 40, 60]

    async def test_one_address_spraying_many_accounts_is_throttled_at_its_own_threshold(
        self, settings: Settings, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        async with serving(settings, login_max_failures=3, login_ip_max_failures=5) as application:
            async with client_of(application, ip="10.0.0.7") as sprayer:
                failed = [
                    (await post_login(sprayer, f"victim-{i}@example.org")).status_code
                    for i in range(5)
                ]
                throttled = await post_login(sprayer, owner.email)
            async with client_of(application, ip="10.0.0.8") as other_ip:
                unaffected = await post_login(other_ip, owner.email)

        assert failed == [401] * 5  # no single account reached its threshold of 3
        problem(throttled, 429, "too-many-login-attempts")
        assert int(throttled.headers["retry-after"]) > 0
        assert unaffected.status_code == 200

    async def test_a_successful_login_forgives_that_addresss_failures(
        self, settings: Settings, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        async with (
            serving(settings, login_max_failures=3) as application,
            client_of(application, ip="10.0.1.1") as client,
        ):
            statuses = []
            for _ in range(2):
                statuses += [
                    (await post_login(client, owner.email, "wrong!!!!!")).status_code
                    for _ in range(2)
                ]
                statuses.append((await post_login(client, owner.email)).status_code)

        assert statuses == [401, 401, 200, 401, 401, 200]

    async def test_default_limit_allows_some_typos(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        for _ in range(3):
            problem(await post_login(client, owner.email, "wrong!!!!!"), 401, "invalid-credentials")

        assert (await post_login(client, owner.email)).status_code == 200


class TestTrustedProxies:
    """Which X-Forwarded-For hop is the client decides whom the throttle counts."""

    async def test_by_default_no_proxy_is_trusted_so_a_forged_header_changes_nothing(
        self, settings: Settings, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        async with (
            serving(settings, login_max_failures=2) as application,
            client_of(application, ip="203.0.113.50") as client,
        ):
            statuses = []
            for index in range(3):
                # A fresh made-up address on every attempt does not reset the count.
                response = await client.post(
                    TOKEN,
                    data={"username": owner.email, "password": "wrong!!!!!"},
                    headers={"X-Forwarded-For": f"192.0.2.{index}"},
                )
                statuses.append(response.status_code)

        assert statuses == [401, 401, 429]

    async def test_behind_a_trusted_proxy_the_forwarded_client_is_counted(
        self, settings: Settings, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        async with (
            serving(settings, login_max_failures=2, trusted_proxies="10.0.0.0/8") as application,
            client_of(application, ip="10.1.2.3") as proxy,
        ):

            async def attempt(chain: str, password: str = "wrong!!!!!") -> int:  # noqa: S107
                response = await proxy.post(
                    TOKEN,
                    data={"username": owner.email, "password": password},
                    headers={"X-Forwarded-For": chain},
                )
                return response.status_code

            # The attacker puts a made-up address first; the proxy appends the real one.
            attacker = [await attempt(f"1.1.1.{i}, 203.0.113.66") for i in range(3)]
            someone_else = await attempt("198.51.100.7", PASSWORD)
            via_two_proxies = await attempt("203.0.113.66, 10.9.9.9")

        assert attacker == [401, 401, 429]
        assert someone_else == 200
        assert via_two_proxies == 429  # the hop before the trusted chain: the attacker

    async def test_client_ip_rules(self) -> None:
        from ipaddress import ip_network

        from quartermaster.core.deps import client_ip

        trusted = (ip_network("10.0.0.0/8"), ip_network("::1/128"))
        assert client_ip("203.0.113.1", ["1.2.3.4"], trusted) == "203.0.113.1"
        assert client_ip("10.0.0.1", ["1.2.3.4, 5.6.7.8"], trusted) == "5.6.7.8"
        assert client_ip("10.0.0.1", ["1.2.3.4", "10.0.0.2"], trusted) == "1.2.3.4"
        assert client_ip("10.0.0.1", [], trusted) == "10.0.0.1"
        assert client_ip("10.0.0.1", ["10.0.0.3"], trusted) == "10.0.0.3"
        assert client_ip("10.0.0.1", ["bogus, 10.0.0.3"], trusted) == "10.0.0.3"
        assert client_ip("::1", ["2001:db8::1"], trusted) == "2001:db8::1"
        assert client_ip("10.0.0.1", ["1.2.3.4"], ()) == "10.0.0.1"


async def test_concurrent_refreshes_of_one_token_issue_at_most_one_pair(
    client: AsyncClient, identity: Identity
) -> None:
    owner = await identity.signup("Acme")

    responses = await asyncio.gather(
        *(client.post(REFRESH, json={"refresh_token": owner.refresh_token}) for _ in range(3))
    )

    assert sorted(r.status_code for r in responses) == [200, 401, 401]
