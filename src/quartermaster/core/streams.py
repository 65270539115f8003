"""The Redis layout of live events, shared by the outbox relay (writer) and the realtime
gateway (reader).

Per tenant (the ``{…}`` are Redis Cluster hash tags, so one script may touch all three):

- ``qm:events:{tenant}`` — a stream of the tenant's published events, trimmed with
  ``MAXLEN ~``. Entry ids are the *offsets* clients resume from; Redis assigns them at
  publish time, so they increase in delivery order whatever order the database committed in.
- ``qm:epoch:{tenant}`` — a random token created with the first event (``SET NX``). If
  Redis loses the stream (a restart without persistence, a flush), the epoch is lost with
  it and the next event creates a new one: a client resuming with the old epoch is told to
  resync instead of silently missing what was lost.
- ``qm:trimmed:{tenant}`` — set once ``MAXLEN`` has trimmed the stream: only then can an
  offset older than the first entry mean "events were dropped".

All live events of all tenants are published on one pub/sub channel, ``qm:live``, so each
API process holds a single subscription however many sockets it serves.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Any, NamedTuple

from redis.asyncio import Redis

LIVE_CHANNEL = "qm:live"

_OFFSET = re.compile(r"^(\d{1,20})-(\d{1,20})$")


def stream_key(tenant_id: uuid.UUID) -> str:
    return f"qm:events:{{{tenant_id}}}"


def epoch_key(tenant_id: uuid.UUID) -> str:
    return f"qm:epoch:{{{tenant_id}}}"


def trimmed_key(tenant_id: uuid.UUID) -> str:
    return f"qm:trimmed:{{{tenant_id}}}"


def new_epoch() -> str:
    return secrets.token_hex(8)


class Offset(NamedTuple):
    """A stream entry id (``<milliseconds>-<sequence>``), ordered as Redis orders them (a
    tuple: compared in C, which the fan-out does per socket and event)."""

    ms: int
    seq: int

    @classmethod
    def parse(cls, text: str | bytes) -> Offset:
        if isinstance(text, bytes):
            text = text.decode("ascii", "replace")
        match = _OFFSET.match(text)
        if match is None:
            raise ValueError(f"not a stream offset: {text!r} (expected '<ms>-<seq>')")
        return cls(int(match.group(1)), int(match.group(2)))

    def __str__(self) -> str:
        return f"{self.ms}-{self.seq}"


ZERO = Offset(0, 0)


def envelope_parts(
    *,
    tenant_id: uuid.UUID,
    channel: str,
    event_id: str,
    event_type: str,
    occurred_at: str,
    data: str,
) -> tuple[str, str]:
    """The event envelope around its offset and epoch: ``prefix + offset + EPOCH_JOIN +
    epoch + suffix`` is the JSON text clients receive. The relay's Lua script fills in
    offset and epoch (known only inside Redis); the gateway does the same for backlog
    entries, so live and resumed events are the same document. ``data`` is JSON text."""
    prefix = (
        '{"op":"event","tenant_id":'
        + json.dumps(str(tenant_id))
        + ',"channel":'
        + json.dumps(channel)
        + ',"offset":"'
    )
    suffix = (
        '","event_id":'
        + json.dumps(event_id)
        + ',"type":'
        + json.dumps(event_type)
        + ',"occurred_at":'
        + json.dumps(occurred_at)
        + ',"data":'
        + data
        + "}"
    )
    return prefix, suffix


EPOCH_JOIN = '","epoch":"'


def envelope(
    *,
    tenant_id: uuid.UUID,
    channel: str,
    offset: Offset,
    epoch: str,
    event_id: str,
    event_type: str,
    occurred_at: str,
    data: str,
) -> str:
    prefix, suffix = envelope_parts(
        tenant_id=tenant_id,
        channel=channel,
        event_id=event_id,
        event_type=event_type,
        occurred_at=occurred_at,
        data=data,
    )
    return prefix + str(offset) + EPOCH_JOIN + epoch + suffix


@dataclass(frozen=True)
class StreamEntry:
    """One event as the tenant's stream keeps it."""

    offset: Offset
    event_id: str
    event_type: str
    occurred_at: str
    channel: str
    data: str

    @classmethod
    def from_redis(cls, entry_id: bytes | str, fields: dict[Any, Any]) -> StreamEntry:
        def field(name: str) -> str:
            value = fields.get(name.encode(), fields.get(name, b""))
            return value.decode() if isinstance(value, bytes) else str(value)

        return cls(
            offset=Offset.parse(entry_id),
            event_id=field("event_id"),
            event_type=field("type"),
            occurred_at=field("occurred_at"),
            channel=field("channel"),
            data=field("data") or "null",
        )

    def envelope(self, tenant_id: uuid.UUID, epoch: str) -> str:
        return envelope(
            tenant_id=tenant_id,
            channel=self.channel,
            offset=self.offset,
            epoch=epoch,
            event_id=self.event_id,
            event_type=self.event_type,
            occurred_at=self.occurred_at,
            data=self.data,
        )


async def ensure_epoch(redis: Redis, tenant_id: uuid.UUID) -> str:
    """The tenant's current epoch, created if the tenant has none yet (exactly as the relay
    does before its first event, so whoever comes first wins and both agree)."""
    key = epoch_key(tenant_id)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.set(key, new_epoch(), nx=True)
        pipe.get(key)
        _, value = await pipe.execute()
    return value.decode() if isinstance(value, bytes) else str(value)
