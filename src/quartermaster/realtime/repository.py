"""Every read of the tenants' Redis streams (the relay writes them; see core/streams.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from redis.asyncio import Redis

from quartermaster.core.streams import (
    ZERO,
    Offset,
    StreamEntry,
    epoch_key,
    new_epoch,
    stream_key,
    trimmed_key,
)


@dataclass(frozen=True)
class StreamState:
    epoch: str
    # The newest entry's offset (ZERO for an empty stream) and the oldest one still kept.
    head: Offset
    first: Offset | None
    # True once MAXLEN has dropped entries: only then can an old offset mean a gap.
    trimmed: bool

    def can_resume_after(self, offset: Offset) -> bool:
        """Whether every event after ``offset`` is still in the stream."""
        if self.first is None:
            # Nothing kept: fine for a client that had seen nothing, a loss otherwise.
            return offset == ZERO
        return not (self.trimmed and offset < self.first)


class LiveStreams:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def state(self, tenant_id: uuid.UUID) -> StreamState:
        """The tenant's epoch (created if it has none, exactly as the relay would) and the
        stream's bounds, in one round trip."""
        key = stream_key(tenant_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(epoch_key(tenant_id), new_epoch(), nx=True)
            pipe.get(epoch_key(tenant_id))
            pipe.xrevrange(key, "+", "-", count=1)
            pipe.xrange(key, "-", "+", count=1)
            pipe.exists(trimmed_key(tenant_id))
            _, epoch, last, first, trimmed = await pipe.execute()
        return StreamState(
            epoch=epoch.decode() if isinstance(epoch, bytes) else str(epoch),
            head=Offset.parse(last[0][0]) if last else ZERO,
            first=Offset.parse(first[0][0]) if first else None,
            trimmed=bool(trimmed),
        )

    async def read_after(
        self, tenant_id: uuid.UUID, after: Offset, *, count: int
    ) -> list[StreamEntry]:
        """Up to ``count`` entries with an offset strictly greater than ``after``."""
        entries = await self._redis.xrange(
            stream_key(tenant_id), min=f"({after}", max="+", count=count
        )
        return [StreamEntry.from_redis(entry_id, fields) for entry_id, fields in entries]
