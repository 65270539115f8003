"""The process's Redis connection pool."""

from __future__ import annotations

from redis.asyncio import Redis
from starlette.requests import HTTPConnection


def create_redis(url: str) -> Redis:
    redis: Redis = Redis.from_url(
        url,
        decode_responses=False,
        socket_connect_timeout=5,
        socket_timeout=10,
        health_check_interval=30,
    )
    return redis


def get_redis(connection: HTTPConnection) -> Redis:
    redis = connection.app.state.redis
    assert isinstance(redis, Redis)
    return redis
