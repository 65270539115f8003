"""Login throttling in Redis that slows attackers down without locking people out.

Two counters of failed attempts, each over a sliding window (QM_LOGIN_FAILURE_WINDOW_SECONDS):

- per (account, client IP), threshold QM_LOGIN_MAX_FAILURES: guessing one account's
  password from one address. Its owner, logging in from anywhere else, is unaffected:
  knowing someone's e-mail address is not enough to lock them out.
- per client IP, a higher threshold (QM_LOGIN_IP_MAX_FAILURES): one address spraying
  many accounts. Set it with the offices behind one NAT in mind.

Past its threshold a counter blocks its key for an exponentially growing time — backoff *
2^(failures - threshold), at most QM_LOGIN_BACKOFF_MAX_SECONDS — so each further guess
costs the attacker twice as long, while a person who mistyped waits seconds. A correct
password from the same address clears that address's account counter. Who the client is
comes from ``core.deps`` (QM_TRUSTED_PROXIES decides which X-Forwarded-For hop counts).
Redis is shared by every API replica, so the limits hold across the deployment.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from redis.asyncio import Redis

from quartermaster.core.errors import AppError
from quartermaster.core.settings import Settings

_PREFIX = "qm:login"


class TooManyLoginAttempts(AppError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(
            429,
            "too-many-login-attempts",
            f"Too many failed logins from this address; try again in {retry_after} seconds.",
            headers={"Retry-After": str(retry_after)},
            extensions={"retry_after": retry_after},
        )


@dataclass(frozen=True)
class _Counter:
    key: str
    threshold: int


class LoginThrottle:
    def __init__(
        self,
        redis: Redis,
        *,
        max_failures: int,
        ip_max_failures: int,
        window_seconds: int,
        backoff_seconds: int,
        backoff_max_seconds: int,
    ) -> None:
        self._redis = redis
        self._max = max_failures
        self._ip_max = ip_max_failures
        self._window = window_seconds
        self._backoff = backoff_seconds
        self._backoff_max = backoff_max_seconds

    @classmethod
    def from_settings(cls, redis: Redis, settings: Settings) -> LoginThrottle:
        return cls(
            redis,
            max_failures=settings.login_max_failures,
            ip_max_failures=settings.login_ip_max_failures,
            window_seconds=settings.login_failure_window_seconds,
            backoff_seconds=settings.login_backoff_seconds,
            backoff_max_seconds=settings.login_backoff_max_seconds,
        )

    def _counters(self, email: str, ip: str | None) -> list[_Counter]:
        # Hash the e-mail: Redis keys are visible to operators; addresses need not be.
        account = hashlib.sha256(email.encode()).hexdigest()[:40]
        address = ip or "unknown"
        return [
            _Counter(f"{_PREFIX}:account-ip:{account}:{address}", self._max),
            _Counter(f"{_PREFIX}:ip:{address}", self._ip_max),
        ]

    async def check(self, email: str, ip: str | None) -> None:
        """Raise TooManyLoginAttempts while either key is blocked."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for counter in self._counters(email, ip):
                pipe.pttl(f"{counter.key}:blocked")
            remaining = await pipe.execute()
        longest = max(int(ms) for ms in remaining)
        if longest > 0:
            raise TooManyLoginAttempts(retry_after=max(math.ceil(longest / 1000), 1))

    async def record_failure(self, email: str, ip: str | None) -> None:
        counters = self._counters(email, ip)
        async with self._redis.pipeline(transaction=True) as pipe:
            for counter in counters:
                pipe.incr(counter.key)
                pipe.expire(counter.key, self._window)  # sliding: counts recent failures
            results = await pipe.execute()
        async with self._redis.pipeline(transaction=False) as pipe:
            for counter, failures in zip(counters, results[::2], strict=True):
                if int(failures) >= counter.threshold:
                    block = min(
                        self._backoff * 2 ** (int(failures) - counter.threshold),
                        self._backoff_max,
                    )
                    pipe.set(f"{counter.key}:blocked", 1, ex=int(block))
            await pipe.execute()

    async def succeeded(self, email: str, ip: str | None) -> None:
        """A correct password: this address's failures against this account are forgiven
        (the per-address counter stays: a sprayer may know one password)."""
        account = self._counters(email, ip)[0].key
        await self._redis.delete(account, f"{account}:blocked")
