"""Access tokens: the cache of verified tokens never outlives a token or trusts a forgery."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from quartermaster.core.security import InvalidToken
from quartermaster.identity import tokens
from quartermaster.identity.permissions import Role

SECRET = "s" * 40


def _token(ttl: timedelta, secret: str = SECRET) -> str:
    return tokens.issue_access_token(
        secret,
        user_id=uuid.uuid4(),
        email="a@example.com",
        tenant_id=uuid.uuid4(),
        role=Role.ADMIN,
        ttl=ttl,
    )


def test_a_cached_token_is_refused_once_it_expires() -> None:
    token = _token(timedelta(minutes=5))
    now = datetime.now(UTC)
    assert tokens.read_access_token(SECRET, token, now=now).role is Role.ADMIN
    assert (SECRET, token) in tokens._VERIFIED
    later = now + timedelta(minutes=4)
    assert tokens.read_access_token(SECRET, token, now=later).role is Role.ADMIN  # cached
    past_expiry = now + timedelta(minutes=5, seconds=1)  # exp is whole seconds
    with pytest.raises(InvalidToken, match="expired"):
        tokens.read_access_token(SECRET, token, now=past_expiry)
    assert (SECRET, token) not in tokens._VERIFIED


def test_a_token_that_expired_is_refused_on_the_wall_clock_too() -> None:
    token = _token(timedelta(seconds=-1))
    with pytest.raises(InvalidToken, match="expired"):
        tokens.read_access_token(SECRET, token)
    assert (SECRET, token) not in tokens._VERIFIED


def test_a_token_verified_under_one_secret_is_not_trusted_under_another() -> None:
    token = _token(timedelta(minutes=5))
    tokens.read_access_token(SECRET, token)
    with pytest.raises(InvalidToken):
        tokens.read_access_token("t" * 40, token)


def test_the_cache_stays_bounded() -> None:
    for _ in range(tokens.VERIFIED_CACHE_SIZE + 10):
        tokens.read_access_token(SECRET, _token(timedelta(minutes=5)))
    assert len(tokens._VERIFIED) <= tokens.VERIFIED_CACHE_SIZE
