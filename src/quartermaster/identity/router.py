"""Identity HTTP API: /auth/*, /me, /users, /api-keys, /audit-log."""

from __future__ import annotations

import uuid
from typing import Annotated, TypeVar

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
from quartermaster.core.responses import CONFLICT, NOT_FOUND
from quartermaster.core.urls import API
from quartermaster.identity.dependencies import Authenticated, require
from quartermaster.identity.permissions import Permission
from quartermaster.identity.principal import Principal
from quartermaster.identity.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    AuditEventRead,
    InvitationAccept,
    InvitationCreate,
    InvitationPreview,
    InvitationRead,
    InvitationState,
    InvitationTokenIn,
    LoginOut,
    MemberRead,
    MemberUpdate,
    MeOut,
    PasswordChange,
    PasswordResetConfirm,
    PasswordResetRequest,
    PasswordResetRequested,
    RefreshIn,
    SignupIn,
    SignupOut,
    SwitchTenantIn,
    TokenPair,
)
from quartermaster.identity.service import (
    api_keys,
    audit,
    auth,
    invitations,
    members,
    passwords,
)
from quartermaster.identity.throttle import LoginThrottle

MembersRead = Annotated[Principal, Depends(require(Permission.MEMBERS_READ))]
MembersWrite = Annotated[Principal, Depends(require(Permission.MEMBERS_WRITE))]
ApiKeysRead = Annotated[Principal, Depends(require(Permission.API_KEYS_READ))]
ApiKeysWrite = Annotated[Principal, Depends(require(Permission.API_KEYS_WRITE))]
AuditRead = Annotated[Principal, Depends(require(Permission.AUDIT_READ))]

router = APIRouter()
auth_router = APIRouter(prefix="/auth", tags=["auth"])
users_router = APIRouter(prefix="/users", tags=["users"])
invitations_router = APIRouter(prefix="/invitations", tags=["invitations"])
keys_router = APIRouter(prefix="/api-keys", tags=["api-keys"])
audit_router = APIRouter(prefix="/audit-log", tags=["audit"])


async def _context(
    settings: SettingsDep, hasher: PasswordHasherDep, client: ClientInfoDep
) -> auth.AuthContext:
    return auth.AuthContext(settings=settings, hasher=hasher, client=client)


AuthContextDep = Annotated[auth.AuthContext, Depends(_context)]


T = TypeVar("T", TokenPair, LoginOut)


def _respond(request: Request, result: T | auth.Refused) -> T | Response:
    if isinstance(result, auth.Refused):
        return render_app_error(request, result.error)
    return result


async def _throttle(redis: RedisDep, settings: SettingsDep) -> LoginThrottle:
    return LoginThrottle.from_settings(redis, settings)


ThrottleDep = Annotated[LoginThrottle, Depends(_throttle)]


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
    response_model=LoginOut,
    summary="Log in with e-mail and password (OAuth2 password form)",
    responses={
        401: {"description": "Wrong e-mail or password"},
        404: {"description": "Not a member of the organization named"},
        409: {"description": "Several organizations, none named nor used last: names them"},
        429: {"description": "Throttled"},
    },
)
async def token(
    request: Request,
    session: SessionDep,
    ctx: AuthContextDep,
    throttle: ThrottleDep,
    username: Annotated[str, Form(description="The e-mail address", max_length=320)],
    password: Annotated[str, Form(max_length=256)],
    tenant: Annotated[
        str | None,
        Form(
            max_length=80,
            description="The organization's slug or id; default: the one used last (or "
            "the only one)",
        ),
    ] = None,
) -> LoginOut | Response:
    result = await auth.login(
        session, ctx, throttle, email=username, password=password, tenant=tenant or None
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
    response_model=LoginOut,
    summary="A token pair for another organization you belong to (by slug or id)",
    responses=NOT_FOUND,
)
async def switch_tenant(
    data: SwitchTenantIn, principal: Authenticated, session: SessionDep, ctx: AuthContextDep
) -> LoginOut:
    return await auth.switch_tenant(session, ctx, principal, data.target)


@auth_router.post(
    "/change-password",
    response_model=LoginOut,
    summary="Change your password (signs out every other session; new tokens for this one)",
    responses={
        401: {"description": "The current password is wrong"},
        429: {"description": "Throttled"},
    },
)
async def change_password(
    request: Request,
    data: PasswordChange,
    principal: Authenticated,
    session: SessionDep,
    ctx: AuthContextDep,
    throttle: ThrottleDep,
) -> LoginOut | Response:
    result = await passwords.change_password(
        session,
        ctx,
        throttle,
        principal,
        current_password=data.current_password,
        new_password=data.new_password,
    )
    return _respond(request, result)


@auth_router.post(
    "/password-reset",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=PasswordResetRequested,
    summary="Mail a password reset link (the answer is the same for unknown addresses)",
)
async def request_password_reset(
    data: PasswordResetRequest, session: SessionDep, ctx: AuthContextDep, redis: RedisDep
) -> PasswordResetRequested:
    detail = await passwords.request_reset(session, ctx, redis, email=str(data.email))
    return PasswordResetRequested(detail=detail)


@auth_router.post(
    "/password-reset/confirm",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Set a new password with the link's token (once; signs out everywhere)",
    responses={410: {"description": "The token is invalid, expired or used"}},
)
async def confirm_password_reset(
    data: PasswordResetConfirm, session: SessionDep, ctx: AuthContextDep
) -> Response:
    await passwords.reset_password(session, ctx, token=data.token, new_password=data.new_password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@auth_router.post(
    "/invitations/preview",
    response_model=InvitationPreview,
    summary="What an invitation offers (with its token from the e-mail)",
    responses={410: {"description": "The invitation is invalid, expired, revoked or used"}},
)
async def preview_invitation(data: InvitationTokenIn, session: SessionDep) -> InvitationPreview:
    return await invitations.preview(session, data.token)


@auth_router.post(
    "/invitations/accept",
    response_model=LoginOut,
    summary="Accept an invitation: join the organization (creating the account if new)",
    responses={
        401: {"description": "The address has an account and this is not its password"},
        410: {"description": "The invitation is invalid, expired, revoked or used"},
        429: {"description": "Throttled"},
    },
)
async def accept_invitation(
    request: Request,
    data: InvitationAccept,
    session: SessionDep,
    ctx: AuthContextDep,
    throttle: ThrottleDep,
) -> LoginOut | Response:
    return _respond(request, await invitations.accept(session, ctx, throttle, data))


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


@users_router.patch(
    "/{user_id}",
    response_model=MemberRead,
    summary="Change a member's role",
    responses=CONFLICT,
)
async def update_user(
    user_id: uuid.UUID,
    data: MemberUpdate,
    principal: MembersWrite,
    session: SessionDep,
    client: ClientInfoDep,
) -> MemberRead:
    return await members.change_role(session, client, principal, user_id, data.role)


@users_router.delete(
    "/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a member",
    responses=CONFLICT,
)
async def remove_user(
    user_id: uuid.UUID, principal: MembersWrite, session: SessionDep, client: ClientInfoDep
) -> Response:
    await members.remove_member(session, client, principal, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@invitations_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=InvitationRead,
    summary="Invite someone by e-mail; they become a member when they accept",
    responses=CONFLICT,
)
async def create_invitation(
    data: InvitationCreate,
    principal: MembersWrite,
    session: SessionDep,
    ctx: AuthContextDep,
    response: Response,
) -> InvitationRead:
    invitation = await invitations.invite(session, ctx, principal, data)
    response.headers["Location"] = f"{API}/invitations/{invitation.id}"
    return invitation


@invitations_router.get(
    "", response_model=Page[InvitationRead], summary="Invitations of this organization"
)
async def list_invitations(
    principal: MembersWrite,
    session: SessionDep,
    page: PageParamsDep,
    state: Annotated[InvitationState | None, Query()] = None,
) -> Page[InvitationRead]:
    return await invitations.list_invitations(session, principal, page, state=state)


@invitations_router.post(
    "/{invitation_id}/resend",
    response_model=InvitationRead,
    summary="Mail the invitation again with a new link (the old one stops working)",
    responses={**NOT_FOUND, **CONFLICT},
)
async def resend_invitation(
    invitation_id: uuid.UUID, principal: MembersWrite, session: SessionDep, ctx: AuthContextDep
) -> InvitationRead:
    return await invitations.resend(session, ctx, principal, invitation_id)


@invitations_router.delete(
    "/{invitation_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke an invitation (its link stops working)",
    responses={**NOT_FOUND, **CONFLICT},
)
async def revoke_invitation(
    invitation_id: uuid.UUID, principal: MembersWrite, session: SessionDep, ctx: AuthContextDep
) -> Response:
    await invitations.revoke(session, ctx, principal, invitation_id)
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
    response.headers["Location"] = f"{API}/api-keys/{created.id}"
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
routers = [router, auth_router, users_router, invitations_router, keys_router, audit_router]

__all__ = ["JSONResponse", "router", "routers"]
