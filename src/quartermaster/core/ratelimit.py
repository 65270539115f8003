"""Request rate limits in Redis, for endpoints anyone may call without signing in.

A fixed window per key: the first request of a window creates a counter that expires with
the window, each request adds one, and past the limit the caller gets 429 with
``Retry-After`` (the seconds left in the window). Redis is shared by every API replica, so
the limit holds across the deployment; the window is numbered from the epoch, so the
replicas agree on it without talking to each other. A Redis that cannot be reached lets
the request through: a limit protects capacity, and public pages should not go down with
Redis.
"""

from __future__ import annotations

import hashlib
import math
import time

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from quartermaster.core.errors import AppError

log = structlog.stdlib.get_logger(__name__)


class RateLimited(AppError):
    def __init__(self, retry_after: int, what: str) -> None:
        super().__init__(
            429,
            "rate-limited",
            f"Too many requests to {what} from this address; try again in {retry_after} seconds.",
            headers={"Retry-After": str(retry_after)},
            extensions={"retry_after": retry_after},
        )


async def count_request(
    redis: Redis, scope: str, parts: tuple[str, ...], *, limit: int, window_seconds: int
) -> int | None:
    """Count one request under ``scope`` and ``parts`` (e.g. the client's address); the
    seconds until the window ends when this request is over ``limit``, else None."""
    now = time.time()
    window = int(now // window_seconds)
    # Hash the parts: keys are visible to operators, and a hostile value stays short.
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
    key = f"qm:rate:{scope}:{digest}:{window}"
    try:
        async with redis.pipeline(transaction=False) as pipe:
            pipe.incr(key)
            pipe.expire(key, window_seconds + 1)
            count, _ = await pipe.execute()
    except RedisError as exc:
        log.warning("rate_limit_unavailable", scope=scope, error=str(exc))
        return None
    if int(count) <= limit:
        return None
    return max(math.ceil((window + 1) * window_seconds - now), 1)
