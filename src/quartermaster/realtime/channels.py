"""Channels: which events a client can subscribe to, and who may read them.

Channel names have the form ``<topic>:<kind>``. A module that publishes events a client
should see live adds a line here (its event types, or a ``prefix.*``) and the permission
that reads the same data over REST. The relay receives :func:`channel_of` through
``realtime.public``; core never imports this table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from quartermaster.identity.public import Permission, Principal


@dataclass(frozen=True)
class Channel:
    name: str
    # Exact event types, or "<prefix>.*" for every type under a prefix.
    event_types: tuple[str, ...]
    # Reading the channel needs what reading the same data over REST needs.
    permission: Permission

    def carries(self, event_type: str) -> bool:
        return any(
            event_type.startswith(pattern[:-1]) if pattern.endswith(".*") else event_type == pattern
            for pattern in self.event_types
        )


CHANNELS: tuple[Channel, ...] = (
    Channel(
        "inventory:updates",
        ("inventory.stock.moved", "inventory.reservation.*"),
        Permission.INVENTORY_READ,
    ),
    Channel("price:updates", ("catalog.price.changed",), Permission.CATALOG_READ),
    Channel("stock:alerts", ("inventory.alert.*",), Permission.INVENTORY_READ),
    Channel("catalog:updates", ("catalog.product.*",), Permission.CATALOG_READ),
    # Job progress of the tenant (imports, exports, digests): every member may follow it.
    Channel("jobs:updates", ("jobs.job.*",), Permission.TENANT_READ),
    # Every ticket change (created, updated, status, comments, SLA breaches, ratings…) and
    # agents marked away or back (the desk's agent lists).
    Channel(
        "tickets:updates",
        ("servicedesk.ticket.*", "servicedesk.agent.*"),
        Permission.TICKETS_READ,
    ),
    # Knowledge base articles and collections (created, updated, published, archived…).
    Channel(
        "knowledge:updates",
        ("knowledge.article.*", "knowledge.collection.*"),
        Permission.KNOWLEDGE_READ,
    ),
)

_BY_NAME = {channel.name: channel for channel in CHANNELS}


def channel_of(event_type: str) -> str | None:
    """The channel that carries an event type, or None if no client can subscribe to it
    (the relay then leaves it out of Redis)."""
    for channel in CHANNELS:
        if channel.carries(event_type):
            return channel.name
    return None


@dataclass(frozen=True)
class ChannelRefusal:
    unknown: tuple[str, ...]
    forbidden: tuple[str, ...]

    @property
    def detail(self) -> str:
        parts = []
        if self.unknown:
            known = ", ".join(sorted(_BY_NAME))
            parts.append(f"unknown channel(s): {', '.join(self.unknown)} (known: {known})")
        if self.forbidden:
            parts.append(f"your role may not read: {', '.join(self.forbidden)}")
        return "; ".join(parts)


def refuse_channels(
    principal: Principal,
    names: Iterable[str],
    channels: Iterable[Channel] = CHANNELS,
) -> ChannelRefusal | None:
    """None when the principal may read every named channel; otherwise what is wrong."""
    table = {channel.name: channel for channel in channels}
    unknown = tuple(name for name in names if name not in table)
    forbidden = tuple(
        name for name in names if name in table and not principal.can(table[name].permission)
    )
    if unknown or forbidden:
        return ChannelRefusal(unknown=unknown, forbidden=forbidden)
    return None
