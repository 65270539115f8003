"""Changing a password (knowing the current one) and resetting it by e-mail.

Either way the account is signed out everywhere: every refresh token of the user in
every organization is revoked and every membership's token version goes up, so other
sessions' access tokens stop working at their next request. A change answers with a
fresh token pair for the session that made it.

Resets: a request answers the same whether or not the address has an account (and at
most one mail per address per QM_LOGIN_BACKOFF_SECONDS); the link's token is single-use,
valid QM_PASSWORD_RESET_TTL_SECONDS, stored only as a digest, and a new request or a
used token closes the account's other open ones.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.clock import utcnow
from quartermaster.core.db import set_lookup_email, set_tenant, set_user
from quartermaster.core.mail import queue_mail
from quartermaster.core.security import digest, same_digest
from quartermaster.identity import repository
from quartermaster.identity.errors import InvalidPasswordReset, Unauthenticated, UsersOnly
from quartermaster.identity.mails import password_reset_mail
from quartermaster.identity.models import PasswordReset, User
from quartermaster.identity.principal import Principal
from quartermaster.identity.schemas import LoginOut
from quartermaster.identity.service.audit import Actions, record
from quartermaster.identity.service.auth import (
    AuthContext,
    Refused,
    check_password,
    login_out,
    normalize_email,
    verify_password,
)
from quartermaster.identity.throttle import LoginThrottle
from quartermaster.identity.tokens import (
    PASSWORD_RESET_PREFIX,
    new_opaque_token,
    parse_opaque_token,
)

RESET_REQUESTED = (
    "If an account with this address exists, a link to reset its password is on its way."
)
_COOLDOWN_PREFIX = "qm:password-reset"


async def sign_out_everywhere(
    session: AsyncSession, ctx: AuthContext, user: User, *, action: str
) -> None:
    """Revoke every refresh token of ``user`` and raise every membership's token version,
    organization by organization (each under its own scope), auditing ``action`` in
    each. Leaves the transaction acting as the user in no particular tenant."""
    now = utcnow()
    for _, organization in await repository.memberships_of_user(session, user.id):
        await set_tenant(session, organization.id, user_id=user.id)
        await repository.revoke_refresh_tokens_of_member(session, organization.id, user.id, now)
        await repository.bump_token_version(session, organization.id, user.id)
        record(
            session,
            tenant_id=organization.id,
            action=action,
            actor_user=(user.id, user.email),
            client=ctx.client,
        )
        await session.flush()  # under this organization's scope, before the next one's


async def change_password(
    session: AsyncSession,
    ctx: AuthContext,
    throttle: LoginThrottle,
    principal: Principal,
    *,
    current_password: str,
    new_password: str,
) -> LoginOut | Refused:
    """Needs the current password (throttled like a login); signs out every session,
    then answers with a new token pair for this one."""
    if principal.user_id is None:
        raise UsersOnly("change a password")
    account = await repository.user_by_id(session, principal.user_id)
    if account is None:
        raise Unauthenticated("This account no longer exists.")
    user = await verify_password(
        session, ctx, throttle, email=account.email, password=current_password
    )
    if isinstance(user, Refused):
        return Refused(
            Unauthenticated("The current password is incorrect.", code="invalid-current-password")
        )
    check_password(new_password, user.email)
    user.password_hash = await ctx.hasher.hash_async(new_password)
    await session.flush()
    await sign_out_everywhere(session, ctx, user, action=Actions.PASSWORD_CHANGED)
    await set_tenant(session, principal.tenant_id, user_id=user.id)
    membership = await repository.membership(session, principal.tenant_id, user.id)
    organization = await repository.tenant_by_id(session, principal.tenant_id)
    if membership is None or organization is None:
        raise Unauthenticated("You are no longer a member of this organization.")
    await session.refresh(membership)  # the raised token version
    return await login_out(session, ctx, user, membership, organization)


async def request_reset(
    session: AsyncSession, ctx: AuthContext, redis: Redis, *, email: str
) -> str:
    """Mail a reset link if the address has an active account; the answer is the same
    either way."""
    email = normalize_email(email)
    await set_lookup_email(session, email)
    user = await repository.user_by_email(session, email)
    if user is None or not user.is_active:
        return RESET_REQUESTED
    key = f"{_COOLDOWN_PREFIX}:{hashlib.sha256(email.encode()).hexdigest()[:40]}"
    if not await redis.set(key, 1, nx=True, ex=ctx.settings.login_backoff_seconds):
        return RESET_REQUESTED  # one mail per cooldown: no mail-bombing an address
    await set_user(session, user.id)
    now = utcnow()
    await repository.close_password_resets(session, user.id, now)
    # The user's id goes where other opaque tokens put their tenant: the lookup scope.
    opaque = new_opaque_token(user.id)
    expires_at = now + timedelta(seconds=ctx.settings.password_reset_ttl_seconds)
    repository.add(
        session,
        PasswordReset(
            id=opaque.id,
            user_id=user.id,
            token_digest=digest(opaque.secret),
            expires_at=expires_at,
            requested_ip=ctx.client.ip,
        ),
    )
    await session.flush()
    token = opaque.render(PASSWORD_RESET_PREFIX)
    await queue_mail(
        session,
        password_reset_mail(
            reset_id=opaque.id,
            email=user.email,
            link=f"{ctx.settings.effective_public_url}/reset-password#token={token}",
            token=token,
            expires_at=expires_at,
        ),
        account_user_id=user.id,
    )
    return RESET_REQUESTED


async def reset_password(
    session: AsyncSession, ctx: AuthContext, *, token: str, new_password: str
) -> None:
    """Set a new password with a reset token (once), signing the account out everywhere."""
    parsed = parse_opaque_token(PASSWORD_RESET_PREFIX, token)
    if parsed is None:
        raise InvalidPasswordReset
    user_id: uuid.UUID = parsed.tenant_id  # the scope slot holds the user
    await set_user(session, user_id)
    reset = await repository.password_reset_for_update(session, parsed.id)
    now = utcnow()
    if reset is None or not same_digest(parsed.secret, reset.token_digest):
        raise InvalidPasswordReset
    if reset.used_at is not None or reset.expires_at <= now:
        raise InvalidPasswordReset
    user = await repository.user_by_id(session, user_id)
    if user is None or not user.is_active:
        raise InvalidPasswordReset
    check_password(new_password, user.email)
    user.password_hash = await ctx.hasher.hash_async(new_password)
    await repository.close_password_resets(session, user.id, now)
    await session.flush()
    await sign_out_everywhere(session, ctx, user, action=Actions.PASSWORD_RESET)
