"""Factories for identity tests: sign-ups, logins, members, API keys, all through HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from httpx import AsyncClient

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


class Identity:
    def __init__(self, client: AsyncClient) -> None:
        self.client = client
        self._counter = 0

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

    async def member(self, admin: Account, role: str, email: str | None = None) -> Account:
        """Add a member with a password through the API and log them in."""
        email = email or self.unique_email(role)
        response = await self.client.post(
            "/api/v1/users",
            headers=admin.headers,
            json={
                "email": email,
                "full_name": f"{role.title()} Member",
                "role": role,
                "password": PASSWORD,
            },
        )
        assert response.status_code == 201, response.text
        tokens = await self.login(email, tenant=admin.tenant_slug)
        return Account(
            email=email,
            password=PASSWORD,
            user_id=response.json()["id"],
            tenant_id=admin.tenant_id,
            tenant_slug=admin.tenant_slug,
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


@pytest.fixture
def identity(client: AsyncClient) -> Identity:
    return Identity(client)
