"""API keys: machine credentials of one tenant with one role."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.clock import utcnow
from quartermaster.core.db import set_tenant
from quartermaster.core.deps import ClientInfo
from quartermaster.core.errors import AppError
from quartermaster.core.pagination import (
    Page,
    PageParams,
)
from quartermaster.core.security import digest, same_digest
from quartermaster.identity import repository
from quartermaster.identity.errors import ApiKeyNotFound, RoleAboveOwn
from quartermaster.identity.models import ApiKey
from quartermaster.identity.permissions import Role
from quartermaster.identity.principal import Principal
from quartermaster.identity.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyRead
from quartermaster.identity.service.audit import Actions, record
from quartermaster.identity.tokens import API_KEY_PREFIX, new_opaque_token, parse_opaque_token

# Writing last_used_at on every request would turn reads into writes; once a minute is
# precise enough to answer "is this key still in use?".
LAST_USED_PRECISION = timedelta(minutes=1)


async def create_api_key(
    session: AsyncSession, client: ClientInfo, actor: Principal, data: ApiKeyCreate
) -> ApiKeyCreated:
    if data.role > actor.role:
        raise RoleAboveOwn(data.role.value, actor.role.value)
    if data.expires_at is not None:
        if data.expires_at.tzinfo is None:
            raise AppError(422, "naive-datetime", "expires_at must include a timezone offset.")
        if data.expires_at <= utcnow():
            raise AppError(422, "expiry-in-past", "expires_at must be in the future.")
    opaque = new_opaque_token(actor.tenant_id)
    key = ApiKey(
        id=opaque.id,
        tenant_id=actor.tenant_id,
        name=data.name,
        role=data.role.value,
        key_digest=digest(opaque.secret),
        hint=opaque.secret[-4:],
        created_by=actor.user_id,
        expires_at=data.expires_at,
    )
    repository.add(session, key)
    await session.flush()
    await session.refresh(key)
    record(
        session,
        tenant_id=actor.tenant_id,
        action=Actions.API_KEY_CREATED,
        actor=actor,
        target=("api_key", key.id),
        client=client,
        details={"name": key.name, "role": key.role},
    )
    read = ApiKeyRead.model_validate(key, from_attributes=True)
    return ApiKeyCreated(**read.model_dump(), key=opaque.render(API_KEY_PREFIX))


async def list_api_keys(
    session: AsyncSession, principal: Principal, page: PageParams
) -> Page[ApiKeyRead]:
    """Newest first, revoked and expired keys included (they say so)."""
    keys, next_cursor = page.next_page(
        await repository.api_keys_page(
            session, principal.tenant_id, limit=page.fetch, after=page.after(uuid.UUID)
        ),
        lambda key: [key.id],
    )
    items = [ApiKeyRead.model_validate(k, from_attributes=True) for k in keys]
    return Page[ApiKeyRead](items=items, next_cursor=next_cursor)


async def revoke_api_key(
    session: AsyncSession, client: ClientInfo, actor: Principal, key_id: uuid.UUID
) -> None:
    key = await repository.api_key_by_id(session, key_id)
    if key is None:
        raise ApiKeyNotFound
    if key.revoked_at is not None:
        return
    key.revoked_at = utcnow()
    await session.flush()
    record(
        session,
        tenant_id=actor.tenant_id,
        action=Actions.API_KEY_REVOKED,
        actor=actor,
        target=("api_key", key.id),
        client=client,
        details={"name": key.name},
    )


async def authenticate_api_key(session: AsyncSession, token: str) -> Principal | None:
    """The principal of a valid key, with the transaction scoped to the key's tenant; None
    for a malformed, unknown, revoked or expired key."""
    parsed = parse_opaque_token(API_KEY_PREFIX, token)
    if parsed is None:
        return None
    await set_tenant(session, parsed.tenant_id)
    key = await repository.api_key_by_id(session, parsed.id)
    now = utcnow()
    if key is None or not same_digest(parsed.secret, key.key_digest):
        return None
    if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
        return None
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_PRECISION:
        await repository.touch_api_key(session, key.id, now)
    return Principal(
        kind="api_key", id=key.id, tenant_id=key.tenant_id, role=Role(key.role), label=key.name
    )


async def api_key_still_valid(session: AsyncSession, principal: Principal) -> Principal | None:
    """The key's principal as it is now (a ticket redeemed later: revoked or expired
    keys are refused), with the transaction scoped to its tenant; None if no longer valid."""
    await set_tenant(session, principal.tenant_id)
    key = await repository.api_key_by_id(session, principal.id)
    now = utcnow()
    if key is None or key.revoked_at is not None:
        return None
    if key.expires_at is not None and key.expires_at <= now:
        return None
    return Principal(
        kind="api_key", id=key.id, tenant_id=key.tenant_id, role=Role(key.role), label=key.name
    )
