"""Factories for identity tests: sign-ups, logins, members, API keys, all through HTTP.

Members join as people do: an administrator invites them, they follow the e-mailed link
(read from the outbox) and accept, choosing a password (or giving their account's)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from httpx import AsyncClient

from tests.conftest import Outbox

PASSWORD = "correct horse battery staple"


@dataclass
class Account:
    """A logged-in user in one tenant."""

    email: str
    password: str
    user_id: str
    tenant_id: str
    tenant_slug: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


INVITATION_MAIL = "identity.invitation"


class Identity:
    def __init__(self, client: AsyncClient, outbox: Outbox | None = None) -> None:
        self.client = client
        self._outbox = outbox
        self._counter = 0

    @property
    def outbox(self) -> Outbox:
        assert self._outbox is not None, "Identity(client, outbox) to follow mailed links"
        return self._outbox

    def unique_email(self, hint: str = "user") -> str:
        self._counter += 1
        return f"{hint}-{self._counter}@example.org"

    async def signup(self, organization: str = "Acme", email: str | None = None) -> Account:
        email = email or self.unique_email("owner")
        response = await self.client.post(
            "/api/v1/auth/signup",
            json={
                "organization": organization,
                "email": email,
                "password": PASSWORD,
                "full_name": "Olive Owner",
            },
        )
        assert response.status_code == 201, response.text
        body = response.json()
        return Account(
            email=email,
            password=PASSWORD,
            user_id=body["user"]["id"],
            tenant_id=body["tenant"]["id"],
            tenant_slug=body["tenant"]["slug"],
            access_token=body["access_token"],
            refresh_token=body["refresh_token"],
        )

    async def login(
        self, email: str, password: str = PASSWORD, tenant: str | None = None
    ) -> dict[str, Any]:
        form = {"username": email, "password": password}
        if tenant:
            form["tenant"] = tenant
        response = await self.client.post("/api/v1/auth/token", data=form)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def invite(self, admin: Account, email: str, role: str) -> dict[str, Any]:
        response = await self.client.post(
            "/api/v1/invitations", headers=admin.headers, json={"email": email, "role": role}
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def accept(
        self, email: str, *, password: str = PASSWORD, full_name: str | None = None
    ) -> dict[str, Any]:
        """Follow the newest invitation mailed to ``email`` and accept it."""
        token = await self.outbox.token(email, INVITATION_MAIL)
        body: dict[str, Any] = {"token": token, "password": password}
        if full_name is not None:
            body["full_name"] = full_name
        response = await self.client.post("/api/v1/auth/invitations/accept", json=body)
        assert response.status_code == 200, response.text
        accepted: dict[str, Any] = response.json()
        return accepted

    async def member(self, admin: Account, role: str, email: str | None = None) -> Account:
        """A new person invited by ``admin`` who accepted, choosing a password."""
        email = email or self.unique_email(role)
        await self.invite(admin, email, role)
        tokens = await self.accept(email, full_name=f"{role.title()} Member")
        return await self._account(email, tokens)

    async def join(self, existing: Account, admin: Account, role: str) -> Account:
        """An existing account invited into ``admin``'s organization, accepting with its
        own password; returns it as logged in there."""
        await self.invite(admin, existing.email, role)
        tokens = await self.accept(existing.email, password=existing.password)
        return await self._account(existing.email, tokens)

    async def _account(self, email: str, tokens: dict[str, Any]) -> Account:
        me = await self.client.get("/api/v1/me", headers=bearer(tokens["access_token"]))
        assert me.status_code == 200, me.text
        return Account(
            email=email,
            password=PASSWORD,
            user_id=me.json()["user"]["id"],
            tenant_id=tokens["tenant"]["id"],
            tenant_slug=tokens["tenant"]["slug"],
            access_token=tokens["access_token"],
            refresh_token=tokens["refresh_token"],
        )

    async def api_key(self, admin: Account, role: str, name: str = "integration") -> dict[str, Any]:
        response = await self.client.post(
            "/api/v1/api-keys", headers=admin.headers, json={"name": name, "role": role}
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body
