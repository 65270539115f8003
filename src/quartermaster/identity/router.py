"""Identity HTTP API: /auth/*, /me, /users, /api-keys, /audit-log."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request, Response, status
from fastapi.responses import JSONResponse

from quartermaster.core.db import SessionDep
from quartermaster.core.deps import (
    ClientInfoDep,
    PasswordHasherDep,
    RedisDep,
    SettingsDep,
)
from quartermaster.core.errors import render_app_error
from quartermaster.core.pagination import Page, PageParamsDep
from quartermaster.identity.dependencies import Authenticated, require
from quartermaster.identity.permissions import Permission
from quartermaster.identity.principal import Principal
from quartermaster.identity.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    AuditEventRead,
    MemberCreate,
    MemberRead,
    MemberUpdate,
    MeOut,
    RefreshIn,
    SignupIn,
    SignupOut,
    SwitchTenantIn,
    TokenPair,
)
from quartermaster.identity.service import api_keys, audit, auth, members
from quartermaster.identity.throttle import LoginThrottle

MembersRead = Annotated[Principal, Depends(require(Permission.MEMBERS_READ))]
MembersWrite = Annotated[Principal, Depends(require(Permission.MEMBERS_WRITE))]
ApiKeysRead = Annotated[Principal, Depends(require(Permission.API_KEYS_READ))]
ApiKeysWrite = Annotated[Principal, Depends(require(Permission.API_KEYS_WRITE))]
AuditRead = Annotated[Principal, Depends(require(Permission.AUDIT_READ))]

router = APIRouter()
auth_router = APIRouter(prefix="/auth", tags=["auth"])
users_router = APIRouter(prefix="/users", tags=["users"])
keys_router = APIRouter(prefix="/api-keys", tags=["api-keys"])
audit_router = APIRouter(prefix="/audit-log", tags=["audit"])


async def _context(
    settings: SettingsDep, hasher: PasswordHasherDep, client: ClientInfoDep
) -> auth.AuthContext:
    return auth.AuthContext(settings=settings, hasher=hasher, client=client)


AuthContextDep = Annotated[auth.AuthContext, Depends(_context)]


def _respond(request: Request, result: TokenPair | auth.Refused) -> TokenPair | Response:
    if isinstance(result, auth.Refused):
        return render_app_error(request, result.error)
    return result


@auth_router.post(
    "/signup",
    status_code=status.HTTP_201_CREATED,
    response_model=SignupOut,
    summary="Create an organization and its owner, and log in",
    responses={409: {"description": "The e-mail address is registered; log in instead"}},
)
async def signup(data: SignupIn, session: SessionDep, ctx: AuthContextDep) -> SignupOut:
    return await auth.signup(session, ctx, data)


@auth_router.post(
    "/token",
    response_model=TokenPair,
    summary="Log in with e-mail and password (OAuth2 password form)",
    responses={401: {"description": "Wrong e-mail or password"}, 429: {"description": "Throttled"}},
)
async def token(
    request: Request,
    session: SessionDep,
    ctx: AuthContextDep,
    redis: RedisDep,
    username: Annotated[str, Form(description="The e-mail address", max_length=320)],
    password: Annotated[str, Form(max_length=256)],
    tenant: Annotated[
        str | None, Form(description="Organization slug, for members of several")
    ] = None,
) -> TokenPair | Response:
    throttle = LoginThrottle(
        redis,
        max_failures=ctx.settings.login_max_failures,
        window_seconds=ctx.settings.login_failure_window_seconds,
    )
    result = await auth.login(
        session, ctx, throttle, email=username, password=password, tenant_slug=tenant or None
    )
    return _respond(request, result)


@auth_router.post(
    "/refresh",
    response_model=TokenPair,
    summary="Exchange a refresh token for a new pair (the old one stops working)",
    responses={401: {"description": "Invalid, expired, revoked or replayed refresh token"}},
)
async def refresh(
    request: Request, data: RefreshIn, session: SessionDep, ctx: AuthContextDep
) -> TokenPair | Response:
    return _respond(request, await auth.refresh(session, ctx, data.refresh_token))


@auth_router.post(
    "/logout", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke a refresh token's session"
)
async def logout(data: RefreshIn, session: SessionDep, ctx: AuthContextDep) -> Response:
    await auth.logout(session, ctx, data.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@auth_router.post(
    "/switch-tenant",
    response_model=TokenPair,
    summary="A token pair for another organization you belong to",
)
async def switch_tenant(
    data: SwitchTenantIn, principal: Authenticated, session: SessionDep, ctx: AuthContextDep
) -> TokenPair:
    return await auth.switch_tenant(session, ctx, principal, data.tenant_id)


@router.get(
    "/me", response_model=MeOut, tags=["auth"], summary="Who am I, where, with which rights"
)
async def me(principal: Authenticated, session: SessionDep) -> MeOut:
    return await auth.me(session, principal)


@users_router.get("", response_model=Page[MemberRead], summary="Members of this organization")
async def list_users(
    principal: MembersRead, session: SessionDep, page: PageParamsDep
) -> Page[MemberRead]:
    return await members.list_members(session, principal, page)


@users_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=MemberRead,
    summary="Add a member (creates the user if new)",
)
async def add_user(
    data: MemberCreate,
    principal: MembersWrite,
    session: SessionDep,
    hasher: PasswordHasherDep,
    client: ClientInfoDep,
    response: Response,
) -> MemberRead:
    member = await members.add_member(session, hasher, client, principal, data)
    response.headers["Location"] = f"/api/v1/users/{member.id}"
    return member


@users_router.patch("/{user_id}", response_model=MemberRead, summary="Change a member's role")
async def update_user(
    user_id: uuid.UUID,
    data: MemberUpdate,
    principal: MembersWrite,
    session: SessionDep,
    client: ClientInfoDep,
) -> MemberRead:
    return await members.change_role(session, client, principal, user_id, data.role)


@users_router.delete(
    "/{user_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a member"
)
async def remove_user(
    user_id: uuid.UUID, principal: MembersWrite, session: SessionDep, client: ClientInfoDep
) -> Response:
    await members.remove_member(session, client, principal, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@keys_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ApiKeyCreated,
    summary="Create an API key (the key is shown only in this response)",
)
async def create_api_key(
    data: ApiKeyCreate,
    principal: ApiKeysWrite,
    session: SessionDep,
    client: ClientInfoDep,
    response: Response,
) -> ApiKeyCreated:
    created = await api_keys.create_api_key(session, client, principal, data)
    response.headers["Location"] = f"/api/v1/api-keys/{created.id}"
    response.headers["Cache-Control"] = "no-store"
    return created


@keys_router.get(
    "", response_model=Page[ApiKeyRead], summary="API keys, newest first (never their secrets)"
)
async def list_api_keys(
    principal: ApiKeysRead, session: SessionDep, page: PageParamsDep
) -> Page[ApiKeyRead]:
    return await api_keys.list_api_keys(session, principal, page)


@keys_router.delete(
    "/{key_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke an API key"
)
async def revoke_api_key(
    key_id: uuid.UUID, principal: ApiKeysWrite, session: SessionDep, client: ClientInfoDep
) -> Response:
    await api_keys.revoke_api_key(session, client, principal, key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@audit_router.get("", response_model=Page[AuditEventRead], summary="The audit log, newest first")
async def audit_log(
    principal: AuditRead,
    session: SessionDep,
    page: PageParamsDep,
    action: Annotated[str | None, Query(max_length=80, description="e.g. member.added")] = None,
    actor_id: Annotated[uuid.UUID | None, Query()] = None,
) -> Page[AuditEventRead]:
    return await audit.list_events(session, principal, page, action=action, actor_id=actor_id)


# The app includes each of these at /api/v1 (one level of routers).
routers = [router, auth_router, users_router, keys_router, audit_router]

__all__ = ["JSONResponse", "router", "routers"]
