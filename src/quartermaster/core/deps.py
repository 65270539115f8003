"""Request dependencies for process-wide resources: settings, Redis, the password hasher,
and who is calling from where."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from redis.asyncio import Redis

from quartermaster.core.redis import get_redis
from quartermaster.core.security import PasswordHasher
from quartermaster.core.settings import Settings

# Dependencies are ``async def`` even when they do not await: FastAPI runs a plain ``def``
# dependency in the thread pool, a hand-off per request that costs more than the work.


async def get_app_settings(request: Request) -> Settings:
    settings = request.app.state.settings
    assert isinstance(settings, Settings)
    return settings


async def get_password_hasher(request: Request) -> PasswordHasher:
    hasher = request.app.state.password_hasher
    assert isinstance(hasher, PasswordHasher)
    return hasher


@dataclass(frozen=True)
class ClientInfo:
    ip: str | None
    user_agent: str | None


async def get_client_info(request: Request) -> ClientInfo:
    # Behind a proxy, uvicorn's --proxy-headers (on in `qm serve`) puts the forwarded
    # address into request.client for trusted proxies only.
    ip = request.client.host if request.client else None
    agent = request.headers.get("user-agent")
    return ClientInfo(ip=ip, user_agent=agent[:400] if agent else None)


async def redis_dependency(request: Request) -> Redis:
    return get_redis(request)


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
RedisDep = Annotated[Redis, Depends(redis_dependency)]
PasswordHasherDep = Annotated[PasswordHasher, Depends(get_password_hasher)]
ClientInfoDep = Annotated[ClientInfo, Depends(get_client_info)]
