"""Every route is authenticated unless it is on a short allow-list, and each permission
level lets in exactly the roles at or above it, for users and API keys alike."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts
from httpx import AsyncClient

from quartermaster.core.settings import Settings
from quartermaster.identity.dependencies import authenticate
from quartermaster.identity.permissions import Role
from quartermaster.identity.tokens import issue_access_token
from tests.identity.conftest import Account, Identity, bearer

# Routes anyone may call: probes, API docs, and the ways to obtain or drop credentials.
PUBLIC_ROUTES = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("ANY", "/docs/assets"),  # Swagger UI's packaged files (webapp.py)
    ("GET", "/api/v1/openapi.json"),
    ("POST", "/api/v1/auth/signup"),
    ("POST", "/api/v1/auth/token"),
    ("POST", "/api/v1/auth/refresh"),
    ("POST", "/api/v1/auth/logout"),
    # Accounts: a reset link by e-mail, and what the e-mailed links' tokens open.
    ("POST", "/api/v1/auth/password-reset"),
    ("POST", "/api/v1/auth/password-reset/confirm"),
    ("POST", "/api/v1/auth/invitations/preview"),
    ("POST", "/api/v1/auth/invitations/accept"),
    # The requester's CSAT rating link: the token in the path is the credential.
    ("GET", "/api/v1/csat/{token}"),
    ("POST", "/api/v1/csat/{token}"),
    # The knowledge base's public help pages: published, public articles only.
    ("GET", "/api/v1/public/{tenant_slug}/collections"),
    ("GET", "/api/v1/public/{tenant_slug}/articles"),
    ("GET", "/api/v1/public/{tenant_slug}/articles/{slug}"),
    ("GET", "/api/v1/public/{tenant_slug}/search"),
}

# Lowest to highest, written out here rather than read from the code under test.
ROLES = ["viewer", "staff", "manager", "admin", "owner"]


def _is_auth_dependency(call: Any) -> bool:
    return call is authenticate or hasattr(call, "required_permission")


def _requires_auth(dependant: Dependant) -> bool:
    return any(
        _is_auth_dependency(dep.call) or _requires_auth(dep) for dep in dependant.dependencies
    )


def _operations(app: FastAPI) -> list[tuple[str, str, Dependant | None]]:
    """(method, full path, dependency tree) of every route the app serves, routes of
    included routers too, with their router-level dependencies."""
    operations = []
    for route in iter_route_contexts(app.routes):
        methods = set(route.methods or {"ANY"})
        if "GET" in methods:
            methods.discard("HEAD")  # answered by the GET endpoint, with its dependencies
        dependant = getattr(route, "dependant", None)
        operations.extend((method, str(route.path), dependant) for method in sorted(methods))
    return operations


class TestEveryRouteIsAuthenticated:
    def test_every_route_off_the_allow_list_has_an_authentication_dependency(
        self, app: FastAPI
    ) -> None:
        operations = _operations(app)
        offenders = [
            f"{method} {path}"
            for method, path, dependant in operations
            if (method, path) not in PUBLIC_ROUTES
            and (dependant is None or not _requires_auth(dependant))
        ]
        assert offenders == [], "routes without authentication:\n" + "\n".join(offenders)

        checked = {(m, p) for m, p, _ in operations} - PUBLIC_ROUTES
        # Not vacuous: routes of included routers, nested two levels deep, were walked.
        assert {
            ("GET", "/api/v1/me"),
            ("GET", "/api/v1/users"),
            ("DELETE", "/api/v1/api-keys/{key_id}"),
            ("POST", "/api/v1/auth/switch-tenant"),
        } <= checked

    def test_every_allow_list_entry_is_a_route_that_exists(self, app: FastAPI) -> None:
        served = {(method, path) for method, path, _ in _operations(app)}
        assert PUBLIC_ROUTES - served == set()

    def test_the_walk_recognises_an_unauthenticated_route(self, app: FastAPI) -> None:
        """The check above would pass vacuously if no route could ever be an offender."""
        trees = {(m, p): d for m, p, d in _operations(app)}
        signup = trees[("POST", "/api/v1/auth/signup")]
        users = trees[("GET", "/api/v1/users")]
        assert signup is not None
        assert not _requires_auth(signup)
        assert users is not None
        assert _requires_auth(users)


# (method, path, body, lowest role allowed, status on success)
ROUTES: dict[str, tuple[str, str, dict[str, Any] | None, str, int]] = {
    "list-members": ("GET", "/api/v1/users", None, "viewer", 200),
    "invite-member": (
        "POST",
        "/api/v1/invitations",
        {"email": "newcomer@example.org", "role": "viewer"},
        "admin",
        201,
    ),
    "read-mail-outbox": ("GET", "/api/v1/mail/outbox", None, "admin", 200),
    "read-audit-log": ("GET", "/api/v1/audit-log", None, "admin", 200),
    "create-api-key": (
        "POST",
        "/api/v1/api-keys",
        {"name": "probe", "role": "viewer"},
        "admin",
        201,
    ),
}

ALLOWED = [
    pytest.param(route, role, id=f"{route}-{role}")
    for route, (_, _, _, lowest, _) in ROUTES.items()
    for role in ROLES
    if ROLES.index(role) >= ROLES.index(lowest)
]
DENIED = [
    pytest.param(route, role, id=f"{route}-{role}")
    for route, (_, _, _, lowest, _) in ROUTES.items()
    for role in ROLES
    if ROLES.index(role) < ROLES.index(lowest)
]


async def _caller(identity: Identity, owner: Account, role: str, kind: str) -> dict[str, str]:
    """Credentials of one role in the owner's tenant: a member's access token or an API key."""
    if kind == "api_key":
        return bearer((await identity.api_key(owner, role, name=f"{role} key"))["key"])
    if role == "owner":
        return owner.headers
    return (await identity.member(owner, role)).headers


async def _tenant_state(client: AsyncClient, owner: Account) -> tuple[set[str], set[str]]:
    users = (await client.get("/api/v1/users", headers=owner.headers)).json()["items"]
    keys = (await client.get("/api/v1/api-keys", headers=owner.headers)).json()["items"]
    return {u["id"] for u in users}, {k["id"] for k in keys if k["revoked_at"] is None}


@pytest.mark.parametrize("kind", ["user", "api_key"])
class TestEachPermissionLevel:
    @pytest.mark.parametrize(("route", "role"), ALLOWED)
    async def test_roles_at_or_above_the_routes_level_are_allowed(
        self, client: AsyncClient, identity: Identity, route: str, role: str, kind: str
    ) -> None:
        method, path, body, _, success = ROUTES[route]
        owner = await identity.signup()
        headers = await _caller(identity, owner, role, kind)
        response = await client.request(method, path, headers=headers, json=body)
        assert response.status_code == success, response.text

    @pytest.mark.parametrize(("route", "role"), DENIED)
    async def test_roles_below_the_routes_level_are_forbidden_and_change_nothing(
        self, client: AsyncClient, identity: Identity, route: str, role: str, kind: str
    ) -> None:
        method, path, body, _, _ = ROUTES[route]
        owner = await identity.signup()
        headers = await _caller(identity, owner, role, kind)
        before = await _tenant_state(client, owner)
        response = await client.request(method, path, headers=headers, json=body)
        assert response.status_code == 403, response.text
        problem = response.json()
        assert problem["code"] == "permission-denied"
        assert f"'{role}'" in problem["detail"]
        assert await _tenant_state(client, owner) == before


class TestUnauthenticatedCallers:
    @pytest.mark.parametrize("route", ROUTES)
    async def test_no_credentials_is_401_with_a_bearer_challenge(
        self, client: AsyncClient, route: str
    ) -> None:
        method, path, body, _, _ = ROUTES[route]
        response = await client.request(method, path, json=body)
        assert response.status_code == 401, response.text
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert response.json()["code"] == "unauthenticated"

    async def test_a_garbage_token_is_401_invalid_token(self, client: AsyncClient) -> None:
        response = await client.get("/api/v1/users", headers=bearer("not-a-jwt"))
        assert response.status_code == 401, response.text
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert response.json()["code"] == "invalid-token"

    async def test_a_garbage_api_key_is_401_invalid_api_key(self, client: AsyncClient) -> None:
        response = await client.get("/api/v1/users", headers=bearer("qm_" + "0" * 128))
        assert response.status_code == 401, response.text
        assert response.json()["code"] == "invalid-api-key"

    async def test_an_expired_access_token_is_401_and_says_it_expired(
        self, client: AsyncClient, identity: Identity, settings: Settings
    ) -> None:
        owner = await identity.signup()
        expired = issue_access_token(
            settings.secret_key.get_secret_value(),
            user_id=uuid.UUID(owner.user_id),
            email=owner.email,
            tenant_id=uuid.UUID(owner.tenant_id),
            role=Role.OWNER,
            ttl=timedelta(seconds=-1),
        )
        response = await client.get("/api/v1/users", headers=bearer(expired))
        assert response.status_code == 401, response.text
        assert response.json()["code"] == "invalid-token"
        assert "expired" in response.json()["detail"]

    async def test_an_access_token_signed_with_another_key_is_401(
        self, client: AsyncClient, identity: Identity
    ) -> None:
        owner = await identity.signup()
        forged = issue_access_token(
            "another-secret-key-that-is-long-enough-0123456789",
            user_id=uuid.UUID(owner.user_id),
            email=owner.email,
            tenant_id=uuid.UUID(owner.tenant_id),
            role=Role.OWNER,
            ttl=timedelta(minutes=5),
        )
        response = await client.get("/api/v1/users", headers=bearer(forged))
        assert response.status_code == 401, response.text
        assert response.json()["code"] == "invalid-token"
