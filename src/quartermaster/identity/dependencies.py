"""Authentication and authorization as typed dependencies.

Routes declare what they need in their signature::

    StockWrite = Annotated[Principal, Depends(require(Permission.STOCK_WRITE))]

    @router.post("/stock/movements")
    async def record_movement(principal: StockWrite, session: SessionDep) -> ...

Authenticating scopes the request's transaction to the caller's tenant (the first
statement of the transaction), so every later query runs under row-level security.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

import structlog
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.db import SessionDep
from quartermaster.core.responses import can_refuse
from quartermaster.core.security import InvalidToken
from quartermaster.core.urls import API
from quartermaster.identity import repository
from quartermaster.identity.errors import Forbidden, Unauthenticated
from quartermaster.identity.permissions import Permission
from quartermaster.identity.principal import Principal
from quartermaster.identity.service.api_keys import api_key_still_valid, authenticate_api_key
from quartermaster.identity.tokens import API_KEY_PREFIX, read_access_token

# OAuth2 password flow, so the "Authorize" button of /docs can log in; API keys are sent
# the same way (Authorization: Bearer qm_…).
bearer = OAuth2PasswordBearer(tokenUrl=f"{API}/auth/token", auto_error=False)


@dataclass(frozen=True)
class Credential:
    """Who a bearer token stands for, and until when (access tokens expire; API keys are
    checked when presented)."""

    principal: Principal
    expires_at: datetime | None


async def authenticate_token(session: AsyncSession, secret_key: str, token: str) -> Credential:
    """Verify an access token or API key and scope ``session``'s transaction to its tenant
    (an API key is looked up under its tenant's row-level security). Raises
    :class:`Unauthenticated`. For callers outside a request's dependencies: WebSockets,
    event streams."""
    if token.startswith(API_KEY_PREFIX):
        principal = await authenticate_api_key(session, token)
        if principal is None:
            raise Unauthenticated(
                "The API key is invalid, revoked or expired.", code="invalid-api-key"
            )
        return Credential(principal=principal, expires_at=None)
    try:
        claims = read_access_token(secret_key, token)
    except InvalidToken as exc:
        raise Unauthenticated(
            f"The access token is not valid: {exc}.", code="invalid-token"
        ) from exc
    principal = Principal(
        kind="user",
        id=claims.user_id,
        tenant_id=claims.tenant_id,
        role=claims.role,
        label=claims.email or str(claims.user_id),
        version=claims.version,
    )
    await ensure_current(session, principal)
    return Credential(principal=principal, expires_at=claims.expires_at)


async def ensure_current(session: AsyncSession, principal: Principal) -> None:
    """Scope the transaction to the principal's tenant and check that it still holds: a
    user's membership exists with the token's version (a removal, role change or password
    change revokes older tokens at once); an API key is looked up again (not revoked,
    not expired). Raises :class:`Unauthenticated`."""
    if principal.kind == "api_key":
        if await api_key_still_valid(session, principal) is None:
            raise Unauthenticated(
                "The API key is invalid, revoked or expired.", code="invalid-api-key"
            )
        return
    version = await repository.enter_as_member(session, principal.tenant_id, principal.id)
    if version is None:
        raise Unauthenticated(
            "You are no longer a member of this organization.", code="token-revoked"
        )
    if version != principal.version:
        raise Unauthenticated(
            "This access token was revoked (a role or password changed); refresh it or log "
            "in again.",
            code="token-revoked",
        )


@can_refuse(401)
async def authenticate(
    request: Request,
    session: SessionDep,
    token: Annotated[str | None, Depends(bearer)],
) -> Principal:
    if not token:
        raise Unauthenticated(
            "Authentication required: send 'Authorization: Bearer <access token or API key>'."
        )
    # The settings from the app rather than as a dependency: this runs on every request.
    settings = request.app.state.settings
    credential = await authenticate_token(session, settings.secret_key.get_secret_value(), token)
    principal = credential.principal
    request.state.tenant_id = principal.tenant_id
    structlog.contextvars.bind_contextvars(tenant_id=str(principal.tenant_id))
    return principal


def require(permission: Permission) -> Callable[..., Awaitable[Principal]]:
    """A dependency that authenticates and insists on one permission (403 otherwise)."""

    @can_refuse(401, 403)
    async def dependency(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if not principal.can(permission):
            raise Forbidden(
                f"This needs the '{permission.value}' permission, which the role "
                f"'{principal.role.value}' does not have.",
                code="permission-denied",
            )
        return principal

    dependency.required_permission = permission  # type: ignore[attr-defined]
    dependency.__name__ = f"require_{permission.name.lower()}"
    return dependency


Authenticated = Annotated[Principal, Depends(authenticate)]
