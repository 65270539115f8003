"""Request dependencies for process-wide resources: settings, Redis, the password hasher,
and who is calling from where."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from redis.asyncio import Redis

from quartermaster.core.redis import get_redis
from quartermaster.core.security import PasswordHasher
from quartermaster.core.settings import IpNetwork, Settings

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


def client_ip(
    peer: str | None, forwarded_for: list[str], trusted: tuple[IpNetwork, ...]
) -> str | None:
    """The client's address: the TCP peer, unless the peer is a trusted proxy; then the
    right-most X-Forwarded-For hop that is not a trusted proxy (each proxy appends the
    address it was called from, so hops left of the first untrusted one are the client's
    own claims and prove nothing). Nothing is trusted by default (QM_TRUSTED_PROXIES)."""
    if peer is None or not trusted or not _trusted(peer, trusted):
        return peer
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",") if hop.strip()]
    nearest = peer
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return nearest  # a proxy we trust wrote garbage: the last address we know
        if not _trusted(hop, trusted):
            return hop
        nearest = hop
    return nearest


def _trusted(address: str, trusted: tuple[IpNetwork, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


async def get_client_info(request: Request) -> ClientInfo:
    settings = request.app.state.settings
    peer = request.client.host if request.client else None
    ip = client_ip(
        peer, request.headers.getlist("x-forwarded-for"), settings.trusted_proxy_networks
    )
    agent = request.headers.get("user-agent")
    return ClientInfo(ip=ip, user_agent=agent[:400] if agent else None)


async def redis_dependency(request: Request) -> Redis:
    return get_redis(request)


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
RedisDep = Annotated[Redis, Depends(redis_dependency)]
PasswordHasherDep = Annotated[PasswordHasher, Depends(get_password_hasher)]
ClientInfoDep = Annotated[ClientInfo, Depends(get_client_info)]
