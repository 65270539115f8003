"""Sign-up, login, token refresh with rotation and reuse detection, logout, tenant switch."""

from __future__ import annotations

import re
import secrets
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.clock import utcnow
from quartermaster.core.db import set_lookup_email, set_tenant, set_user
from quartermaster.core.deps import ClientInfo
from quartermaster.core.errors import AppError
from quartermaster.core.ids import new_id
from quartermaster.core.security import PasswordHasher, digest, same_digest
from quartermaster.core.settings import Settings
from quartermaster.identity import repository
from quartermaster.identity.errors import (
    EmailTaken,
    InvalidCredentials,
    InvalidRefreshToken,
    NotAMemberOfTenant,
    OrganizationRequired,
    SignupDisabled,
    Unauthenticated,
    WeakPassword,
)
from quartermaster.identity.models import Membership, RefreshToken, Tenant, User
from quartermaster.identity.permissions import Role, permissions_of
from quartermaster.identity.principal import Principal
from quartermaster.identity.schemas import (
    MIN_PASSWORD_LENGTH,
    ApiKeyIdentity,
    LoginOut,
    MembershipRead,
    MeOut,
    SignupIn,
    SignupOut,
    TenantRead,
    TokenPair,
    UserRead,
)
from quartermaster.identity.service.audit import Actions, record
from quartermaster.identity.throttle import LoginThrottle
from quartermaster.identity.tokens import (
    REFRESH_TOKEN_PREFIX,
    issue_access_token,
    new_opaque_token,
    parse_opaque_token,
)


@dataclass(frozen=True)
class AuthContext:
    """What the authentication flows need besides the session."""

    settings: Settings
    hasher: PasswordHasher
    client: ClientInfo


@dataclass(frozen=True)
class Refused:
    """A refusal that must still commit what it recorded (an audit entry, a revocation):
    the router returns it as a response instead of raising. ``user``: the account a
    refused password belonged to, if any (never shown to the caller)."""

    error: AppError
    user: User | None = None


def normalize_email(email: str) -> str:
    return email.strip().lower()


def check_password(password: str, email: str) -> None:
    """Rule: at least 10 characters, and not the e-mail address. (The API's schemas check
    the length too, so the field error names the field; this covers every other caller.)"""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"it must have at least {MIN_PASSWORD_LENGTH} characters")
    if password.strip().lower() == normalize_email(email):
        raise WeakPassword("it must not be the e-mail address")


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:60] or "org"


async def issue_token_pair(
    session: AsyncSession,
    ctx: AuthContext,
    *,
    user_id: uuid.UUID,
    email: str,
    tenant_id: uuid.UUID,
    role: Role,
    version: int,
    family_id: uuid.UUID | None = None,
) -> TokenPair:
    """A new access token (carrying the membership's token ``version``) and a new refresh
    token (a new family unless one is given). The transaction must be scoped to
    ``tenant_id``."""
    settings = ctx.settings
    opaque = new_opaque_token(tenant_id)
    repository.add(
        session,
        RefreshToken(
            id=opaque.id,
            tenant_id=tenant_id,
            user_id=user_id,
            family_id=family_id or new_id(),
            token_digest=digest(opaque.secret),
            expires_at=utcnow() + timedelta(days=settings.refresh_token_ttl_days),
        ),
    )
    await session.flush()
    access = issue_access_token(
        settings.secret_key.get_secret_value(),
        user_id=user_id,
        email=email,
        tenant_id=tenant_id,
        role=role,
        ttl=timedelta(seconds=settings.access_token_ttl_seconds),
        version=version,
    )
    return TokenPair(
        access_token=access,
        refresh_token=opaque.render(REFRESH_TOKEN_PREFIX),
        expires_in=settings.access_token_ttl_seconds,
    )


async def create_tenant(session: AsyncSession, name: str) -> Tenant:
    """A new tenant with a unique slug; scopes the transaction to it."""
    tenant_id = new_id()
    await set_tenant(session, tenant_id)
    base = slugify(name)
    for attempt in range(5):
        slug = base if attempt == 0 else f"{base}-{secrets.token_hex(3)}"
        tenant = Tenant(id=tenant_id, name=name, slug=slug)
        try:
            async with session.begin_nested():
                repository.add(session, tenant)
                await session.flush()
        except IntegrityError:
            # The savepoint's rollback already expunged the pending tenant.
            continue
        return tenant
    raise AppError(409, "slug-unavailable", f"No free identifier for organization {name!r}.")


async def create_user(
    session: AsyncSession,
    hasher: PasswordHasher,
    *,
    email: str,
    full_name: str,
    password: str | None,
) -> User:
    """A new user; raises EmailTaken if the e-mail address is registered."""
    email = normalize_email(email)
    if password is not None:
        check_password(password, email)
    await set_lookup_email(session, email)
    if await repository.user_by_email(session, email) is not None:
        raise EmailTaken
    user = User(
        id=new_id(),
        email=email,
        full_name=full_name,
        password_hash=await hasher.hash_async(password) if password is not None else None,
    )
    try:
        async with session.begin_nested():
            repository.add(session, user)
            await session.flush()
    except IntegrityError as exc:  # registered concurrently
        raise EmailTaken from exc
    return user


async def signup(session: AsyncSession, ctx: AuthContext, data: SignupIn) -> SignupOut:
    """Create a tenant and its first user, who becomes its owner, and log them in."""
    if not ctx.settings.signup_enabled:
        raise SignupDisabled
    user = await create_user(
        session, ctx.hasher, email=data.email, full_name=data.full_name, password=data.password
    )
    tenant = await create_tenant(session, data.organization)
    await set_user(session, user.id)
    repository.add(session, Membership(tenant_id=tenant.id, user_id=user.id, role=Role.OWNER.value))
    await session.flush()
    user.last_tenant_id = tenant.id
    record(
        session,
        tenant_id=tenant.id,
        action=Actions.TENANT_CREATED,
        actor_user=(user.id, user.email),
        target=("tenant", tenant.id),
        client=ctx.client,
        details={"name": tenant.name, "slug": tenant.slug},
    )
    pair = await issue_token_pair(
        session,
        ctx,
        user_id=user.id,
        email=user.email,
        tenant_id=tenant.id,
        role=Role.OWNER,
        version=0,
    )
    return SignupOut(
        **pair.model_dump(),
        tenant=TenantRead.model_validate(tenant, from_attributes=True),
        user=UserRead.model_validate(user, from_attributes=True),
    )


async def login(
    session: AsyncSession,
    ctx: AuthContext,
    throttle: LoginThrottle,
    *,
    email: str,
    password: str,
    tenant: str | None,
) -> LoginOut | Refused:
    """Password login. Unknown e-mail, wrong password and inactive account look the same
    and cost the same; repeated failures are throttled per (account, address) and per
    address. ``tenant`` (slug or id) names the organization; without it, the one last
    used (``users.last_tenant_id``), else the only one, else a 409 naming them."""
    email = normalize_email(email)
    user = await verify_password(session, ctx, throttle, email=email, password=password)
    if isinstance(user, Refused):
        if user.user is not None:
            await _audit_failed_login(session, ctx, user.user, tenant)
        return user
    memberships = await repository.memberships_of_user(session, user.id)
    chosen = choose_membership(memberships, tenant, last_used=user.last_tenant_id)
    if isinstance(chosen, AppError):
        return Refused(chosen)
    membership, organization = chosen
    await throttle.succeeded(email, ctx.client.ip)
    await set_tenant(session, organization.id, user_id=user.id)
    user.last_login_at = utcnow()
    user.last_tenant_id = organization.id
    record(
        session,
        tenant_id=organization.id,
        action=Actions.LOGIN_SUCCEEDED,
        actor_user=(user.id, user.email),
        client=ctx.client,
    )
    return await login_out(session, ctx, user, membership, organization)


async def verify_password(
    session: AsyncSession,
    ctx: AuthContext,
    throttle: LoginThrottle,
    *,
    email: str,
    password: str,
) -> User | Refused:
    """The active account with this e-mail and password (its hash upgraded if due), with
    the transaction acting as it; or a refusal that looks the same for an unknown e-mail,
    a wrong password and an inactive account. Throttled (429 while blocked)."""
    await throttle.check(email, ctx.client.ip)
    await set_lookup_email(session, email)
    user = await repository.user_by_email(session, email)
    valid, new_hash = await ctx.hasher.verify_and_update(
        password, user.password_hash if user is not None else None
    )
    if user is None or not user.is_active or not valid:
        await throttle.record_failure(email, ctx.client.ip)
        return Refused(InvalidCredentials(), user=user)
    await set_user(session, user.id)
    if new_hash is not None:  # bcrypt, or argon2 with old parameters: upgrade now
        user.password_hash = new_hash
    return user


def choose_membership(
    memberships: list[tuple[Membership, Tenant]],
    wanted: str | None,
    *,
    last_used: uuid.UUID | None,
) -> tuple[Membership, Tenant] | AppError:
    """The membership a login goes to (see :func:`login`)."""
    if wanted is not None:
        for membership, organization in memberships:
            if wanted in (organization.slug, str(organization.id)):
                return membership, organization
        try:
            as_id = uuid.UUID(wanted)
        except ValueError:
            return NotAMemberOfTenant()
        found = [(m, t) for m, t in memberships if t.id == as_id]
        return found[0] if found else NotAMemberOfTenant()
    if not memberships:
        return Unauthenticated(
            "This account is not a member of any organization.", code="no-membership"
        )
    if len(memberships) == 1:
        return memberships[0]
    for membership, organization in memberships:
        if organization.id == last_used:
            return membership, organization
    return OrganizationRequired([organization for _, organization in memberships])


async def login_out(
    session: AsyncSession,
    ctx: AuthContext,
    user: User,
    membership: Membership,
    organization: Tenant,
) -> LoginOut:
    pair = await issue_token_pair(
        session,
        ctx,
        user_id=user.id,
        email=user.email,
        tenant_id=organization.id,
        role=Role(membership.role),
        version=membership.token_version,
    )
    return LoginOut(
        **pair.model_dump(), tenant=TenantRead.model_validate(organization, from_attributes=True)
    )


async def _audit_failed_login(
    session: AsyncSession, ctx: AuthContext, user: User, tenant: str | None
) -> None:
    """Record the failure in the tenant the login aimed at (or the user's first one), so
    that tenant's admins see attacks on their members. Unknown e-mails have no tenant;
    they only reach the server log."""
    await set_user(session, user.id)
    memberships = await repository.memberships_of_user(session, user.id)
    targets = [t for _, t in memberships if tenant is None or tenant in (t.slug, str(t.id))]
    if not targets:
        return
    await set_tenant(session, targets[0].id, user_id=user.id)
    record(
        session,
        tenant_id=targets[0].id,
        action=Actions.LOGIN_FAILED,
        actor_user=(user.id, user.email),
        client=ctx.client,
    )


async def refresh(session: AsyncSession, ctx: AuthContext, token: str) -> TokenPair | Refused:
    """Rotate a refresh token: the presented one stops working and a new pair is issued,
    with the member's *current* role. A token that was already rotated is being replayed
    (stolen, or copied): its whole family is revoked."""
    parsed = parse_opaque_token(REFRESH_TOKEN_PREFIX, token)
    if parsed is None:
        return Refused(InvalidRefreshToken())
    await set_tenant(session, parsed.tenant_id)
    row = await repository.refresh_token_for_update(session, parsed.id)
    now = utcnow()
    if row is None or not same_digest(parsed.secret, row.token_digest):
        return Refused(InvalidRefreshToken())
    if row.revoked_at is not None or row.expires_at <= now:
        return Refused(InvalidRefreshToken())
    if row.rotated_at is not None:
        await repository.revoke_refresh_family(session, row.tenant_id, row.family_id, now)
        await set_user(session, row.user_id)
        user = await repository.user_by_id(session, row.user_id)
        record(
            session,
            tenant_id=row.tenant_id,
            action=Actions.REFRESH_REUSE_DETECTED,
            actor_user=(row.user_id, user.email if user else "unknown"),
            client=ctx.client,
            details={"family_id": str(row.family_id)},
        )
        return Refused(
            InvalidRefreshToken(
                "This refresh token was already used; every session of its login has been "
                "revoked. Log in again."
            )
        )
    await set_user(session, row.user_id)
    membership = await repository.membership(session, row.tenant_id, row.user_id)
    user = await repository.user_by_id(session, row.user_id)
    if membership is None or user is None or not user.is_active:
        await repository.revoke_refresh_family(session, row.tenant_id, row.family_id, now)
        return Refused(InvalidRefreshToken("You are no longer a member of this organization."))
    row.rotated_at = now
    return await issue_token_pair(
        session,
        ctx,
        user_id=row.user_id,
        email=user.email,
        tenant_id=row.tenant_id,
        role=Role(membership.role),
        version=membership.token_version,
        family_id=row.family_id,
    )


async def logout(session: AsyncSession, ctx: AuthContext, token: str) -> None:
    """Revoke the refresh token's family. Unknown tokens are ignored: logging out twice
    is not an error, and the answer reveals nothing."""
    parsed = parse_opaque_token(REFRESH_TOKEN_PREFIX, token)
    if parsed is None:
        return
    await set_tenant(session, parsed.tenant_id)
    row = await repository.refresh_token_for_update(session, parsed.id)
    if row is None or not same_digest(parsed.secret, row.token_digest) or row.revoked_at:
        return
    await repository.revoke_refresh_family(session, row.tenant_id, row.family_id, utcnow())
    await set_user(session, row.user_id)
    user = await repository.user_by_id(session, row.user_id)
    record(
        session,
        tenant_id=row.tenant_id,
        action=Actions.LOGOUT,
        actor_user=(row.user_id, user.email if user else "unknown"),
        client=ctx.client,
    )


async def switch_tenant(
    session: AsyncSession, ctx: AuthContext, principal: Principal, tenant: str
) -> LoginOut:
    """A token pair for another organization of the caller's, named by slug or id."""
    if principal.user_id is None:
        raise NotAMemberOfTenant
    memberships = await repository.memberships_of_user(session, principal.user_id)
    chosen = choose_membership(memberships, tenant, last_used=None)
    if isinstance(chosen, AppError):
        raise chosen
    membership, organization = chosen
    user = await repository.user_by_id(session, principal.user_id)
    if user is None:
        raise Unauthenticated("This account no longer exists.")
    await set_tenant(session, organization.id, user_id=user.id)
    user.last_tenant_id = organization.id
    record(
        session,
        tenant_id=organization.id,
        action=Actions.TENANT_SWITCHED,
        actor_user=(user.id, user.email),
        client=ctx.client,
        details={"from_tenant_id": str(principal.tenant_id)},
    )
    return await login_out(session, ctx, user, membership, organization)


async def me(session: AsyncSession, principal: Principal) -> MeOut:
    tenant = await repository.tenant_by_id(session, principal.tenant_id)
    if tenant is None:  # deleted while the token was valid
        raise Unauthenticated("The organization of this token no longer exists.")
    tenant_read = TenantRead.model_validate(tenant, from_attributes=True)
    permissions = sorted(permissions_of(principal.role), key=lambda p: p.value)
    if principal.user_id is None:
        key = await repository.api_key_by_id(session, principal.id)
        return MeOut(
            user=None,
            api_key=ApiKeyIdentity(id=principal.id, name=key.name if key else principal.label),
            tenant=tenant_read,
            role=principal.role,
            permissions=permissions,
            memberships=[MembershipRead(tenant=tenant_read, role=principal.role)],
        )
    user = await repository.user_by_id(session, principal.user_id)
    if user is None:
        raise Unauthenticated("This account no longer exists.")
    memberships = await repository.memberships_of_user(session, user.id)
    return MeOut(
        user=UserRead.model_validate(user, from_attributes=True),
        tenant=tenant_read,
        role=principal.role,
        permissions=permissions,
        memberships=[
            MembershipRead(
                tenant=TenantRead.model_validate(t, from_attributes=True), role=Role(m.role)
            )
            for m, t in memberships
        ],
    )
