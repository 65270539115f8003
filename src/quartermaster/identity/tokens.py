"""Token formats.

- Access tokens: JWT (HS256, ``QM_SECRET_KEY``) with ``sub`` (user), ``tid`` (tenant),
  ``role``, ``ver`` (the membership's token version), ``jti``, ``iat``, ``exp``,
  ``typ="access"``; the signature is checked without a database query, the version by
  the statement that scopes the request's transaction (revocation at once).
- Refresh tokens (``qmr_…``) and API keys (``qm_…``): opaque. They carry the tenant id and
  the row id in clear (so the lookup can run under that tenant's row-level security) and a
  256-bit secret of which only a SHA-256 digest is stored.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from quartermaster.core.clock import utcnow
from quartermaster.core.ids import new_id
from quartermaster.core.security import InvalidToken, sign_token, verify_token
from quartermaster.identity.permissions import Role

API_KEY_PREFIX = "qm_"
REFRESH_TOKEN_PREFIX = "qmr_"  # noqa: S105 - a format prefix, not a secret
# Invitations carry their tenant; password resets carry their user (in the tenant slot).
INVITATION_PREFIX = "qmi_"
PASSWORD_RESET_PREFIX = "qmp_"  # noqa: S105 - a format prefix, not a secret
_BODY = re.compile(r"^[0-9a-f]{128}$")


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    role: Role
    jti: str
    email: str
    expires_at: datetime | None = None
    version: int = 0  # the membership's token_version when it was issued


def issue_access_token(
    secret: str,
    *,
    user_id: uuid.UUID,
    email: str,
    tenant_id: uuid.UUID,
    role: Role,
    ttl: timedelta,
    version: int = 0,
) -> str:
    claims = {
        "sub": str(user_id),
        "email": email,
        "tid": str(tenant_id),
        "role": role.value,
        "ver": version,
        "jti": new_id().hex,
        "typ": "access",
    }
    return sign_token(claims, secret, ttl=ttl)


# Verified access tokens, so a client's every request does not pay for the HMAC and the
# JSON again: keyed by secret and token, checked against the token's expiry on every hit,
# bounded (the oldest entry goes first). Only tokens that verified are cached.
_VERIFIED: dict[tuple[str, str], AccessClaims] = {}
VERIFIED_CACHE_SIZE = 4096


def read_access_token(secret: str, token: str, *, now: datetime | None = None) -> AccessClaims:
    """The claims of a valid access token; expired (at ``now``, the wall clock unless a
    test names another time), forged or malformed tokens raise :class:`InvalidToken`."""
    now = now or utcnow()
    cached = _VERIFIED.get((secret, token))
    if cached is not None:
        if cached.expires_at is not None and cached.expires_at > now:
            return cached
        del _VERIFIED[(secret, token)]
    claims = _verify_access_token(secret, token)
    if claims.expires_at is not None and claims.expires_at <= now:
        raise InvalidToken("the token has expired")
    if len(_VERIFIED) >= VERIFIED_CACHE_SIZE:
        del _VERIFIED[next(iter(_VERIFIED))]
    _VERIFIED[(secret, token)] = claims
    return claims


def _verify_access_token(secret: str, token: str) -> AccessClaims:
    claims = verify_token(token, secret, required=("sub", "tid", "role", "jti"))
    if claims.get("typ") != "access":
        raise InvalidToken("the token is not an access token")
    try:
        return AccessClaims(
            user_id=uuid.UUID(claims["sub"]),
            tenant_id=uuid.UUID(claims["tid"]),
            role=Role(claims["role"]),
            jti=str(claims["jti"]),
            email=str(claims.get("email", "")),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), tz=UTC),
            version=int(claims.get("ver", 0)),
        )
    except (ValueError, TypeError) as exc:
        raise InvalidToken("the token is invalid") from exc


@dataclass(frozen=True)
class OpaqueToken:
    tenant_id: uuid.UUID
    id: uuid.UUID
    secret: str

    def render(self, prefix: str) -> str:
        return f"{prefix}{self.tenant_id.hex}{self.id.hex}{self.secret}"


def new_opaque_token(tenant_id: uuid.UUID) -> OpaqueToken:
    return OpaqueToken(tenant_id=tenant_id, id=new_id(), secret=secrets.token_hex(32))


def parse_opaque_token(prefix: str, token: str) -> OpaqueToken | None:
    if not token.startswith(prefix):
        return None
    body = token[len(prefix) :]
    if not _BODY.match(body):
        return None
    return OpaqueToken(
        tenant_id=uuid.UUID(hex=body[:32]), id=uuid.UUID(hex=body[32:64]), secret=body[64:]
    )
