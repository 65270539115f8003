"""Invitations: people become members only by accepting one, and the inviter learns
nothing about their account."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import pytest
from httpx import AsyncClient, Response
from sqlalchemy.engine import make_url

from tests.builders import problem
from tests.conftest import Outbox, TestServices, plain
from tests.identity.conftest import INVITATION_MAIL, PASSWORD, Account, Identity, bearer

INVITATIONS = "/api/v1/invitations"
ACCEPT = "/api/v1/auth/invitations/accept"
PREVIEW = "/api/v1/auth/invitations/preview"
USERS = "/api/v1/users"


@pytest.fixture
async def superuser(services: TestServices) -> Any:
    url = make_url(services.admin_url).set(database=make_url(services.owner_url).database)
    connection = await asyncpg.connect(plain(url.render_as_string(hide_password=False)))
    yield connection
    await connection.close()


async def invite(
    client: AsyncClient, admin: Account, email: str, role: str, **extra: Any
) -> Response:
    return await client.post(
        INVITATIONS, headers=admin.headers, json={"email": email, "role": role, **extra}
    )


async def members(client: AsyncClient, actor: Account) -> dict[str, dict[str, Any]]:
    response = await client.get(USERS, headers=actor.headers, params={"limit": 500})
    assert response.status_code == 200, response.text
    return {m["email"]: m for m in response.json()["items"]}


async def login(client: AsyncClient, email: str, password: str, tenant: str) -> Response:
    return await client.post(
        "/api/v1/auth/token", data={"username": email, "password": password, "tenant": tenant}
    )


def comparable(invitation: dict[str, Any]) -> dict[str, Any]:
    """An invitation without what differs between any two (ids, address, times)."""
    varying = {"id", "email", "created_at", "expires_at", "last_sent_at"}
    return {k: v for k, v in invitation.items() if k not in varying}


class TestInvitingANewAddress:
    async def test_invitee_becomes_a_member_only_after_accepting_with_a_password(
        self, client: AsyncClient, identity: Identity, outbox: Outbox
    ) -> None:
        owner = await identity.signup("Acme")

        response = await invite(client, owner, "New.Person@Example.org", "staff")

        assert response.status_code == 201, response.text
        body = response.json()
        assert response.headers["location"] == f"{INVITATIONS}/{body['id']}"
        assert body["email"] == "new.person@example.org"
        assert (body["role"], body["state"], body["send_count"]) == ("staff", "pending", 1)
        assert body["invited_by"] == owner.user_id
        assert "new.person@example.org" not in await members(client, owner)
        mails = await outbox.messages(to="new.person@example.org", kind=INVITATION_MAIL)
        assert len(mails) == 1
        assert mails[0]["confidential"] is True
        assert mails[0]["tenant_id"] is not None
        assert str(mails[0]["tenant_id"]) == owner.tenant_id
        assert "Acme" in mails[0]["subject"]
        not_yet = await login(client, "new.person@example.org", PASSWORD, owner.tenant_slug)
        problem(not_yet, 401, "invalid-credentials")

        token = await outbox.token("new.person@example.org", INVITATION_MAIL)
        preview = await client.post(PREVIEW, json={"token": token})
        assert preview.status_code == 200, preview.text
        assert preview.json()["account_exists"] is False
        assert preview.json()["organization"]["id"] == owner.tenant_id
        accepted = await client.post(
            ACCEPT, json={"token": token, "password": PASSWORD, "full_name": "Nina New"}
        )

        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["tenant"]["id"] == owner.tenant_id
        me = await client.get("/api/v1/me", headers=bearer(accepted.json()["access_token"]))
        assert (me.json()["role"], me.json()["user"]["full_name"]) == ("staff", "Nina New")
        joined = (await members(client, owner))["new.person@example.org"]
        assert (joined["role"], joined["full_name"]) == ("staff", "Nina New")
        assert (
            await login(client, "new.person@example.org", PASSWORD, owner.tenant_slug)
        ).status_code == 200
        listed = await client.get(INVITATIONS, headers=owner.headers)
        assert [i["state"] for i in listed.json()["items"]] == ["accepted"]

    async def test_a_new_account_needs_a_name_and_an_acceptable_password(
        self, client: AsyncClient, identity: Identity, outbox: Outbox
    ) -> None:
        owner = await identity.signup("Acme")
        await identity.invite(owner, "nameless@example.org", "viewer")
        token = await outbox.token("nameless@example.org", INVITATION_MAIL)

        nameless = await client.post(ACCEPT, json={"token": token, "password": PASSWORD})
        weak = await client.post(
            ACCEPT, json={"token": token, "password": "short", "full_name": "N"}
        )
        same_as_email = await client.post(
            ACCEPT,
            json={"token": token, "password": "nameless@example.org", "full_name": "N"},
        )

        assert (nameless.status_code, nameless.json()["code"]) == (422, "full-name-required")
        assert (weak.status_code, weak.json()["code"]) == (422, "weak-password")
        assert (same_as_email.status_code, same_as_email.json()["code"]) == (422, "weak-password")
        assert "nameless@example.org" not in await members(client, owner)
        # The invitation is still open: nothing was used up by the refusals.
        good = await client.post(
            ACCEPT, json={"token": token, "password": PASSWORD, "full_name": "Ned"}
        )
        assert good.status_code == 200, good.text

    async def test_a_link_works_once(
        self, client: AsyncClient, identity: Identity, outbox: Outbox
    ) -> None:
        owner = await identity.signup("Acme")
        await identity.invite(owner, "once@example.org", "viewer")
        token = await outbox.token("once@example.org", INVITATION_MAIL)
        body = {"token": token, "password": PASSWORD, "full_name": "Once"}

        first = await client.post(ACCEPT, json=body)
        second = await client.post(ACCEPT, json=body)

        assert first.status_code == 200
        assert (second.status_code, second.json()["code"]) == (410, "invitation-invalid")

    @pytest.mark.parametrize(
        "token",
        ["qmi_" + "0" * 128, "not-a-token", "qmr_" + "a" * 128],
    )
    async def test_forged_tokens_are_refused(self, client: AsyncClient, token: str) -> None:
        response = await client.post(
            ACCEPT, json={"token": token, "password": PASSWORD, "full_name": "X"}
        )
        preview = await client.post(PREVIEW, json={"token": token})

        problem(response, 410, "invitation-invalid")
        problem(preview, 410, "invitation-invalid")

    async def test_a_token_with_another_secret_is_refused(
        self, client: AsyncClient, identity: Identity, outbox: Outbox
    ) -> None:
        owner = await identity.signup("Acme")
        await identity.invite(owner, "guess@example.org", "viewer")
        token = await outbox.token("guess@example.org", INVITATION_MAIL)
        forged = token[:-8] + ("0" * 8 if not token.endswith("0" * 8) else "1" * 8)

        response = await client.post(
            ACCEPT, json={"token": forged, "password": PASSWORD, "full_name": "G"}
        )

        problem(response, 410, "invitation-invalid")
        assert "guess@example.org" not in await members(client, owner)

    async def test_an_expired_invitation_cannot_be_accepted_and_is_replaced_by_a_new_one(
        self, client: AsyncClient, identity: Identity, outbox: Outbox, superuser: Any
    ) -> None:
        owner = await identity.signup("Acme")
        first = await identity.invite(owner, "late@example.org", "viewer")
        token = await outbox.token("late@example.org", INVITATION_MAIL)
        await superuser.execute(
            "UPDATE invitations SET expires_at = now() - interval '1 minute' WHERE id = $1",
            uuid.UUID(first["id"]),
        )

        late = await client.post(
            ACCEPT, json={"token": token, "password": PASSWORD, "full_name": "Late"}
        )
        listed = await client.get(INVITATIONS, headers=owner.headers, params={"state": "expired"})
        again = await invite(client, owner, "late@example.org", "viewer")

        problem(late, 410, "invitation-invalid")
        assert [i["id"] for i in listed.json()["items"]] == [first["id"]]
        assert again.status_code == 201, again.text
        states = {
            i["id"]: i["state"]
            for i in (await client.get(INVITATIONS, headers=owner.headers)).json()["items"]
        }
        assert states == {first["id"]: "revoked", again.json()["id"]: "pending"}


class TestInvitingAnExistingAccount:
    async def test_the_inviter_cannot_tell_whether_an_address_has_an_account(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        acme = await identity.signup("Acme")
        await identity.signup("Globex", email="gina@example.org")

        registered = await invite(client, acme, "gina@example.org", "staff")
        unknown = await invite(client, acme, "nobody-yet@example.org", "staff")

        assert registered.status_code == unknown.status_code == 201
        assert comparable(registered.json()) == comparable(unknown.json())
        assert set(registered.json()) == set(unknown.json())
        assert "gina@example.org" not in await members(client, acme)
        # The outbox shows that a mail went, never its body (the link).
        outbox = (await client.get("/api/v1/mail/outbox", headers=acme.headers)).json()["items"]
        assert {m["to"][0] for m in outbox} == {"gina@example.org", "nobody-yet@example.org"}
        for message in outbox:
            detail = await client.get(f"/api/v1/mail/outbox/{message['id']}", headers=acme.headers)
            assert detail.status_code == 200
            assert detail.json()["confidential"] is True
            assert detail.json()["text_body"] is None
            assert detail.json()["html_body"] is None
            assert "token" not in detail.text
        # The audit log holds the address and role, nothing about the account.
        audit = await client.get(
            "/api/v1/audit-log", headers=acme.headers, params={"action": "invitation.created"}
        )
        assert {e["target_type"] for e in audit.json()["items"]} == {"invitation"}
        assert [e["details"] for e in audit.json()["items"]] == [
            {"email": "nobody-yet@example.org", "role": "staff"},
            {"email": "gina@example.org", "role": "staff"},
        ]

    async def test_an_existing_account_accepts_with_its_password_and_keeps_name_and_password(
        self, client: AsyncClient, identity: Identity, outbox: Outbox
    ) -> None:
        acme = await identity.signup("Acme")
        globex = await identity.signup("Globex", email="gina@example.org")
        await identity.invite(acme, "GINA@example.org", "manager")
        token = await outbox.token("gina@example.org", INVITATION_MAIL)

        preview = await client.post(PREVIEW, json={"token": token})
        wrong = await client.post(
            ACCEPT, json={"token": token, "password": "a different password", "full_name": "X"}
        )
        right = await client.post(
            ACCEPT, json={"token": token, "password": PASSWORD, "full_name": "Not My Name"}
        )

        assert preview.json()["account_exists"] is True
        assert (wrong.status_code, wrong.json()["code"]) == (401, "invalid-credentials")
        assert right.status_code == 200, right.text
        joined = (await members(client, acme))["gina@example.org"]
        assert (joined["id"], joined["role"]) == (globex.user_id, "manager")
        assert joined["full_name"] == "Olive Owner"  # their own name, not the one sent
        assert (await login(client, globex.email, PASSWORD, acme.tenant_slug)).status_code == 200
        assert (await login(client, globex.email, PASSWORD, globex.tenant_slug)).status_code == 200
        wrong = await login(client, globex.email, "a different password", acme.tenant_slug)
        problem(wrong, 401, "invalid-credentials")

    async def test_wrong_passwords_on_accept_are_throttled_like_logins(
        self, client: AsyncClient, identity: Identity, outbox: Outbox, settings: Any
    ) -> None:
        acme = await identity.signup("Acme")
        await identity.signup("Globex", email="gina@example.org")
        await identity.invite(acme, "gina@example.org", "viewer")
        token = await outbox.token("gina@example.org", INVITATION_MAIL)
        statuses = [
            (await client.post(ACCEPT, json={"token": token, "password": f"guess {i}"})).status_code
            for i in range(settings.login_max_failures + 1)
        ]

        assert statuses[: settings.login_max_failures] == [401] * settings.login_max_failures
        assert statuses[-1] == 429
        assert "gina@example.org" not in await members(client, acme)


class TestWhoMayInvite:
    async def test_already_a_member_or_already_invited_is_a_conflict(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        member = await identity.member(owner, "staff")
        pending = await identity.invite(owner, "pending@example.org", "viewer")

        again_member = await invite(client, owner, member.email.upper(), "viewer")
        again_pending = await invite(client, owner, "pending@example.org", "admin")

        assert (again_member.status_code, again_member.json()["code"]) == (409, "already-member")
        assert (again_pending.status_code, again_pending.json()["code"]) == (409, "already-invited")
        assert again_pending.json()["invitation_id"] == pending["id"]

    async def test_nobody_invites_above_their_own_role(
        self, client: AsyncClient, identity: Identity, outbox: Outbox
    ) -> None:
        owner = await identity.signup("Acme")
        admin = await identity.member(owner, "admin")
        manager = await identity.member(owner, "manager")

        as_owner = await invite(client, admin, "boss@example.org", "owner")
        peer = await invite(client, admin, "peer@example.org", "admin")
        by_manager = await invite(client, manager, "intern@example.org", "viewer")

        assert (as_owner.status_code, as_owner.json()["code"]) == (403, "role-above-own")
        assert peer.status_code == 201
        assert (by_manager.status_code, by_manager.json()["code"]) == (403, "permission-denied")
        assert await outbox.messages(to="boss@example.org") == []
        assert await outbox.messages(to="intern@example.org") == []

    @pytest.mark.parametrize(
        "body",
        [
            {"email": "x@example.org", "role": "superuser"},
            {"email": "x@example.org", "role": "viewer", "tenant_id": "abc"},
            {"email": "x@example.org", "role": "viewer", "full_name": "Smuggled"},
            {"email": "not an address", "role": "viewer"},
        ],
    )
    async def test_bodies_are_validated_and_refusals_send_nothing(
        self, client: AsyncClient, identity: Identity, outbox: Outbox, body: dict[str, Any]
    ) -> None:
        owner = await identity.signup("Acme")

        response = await client.post(INVITATIONS, headers=owner.headers, json=body)

        assert response.status_code == 422
        assert response.json()["code"] == "validation-failed"
        assert await outbox.messages(kind=INVITATION_MAIL) == []
        assert (await client.get(INVITATIONS, headers=owner.headers)).json()["items"] == []

    async def test_members_are_no_longer_added_directly(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")

        response = await client.post(
            USERS,
            headers=owner.headers,
            json={"email": "direct@example.org", "full_name": "D", "role": "viewer"},
        )

        problem(response, 405, "method-not-allowed")
        assert "POST" not in response.headers["allow"]
        assert "direct@example.org" not in await members(client, owner)


class TestResendAndRevoke:
    async def test_resending_mails_a_new_link_and_voids_the_old_one(
        self, client: AsyncClient, identity: Identity, outbox: Outbox
    ) -> None:
        owner = await identity.signup("Acme")
        created = await identity.invite(owner, "slow@example.org", "viewer")
        old = await outbox.token("slow@example.org", INVITATION_MAIL)

        resent = await client.post(f"{INVITATIONS}/{created['id']}/resend", headers=owner.headers)
        new = await outbox.token("slow@example.org", INVITATION_MAIL)

        assert resent.status_code == 200, resent.text
        assert resent.json()["send_count"] == 2
        assert resent.json()["id"] == created["id"]
        assert new != old
        assert len(await outbox.messages(to="slow@example.org")) == 2
        stale = await client.post(
            ACCEPT, json={"token": old, "password": PASSWORD, "full_name": "S"}
        )
        problem(stale, 410, "invitation-invalid")
        fresh = await client.post(
            ACCEPT, json={"token": new, "password": PASSWORD, "full_name": "S"}
        )
        assert fresh.status_code == 200, fresh.text
        after = await client.post(f"{INVITATIONS}/{created['id']}/resend", headers=owner.headers)
        assert (after.status_code, after.json()["code"]) == (409, "invitation-not-open")

    async def test_a_revoked_invitation_cannot_be_accepted(
        self, client: AsyncClient, identity: Identity, outbox: Outbox
    ) -> None:
        owner = await identity.signup("Acme")
        created = await identity.invite(owner, "changed-mind@example.org", "viewer")
        token = await outbox.token("changed-mind@example.org", INVITATION_MAIL)

        revoked = await client.delete(f"{INVITATIONS}/{created['id']}", headers=owner.headers)
        twice = await client.delete(f"{INVITATIONS}/{created['id']}", headers=owner.headers)
        accepted = await client.post(
            ACCEPT, json={"token": token, "password": PASSWORD, "full_name": "C"}
        )

        assert (revoked.status_code, twice.status_code) == (204, 204)
        problem(accepted, 410, "invitation-invalid")
        listed = await client.get(INVITATIONS, headers=owner.headers, params={"state": "revoked"})
        assert [i["id"] for i in listed.json()["items"]] == [created["id"]]
        assert "changed-mind@example.org" not in await members(client, owner)

    async def test_an_accepted_invitation_cannot_be_revoked(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        member = await identity.member(owner, "viewer")
        invitation = (await client.get(INVITATIONS, headers=owner.headers)).json()["items"][0]

        response = await client.delete(f"{INVITATIONS}/{invitation['id']}", headers=owner.headers)

        assert (response.status_code, response.json()["code"]) == (409, "invitation-not-open")
        assert member.email in await members(client, owner)

    async def test_another_organizations_invitation_is_not_found(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        acme = await identity.signup("Acme")
        globex = await identity.signup("Globex")
        theirs = await identity.invite(globex, "theirs@example.org", "viewer")

        resend = await client.post(f"{INVITATIONS}/{theirs['id']}/resend", headers=acme.headers)
        revoke = await client.delete(f"{INVITATIONS}/{theirs['id']}", headers=acme.headers)

        assert (resend.status_code, revoke.status_code) == (404, 404)
        assert resend.json()["code"] == "invitation-not-found"
        states = (await client.get(INVITATIONS, headers=globex.headers)).json()["items"]
        assert [(i["state"], i["send_count"]) for i in states] == [("pending", 1)]
        assert (await client.get(INVITATIONS, headers=acme.headers)).json()["items"] == []

    async def test_invitations_are_listed_in_pages_newest_first(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        created = [
            (await identity.invite(owner, f"p{i}@example.org", "viewer"))["id"] for i in range(5)
        ]
        seen: list[str] = []
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = (await client.get(INVITATIONS, headers=owner.headers, params=params)).json()
            seen += [i["id"] for i in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == list(reversed(created))
