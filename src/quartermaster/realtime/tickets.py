"""Tickets for live connections opened from a URL.

Browsers cannot put a header on a WebSocket or an ``EventSource``, so a credential may
come in the URL (``?token=``) — where it lands in proxies' and servers' access logs. So
the URL takes only a *ticket*: obtained with ``POST /api/v1/realtime/tickets`` (with the
access token or API key in a header), valid QM_REALTIME_TICKET_SECONDS (30 s), for one
connection, and good for nothing else. Redis holds a digest of it and the principal it
stands for (never the access token or API key); redeeming is ``GETDEL``, so a ticket
works once, and the principal is then checked again as a request's would be (a member
removed, a key revoked meanwhile: refused).
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from redis.asyncio import Redis

from quartermaster.core.security import digest
from quartermaster.identity.public import Credential, Principal, Role

TICKET_PREFIX = "qmt_"
_KEY = "qm:realtime-ticket:"


@dataclass(frozen=True)
class Ticket:
    value: str
    expires_in: int


def is_ticket(token: str) -> bool:
    return token.startswith(TICKET_PREFIX)


async def issue_ticket(redis: Redis, credential: Credential, *, seconds: int) -> Ticket:
    principal = credential.principal
    value = TICKET_PREFIX + secrets.token_urlsafe(32)
    record = {
        "kind": principal.kind,
        "id": str(principal.id),
        "tenant_id": str(principal.tenant_id),
        "role": principal.role.value,
        "label": principal.label,
        "version": principal.version,
        "expires_at": credential.expires_at.isoformat() if credential.expires_at else None,
    }
    await redis.set(_KEY + digest(value), json.dumps(record), ex=seconds)
    return Ticket(value=value, expires_in=seconds)


async def redeem_ticket(redis: Redis, value: str) -> Credential | None:
    """The credential a ticket stood for, once; None for an unknown, used or expired one.
    The caller still checks that the principal is current (``ensure_current``)."""
    if not is_ticket(value) or len(value) > 100:
        return None
    raw = await redis.getdel(_KEY + digest(value))
    if raw is None:
        return None
    record = json.loads(raw)
    principal = Principal(
        kind=record["kind"],
        id=uuid.UUID(record["id"]),
        tenant_id=uuid.UUID(record["tenant_id"]),
        role=Role(record["role"]),
        label=record["label"],
        version=int(record["version"]),
    )
    expires = record["expires_at"]
    return Credential(
        principal=principal, expires_at=datetime.fromisoformat(expires) if expires else None
    )
