"""Members of a tenant: listing, role changes and removal, with the rules that nobody
grants or manages a role above their own and the last owner always stays. (Joining is by
invitation: test_invitations.py.)"""

from __future__ import annotations

import asyncio
from typing import Any

from httpx import AsyncClient, Response

from tests.builders import problem
from tests.identity.conftest import PASSWORD, Account, Identity

USERS = "/api/v1/users"


async def change_role(client: AsyncClient, actor: Account, user_id: str, role: str) -> Response:
    return await client.patch(f"{USERS}/{user_id}", headers=actor.headers, json={"role": role})


async def roles_by_email(client: AsyncClient, actor: Account) -> dict[str, str]:
    response = await client.get(USERS, headers=actor.headers, params={"limit": 500})
    assert response.status_code == 200, response.text
    return {m["email"]: m["role"] for m in response.json()["items"]}


async def login_status(client: AsyncClient, email: str, password: str, tenant: str) -> int:
    response = await client.post(
        "/api/v1/auth/token", data={"username": email, "password": password, "tenant": tenant}
    )
    return response.status_code


class TestListMembers:
    async def test_members_are_served_in_pages_without_duplicates(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        for index in range(5):
            await identity.member(owner, "viewer", email=f"member-{index}@example.org")

        pages: list[list[dict[str, Any]]] = []
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 2}
            if cursor:
                params["cursor"] = cursor
            response = await client.get(USERS, headers=owner.headers, params=params)
            assert response.status_code == 200, response.text
            body = response.json()
            pages.append(body["items"])
            cursor = body["next_cursor"]
            if cursor is None:
                break
            assert len(pages) < 10, "pagination does not terminate"

        assert [len(page) for page in pages] == [2, 2, 2]
        emails = [m["email"] for page in pages for m in page]
        assert len(set(emails)) == 6
        assert set(emails) == {owner.email} | {f"member-{i}@example.org" for i in range(5)}
        assert emails[0] == owner.email  # oldest first
        first = pages[0][0]
        assert set(first) == {"id", "email", "full_name", "role", "joined_at"}
        assert (first["id"], first["role"]) == (owner.user_id, "owner")

    async def test_bad_cursor_is_a_client_error(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")

        for cursor in ("not-a-cursor", "WyJ4Il0", "WyJ4IiwieSJd"):  # garbage, ["x"], ["x","y"]
            response = await client.get(USERS, headers=owner.headers, params={"cursor": cursor})
            assert response.status_code == 400, (cursor, response.text)
            assert response.json()["code"] == "invalid-cursor"

    async def test_viewer_may_list_members(self, client: AsyncClient, identity: Identity) -> None:
        owner = await identity.signup("Acme")
        viewer = await identity.member(owner, "viewer")

        assert await roles_by_email(client, viewer) == {
            owner.email: "owner",
            viewer.email: "viewer",
        }


class TestChangeRole:
    async def test_admin_changes_a_members_role(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        admin = await identity.member(owner, "admin")
        member = await identity.member(owner, "staff")

        response = await change_role(client, admin, member.user_id, "manager")

        assert response.status_code == 200, response.text
        assert response.json()["role"] == "manager"
        assert (await roles_by_email(client, owner))[member.email] == "manager"

    async def test_admin_cannot_promote_to_owner(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        admin = await identity.member(owner, "admin")
        member = await identity.member(owner, "staff")

        response = await change_role(client, admin, member.user_id, "owner")

        assert response.status_code == 403
        assert response.json()["code"] == "role-above-own"
        assert (await roles_by_email(client, owner))[member.email] == "staff"

    async def test_admin_cannot_promote_themselves(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        admin = await identity.member(owner, "admin")

        response = await change_role(client, admin, admin.user_id, "owner")

        problem(response, 403, "role-above-own")
        assert (await roles_by_email(client, owner))[admin.email] == "admin"

    async def test_admin_cannot_change_an_owner(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        second_owner = await identity.member(owner, "owner")
        admin = await identity.member(owner, "admin")

        response = await change_role(client, admin, second_owner.user_id, "viewer")

        assert response.status_code == 403
        assert response.json()["code"] == "role-above-own"
        assert (await roles_by_email(client, owner))[second_owner.email] == "owner"

    async def test_last_owner_cannot_be_demoted(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")

        response = await change_role(client, owner, owner.user_id, "admin")

        assert response.status_code == 409
        assert response.json()["code"] == "last-owner"
        assert (await roles_by_email(client, owner))[owner.email] == "owner"

    async def test_owner_can_step_down_once_another_owner_exists(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        successor = await identity.member(owner, "admin")
        assert (await change_role(client, owner, successor.user_id, "owner")).status_code == 200

        response = await change_role(client, owner, owner.user_id, "admin")

        assert response.status_code == 200, response.text
        # Both role changes revoked the tokens issued with the old roles: log in again.
        relogged = await identity.login(successor.email, tenant=owner.tenant_slug)
        again = Account(**{**vars(successor), "access_token": relogged["access_token"]})
        assert await roles_by_email(client, again) == {
            owner.email: "admin",
            successor.email: "owner",
        }

    async def test_setting_the_same_role_changes_nothing(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")

        response = await change_role(client, owner, owner.user_id, "owner")

        assert response.status_code == 200
        assert response.json()["role"] == "owner"

    async def test_unknown_member_is_not_found(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        stranger = await identity.signup("Globex")

        unknown = await change_role(client, owner, "01900000-0000-7000-8000-000000000000", "viewer")
        other_tenant = await change_role(client, owner, stranger.user_id, "viewer")

        assert unknown.status_code == other_tenant.status_code == 404
        assert unknown.json()["code"] == other_tenant.json()["code"] == "member-not-found"

    async def test_body_may_carry_only_the_role(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        member = await identity.member(owner, "staff")

        response = await client.patch(
            f"{USERS}/{member.user_id}",
            headers=owner.headers,
            json={"role": "viewer", "email": "hijack@example.org"},
        )

        problem(response, 422, "validation-failed")
        assert (await roles_by_email(client, owner))[member.email] == "staff"

    async def test_two_owners_demoting_each_other_at_once_leave_exactly_one_owner(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        first = await identity.signup("Acme")
        second = await identity.member(first, "owner")

        responses = await asyncio.gather(
            change_role(client, first, second.user_id, "admin"),
            change_role(client, second, first.user_id, "admin"),
        )

        # The loser is refused: by the last-owner rule, or — if the winner committed before
        # the loser's request began — because the winner's change revoked its token.
        winner = next(r for r in responses if r.status_code == 200)
        loser = next(r for r in responses if r is not winner)
        assert (loser.status_code, loser.json()["code"]) in {
            (409, "last-owner"),
            (401, "token-revoked"),
        }, [r.text for r in responses]
        survivor = first if winner.json()["id"] == second.user_id else second
        relogged = await identity.login(survivor.email, tenant=first.tenant_slug)
        as_survivor = Account(**{**vars(survivor), "access_token": relogged["access_token"]})
        roles = await roles_by_email(client, as_survivor)
        assert sorted(roles.values()) == ["admin", "owner"]


class TestRemoveMember:
    async def test_removed_member_disappears_and_their_refresh_token_stops_working(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        member = await identity.member(owner, "staff")

        response = await client.delete(f"{USERS}/{member.user_id}", headers=owner.headers)

        assert response.status_code == 204
        assert member.email not in await roles_by_email(client, owner)
        refresh = await client.post(
            "/api/v1/auth/refresh", json={"refresh_token": member.refresh_token}
        )
        problem(refresh, 401, "invalid-refresh-token")
        assert await login_status(client, member.email, PASSWORD, owner.tenant_slug) == 404

    async def test_re_adding_a_removed_member_does_not_revive_their_old_refresh_token(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        member = await identity.member(owner, "staff")
        removed = await client.delete(f"{USERS}/{member.user_id}", headers=owner.headers)
        assert removed.status_code == 204

        await identity.invite(owner, member.email, "staff")
        await identity.accept(member.email, password=member.password)

        refresh = await client.post(
            "/api/v1/auth/refresh", json={"refresh_token": member.refresh_token}
        )
        problem(refresh, 401, "invalid-refresh-token")
        assert await login_status(client, member.email, PASSWORD, owner.tenant_slug) == 200

    async def test_removal_keeps_the_users_sessions_in_other_tenants(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        acme = await identity.signup("Acme")
        globex = await identity.signup("Globex", email="gina@example.org")
        await identity.join(globex, acme, "staff")
        in_acme = await identity.login(globex.email, tenant=acme.tenant_slug)

        assert (
            await client.delete(f"{USERS}/{globex.user_id}", headers=acme.headers)
        ).status_code == 204

        revoked = await client.post(
            "/api/v1/auth/refresh", json={"refresh_token": in_acme["refresh_token"]}
        )
        kept = await client.post(
            "/api/v1/auth/refresh", json={"refresh_token": globex.refresh_token}
        )
        problem(revoked, 401, "invalid-refresh-token")
        assert kept.status_code == 200, kept.text

    async def test_admin_cannot_remove_an_owner(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        admin = await identity.member(owner, "admin")

        response = await client.delete(f"{USERS}/{owner.user_id}", headers=admin.headers)

        assert response.status_code == 403
        assert response.json()["code"] == "role-above-own"
        assert (await roles_by_email(client, owner))[owner.email] == "owner"

    async def test_last_owner_cannot_be_removed(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")

        response = await client.delete(f"{USERS}/{owner.user_id}", headers=owner.headers)

        assert response.status_code == 409
        assert response.json()["code"] == "last-owner"

    async def test_an_owner_can_be_removed_while_another_remains(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        other = await identity.member(owner, "owner")

        response = await client.delete(f"{USERS}/{other.user_id}", headers=owner.headers)

        assert response.status_code == 204
        assert await roles_by_email(client, owner) == {owner.email: "owner"}

    async def test_unknown_member_is_not_found(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup("Acme")
        stranger = await identity.signup("Globex")

        unknown = await client.delete(
            f"{USERS}/01900000-0000-7000-8000-000000000000", headers=owner.headers
        )
        other_tenant = await client.delete(f"{USERS}/{stranger.user_id}", headers=owner.headers)

        problem(unknown, 404, "member-not-found")
        problem(other_tenant, 404, "member-not-found")
        assert (await roles_by_email(client, stranger)) == {stranger.email: "owner"}

    async def test_two_owners_removing_each_other_at_once_leave_exactly_one_owner(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        first = await identity.signup("Acme")
        second = await identity.member(first, "owner")

        responses = await asyncio.gather(
            client.delete(f"{USERS}/{second.user_id}", headers=first.headers),
            client.delete(f"{USERS}/{first.user_id}", headers=second.headers),
        )

        statuses = sorted(r.status_code for r in responses)
        assert statuses in ([204, 409], [204, 401]), [r.text for r in responses]
        survivor = first if responses[0].status_code == 204 else second
        assert await roles_by_email(client, survivor) == {survivor.email: "owner"}
