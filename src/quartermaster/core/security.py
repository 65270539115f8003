"""Security primitives: password hashing, signed tokens, random secrets, digests.

Nothing here knows about users or tenants; the identity module gives these meaning.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from pwdlib.hashers.bcrypt import BcryptHasher

from quartermaster.core.clock import utcnow

JWT_ALGORITHM = "HS256"


class PasswordHasher:
    """argon2id for new hashes; bcrypt hashes still verify and are upgraded on login.

    Hashing is CPU-bound (tens of milliseconds by design), so the async methods run it in
    a thread to keep the event loop serving other requests.
    """

    def __init__(self, *, time_cost: int = 3, memory_kib: int = 65536) -> None:
        self._hash = PasswordHash(
            (Argon2Hasher(time_cost=time_cost, memory_cost=memory_kib), BcryptHasher())
        )

    @functools.cached_property
    def _dummy(self) -> str:
        """Verified against when the account does not exist, so both paths cost the same.
        Made on first use (in the worker thread of that login), not at app creation: one
        argon2 hash is ~0.1-0.7 s of a start on a busy machine."""
        return self._hash.hash(secrets.token_urlsafe(16))

    def _verify_dummy(self, password: str) -> None:
        self._hash.verify(password, self._dummy)

    def prepare(self) -> None:
        """Make the dummy hash now (blocking; the app runs it in a thread after start-up)."""
        _ = self._dummy

    def hash(self, password: str) -> str:
        return self._hash.hash(password)

    async def hash_async(self, password: str) -> str:
        return await asyncio.to_thread(self._hash.hash, password)

    async def verify_and_update(self, password: str, hashed: str | None) -> tuple[bool, str | None]:
        """(valid, new hash if the stored one should be replaced). ``hashed=None`` burns the
        same time as a real check and fails."""
        if hashed is None:
            await asyncio.to_thread(self._verify_dummy, password)
            return False, None
        return await asyncio.to_thread(self._hash.verify_and_update, password, hashed)


def sign_token(
    claims: Mapping[str, Any], secret: str, *, ttl: timedelta, now: datetime | None = None
) -> str:
    issued = now or utcnow()
    payload = {**claims, "iat": int(issued.timestamp()), "exp": int((issued + ttl).timestamp())}
    return jwt.encode(payload, secret, algorithm=JWT_ALGORITHM)


class InvalidToken(Exception):
    pass


def verify_token(token: str, secret: str, *, required: tuple[str, ...]) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=[JWT_ALGORITHM],
            options={"require": ["exp", "iat", *required]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken("the token has expired") from exc
    except jwt.PyJWTError as exc:
        raise InvalidToken("the token is invalid") from exc
    return claims


def random_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def digest(secret: str) -> str:
    """SHA-256 of a high-entropy secret (refresh tokens, API keys): stored instead of it.
    A slow hash is unnecessary for 256-bit random secrets and would slow every request."""
    return hashlib.sha256(secret.encode()).hexdigest()


def same_digest(secret: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(secret), stored_digest)
