"""Login throttling in Redis: failures per e-mail and per client IP in a fixed window.

Counting per e-mail stops password guessing against one account from many addresses;
per IP stops one address from spraying many accounts. Redis is shared by every API
replica, so the limit holds across the deployment.
"""

from __future__ import annotations

import hashlib

from redis.asyncio import Redis

from quartermaster.core.errors import AppError

_PREFIX = "qm:login-failures"


class TooManyLoginAttempts(AppError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(
            429,
            "too-many-login-attempts",
            f"Too many failed logins; try again in {retry_after} seconds.",
            headers={"Retry-After": str(retry_after)},
            extensions={"retry_after": retry_after},
        )


class LoginThrottle:
    def __init__(self, redis: Redis, *, max_failures: int, window_seconds: int) -> None:
        self._redis = redis
        self._max = max_failures
        self._window = window_seconds

    @staticmethod
    def _keys(email: str, ip: str | None) -> list[str]:
        # Hash the e-mail: Redis keys are visible to operators; addresses need not be.
        keys = [f"{_PREFIX}:email:{hashlib.sha256(email.encode()).hexdigest()[:40]}"]
        if ip:
            keys.append(f"{_PREFIX}:ip:{ip}")
        return keys

    async def check(self, email: str, ip: str | None) -> None:
        """Raise TooManyLoginAttempts if either counter has reached the limit."""
        keys = self._keys(email, ip)
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.get(key)
                pipe.ttl(key)
            results = await pipe.execute()
        for count, ttl in zip(results[::2], results[1::2], strict=True):
            if count is not None and int(count) >= self._max:
                raise TooManyLoginAttempts(retry_after=max(int(ttl), 1))

    async def record_failure(self, email: str, ip: str | None) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            for key in self._keys(email, ip):
                # The window starts at the first failure; later ones do not extend it.
                pipe.set(key, 0, ex=self._window, nx=True)
                pipe.incr(key)
            await pipe.execute()

    async def clear_email(self, email: str) -> None:
        await self._redis.delete(self._keys(email, None)[0])
