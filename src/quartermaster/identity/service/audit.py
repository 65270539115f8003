"""The audit log: who did what, when, from where. Written in the same transaction as the
change it describes, so an entry exists exactly when the change does."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.deps import ClientInfo
from quartermaster.core.pagination import (
    Page,
    PageParams,
)
from quartermaster.identity import repository
from quartermaster.identity.models import AuditEvent
from quartermaster.identity.principal import Principal
from quartermaster.identity.schemas import AuditEventRead


class Actions:
    LOGIN_SUCCEEDED = "auth.login_succeeded"
    LOGIN_FAILED = "auth.login_failed"
    LOGOUT = "auth.logout"
    REFRESH_REUSE_DETECTED = "auth.refresh_reuse_detected"
    TENANT_SWITCHED = "auth.tenant_switched"
    TENANT_CREATED = "tenant.created"
    MEMBER_ADDED = "member.added"
    MEMBER_ROLE_CHANGED = "member.role_changed"
    MEMBER_REMOVED = "member.removed"
    API_KEY_CREATED = "api_key.created"
    API_KEY_REVOKED = "api_key.revoked"
    PASSWORD_CHANGED = "auth.password_changed"  # noqa: S105 - an audit action
    PASSWORD_RESET = "auth.password_reset"  # noqa: S105 - an audit action
    INVITATION_CREATED = "invitation.created"
    INVITATION_RESENT = "invitation.resent"
    INVITATION_REVOKED = "invitation.revoked"
    MEMBER_JOINED = "member.joined"


def record(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    action: str,
    actor: Principal | None = None,
    actor_user: tuple[uuid.UUID, str] | None = None,
    target: tuple[str, uuid.UUID] | None = None,
    client: ClientInfo | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Add an audit event. ``actor`` is the caller; ``actor_user`` (id, e-mail) names a
    user acting before they have a principal (logins)."""
    actor_type: str
    actor_id: uuid.UUID | None
    label: str | None
    if actor is not None:
        actor_type, actor_id, label = actor.kind, actor.id, actor.label
    elif actor_user is not None:
        actor_type, actor_id, label = "user", actor_user[0], actor_user[1]
    else:
        actor_type, actor_id, label = "system", None, None
    repository.add(
        session,
        AuditEvent(
            tenant_id=tenant_id,
            action=action,
            actor_type=actor_type,
            actor_id=actor_id,
            actor_label=label,
            target_type=target[0] if target else None,
            target_id=target[1] if target else None,
            ip=client.ip if client else None,
            user_agent=client.user_agent if client else None,
            details=details or {},
        ),
    )


async def list_events(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    *,
    action: str | None = None,
    actor_id: uuid.UUID | None = None,
) -> Page[AuditEventRead]:
    """Newest first."""
    rows, next_cursor = page.next_page(
        await repository.audit_page(
            session,
            principal.tenant_id,
            limit=page.fetch,
            after=page.after(uuid.UUID),
            action=action,
            actor_id=actor_id,
        ),
        lambda event: [event.id],
    )
    items = [AuditEventRead.model_validate(row, from_attributes=True) for row in rows]
    return Page[AuditEventRead](items=items, next_cursor=next_cursor)
