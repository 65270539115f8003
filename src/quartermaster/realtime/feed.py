"""One client's feed: the channels it follows, a bounded queue, and resume without gaps or
duplicates.

The hub (one Redis subscription per process) offers every live event of the tenant to
the feed, which queues those of the channels it wants. A single consumer (the socket's
or stream's writer) takes items off the queue in order and turns them into frames.

Why resume is exact. A ``subscribe`` adds its channels to :attr:`Feed.wanted` and queues
the command *in the same step*, so every live event published from then on is queued
behind the command. When the writer reaches the command it reads the stream from the
client's offset (``XRANGE (since +``): that covers everything published before, and
possibly some of what is already queued. The feed remembers, per channel, the offset of
the last event it sent and drops anything not newer, so the queued duplicates vanish and
nothing falls between the backlog and the live tail. A fresh subscription (no ``since``)
draws the same line at the stream's head. Offsets are stream ids assigned by Redis at
publish time, in live delivery order (see core/relay.py), so "newer" is well defined.

Backpressure: the queue is bounded; when a client cannot keep up and it fills, the feed
ends with 1013 and the client reconnects with its last offset — the stream, not this
process's memory, holds what it missed.

The direct path: a WebSocket feed may have a :class:`~quartermaster.realtime.wire.DirectWriter`.
While the feed is *live* — its writer waits on an empty queue, the event's channel is
subscribed in the current epoch, the transport is writable — :meth:`Feed.offer` does
in place exactly what the writer would do with the event (the same offset check) and
writes the hub's pre-encoded frame itself, without a queue or a task wake-up. Whenever
any of that is not so (a subscription being replayed, a reply queued, a full socket
buffer), the event is queued as before and order is kept by the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

from quartermaster.core.streams import ZERO, Offset
from quartermaster.realtime.repository import LiveStreams, StreamState
from quartermaster.realtime.schemas import Since, message
from quartermaster.realtime.wire import DirectWriter, text_frame

GOING_AWAY = 1001  # the server is shutting down
INTERNAL_ERROR = 1011
TRY_AGAIN_LATER = 1013  # a slow consumer, cut off
TOKEN_EXPIRED = 4401  # the same code as a refused token: authenticate again

BACKLOG_PAGE = 500


@dataclass(frozen=True)
class LiveEvent:
    """An event as published on ``qm:live``: routing fields and the text to forward."""

    tenant_id: uuid.UUID
    channel: str
    offset: Offset
    epoch: str
    text: str

    @classmethod
    def parse(cls, raw: bytes | str) -> LiveEvent:
        text = raw.decode() if isinstance(raw, bytes) else raw
        body = json.loads(text)
        return cls(
            tenant_id=uuid.UUID(body["tenant_id"]),
            channel=str(body["channel"]),
            offset=Offset.parse(body["offset"]),
            epoch=str(body["epoch"]),
            text=text,
        )

    @cached_property
    def frame(self) -> bytes:
        """The WebSocket frame of the event, built once for every socket."""
        return text_frame(self.text.encode())


@dataclass(frozen=True)
class Frame:
    """One message for the client. ``position`` (``<epoch>:<offset>``) is set on frames a
    client may resume after; Server-Sent Events use it as the event id."""

    text: str
    position: str | None = None


class _Subscribe(NamedTuple):
    channels: tuple[str, ...]
    since: Since | None


class _Reply(NamedTuple):
    text: str


class _Resume:
    """The hub may have missed messages (it reconnected to Redis): catch up from the stream."""


class _Stop:
    pass


class _Heartbeat:
    """Nothing was sent for a while: the consumer sends its transport's heartbeat."""


RESUME = _Resume()
STOP = _Stop()
HEARTBEAT = _Heartbeat()

QueueItem = LiveEvent | _Subscribe | _Reply | _Resume | _Stop | _Heartbeat


def position(epoch: str, offset: Offset) -> str:
    return f"{epoch}:{offset}"


class Feed:
    def __init__(
        self,
        tenant_id: uuid.UUID,
        streams: LiveStreams,
        *,
        queue_size: int,
        backlog_page: int = BACKLOG_PAGE,
    ) -> None:
        self.tenant_id = tenant_id
        self._streams = streams
        self._queue: asyncio.Queue[QueueItem] = asyncio.Queue(maxsize=queue_size)
        self._backlog_page = backlog_page
        # What the hub queues for us (changed by the client's messages, at once) …
        self.wanted: set[str] = set()
        # … and what has been subscribed in queue order (changed by the consumer).
        self._active: set[str] = set()
        # Per channel, the offset of the last event sent or the line drawn at subscription.
        self._last: dict[str, Offset] = {}
        self.epoch: str | None = None
        self.ended = asyncio.Event()
        self.end_code: int | None = None
        self.end_reason = ""
        # When the consumer last took something off the queue (for heartbeats).
        self.last_active = time.monotonic()
        # Set for a WebSocket the server lets us write to directly (see wire.py).
        self.direct: DirectWriter | None = None
        # True while the consumer waits on an empty queue and a direct writer is set: the
        # state in which offer() may write an event itself (cleared by anything queued).
        self._open_for_direct = False

    # -- producers: the hub and the client's messages (synchronous, never block) --------

    def offer(self, event: LiveEvent, now: float | None = None) -> bool:
        """Take a live event if the client follows its channel: write it at once when the
        feed is live and its socket can take it (True), queue it otherwise. ``now`` is
        the hub's clock reading for the whole fan-out."""
        channel = event.channel
        if channel not in self.wanted:
            return False
        direct = self.direct
        if (
            self._open_for_direct
            and direct is not None
            and channel in self._active
            and event.epoch == self.epoch
        ):
            # What the consumer would do with it (see _live), done here: nothing is ahead.
            last = self._last.get(channel)
            if last is not None and event.offset <= last:
                return False  # already sent from the backlog
            if direct.send(event.frame):
                self._last[channel] = event.offset
                self.last_active = time.monotonic() if now is None else now
                return True
        self._put(event)
        return False

    def offer_all(self, events: Sequence[LiveEvent], joined: bytes, now: float) -> int:
        """Several live events in publish order (the hub caught up with a backlog): those
        written directly go out in one write (``joined``, all their frames, when that is
        every one of them). The number written directly."""
        direct = self.direct
        if direct is None or not self._open_for_direct or not direct.ready():
            return sum(self.offer(event, now) for event in events)
        frames: list[bytes] = []
        written = 0
        for event in events:
            channel = event.channel
            if channel not in self.wanted:
                continue
            if self._open_for_direct and channel in self._active and event.epoch == self.epoch:
                last = self._last.get(channel)
                if last is None or event.offset > last:
                    self._last[channel] = event.offset
                    frames.append(event.frame)
                continue
            # This one needs the writer (it stops the direct path): what was taken so far
            # goes out first, so the order holds.
            if frames:
                direct.write(b"".join(frames))
                written, frames = written + len(frames), []
            self._put(event)
        if frames:
            direct.write(joined if len(frames) == len(events) else b"".join(frames))
            written += len(frames)
        if written:
            self.last_active = now
        return written

    def subscribe(self, channels: Sequence[str], since: Since | None) -> None:
        self.wanted.update(channels)
        self._put(_Subscribe(tuple(dict.fromkeys(channels)), since))

    def unsubscribe(self, channels: Sequence[str]) -> None:
        for channel in channels:
            self.wanted.discard(channel)
            self._active.discard(channel)
            self._last.pop(channel, None)
        self._put(_Reply(message("unsubscribed", channels=list(dict.fromkeys(channels)))))

    def reply(self, text: str) -> None:
        self._put(_Reply(text))

    def resume(self) -> None:
        """Live messages may have been lost (the hub's Redis connection dropped)."""
        if self.wanted:
            self._put(RESUME)

    def heartbeat_if_idle(self, now: float, idle_seconds: float) -> None:
        """Called for every feed by the gateway's one heartbeat timer (not a timer per
        connection)."""
        if now - self.last_active >= idle_seconds and self._queue.empty():
            self.last_active = now
            self._put(HEARTBEAT)

    def end(self, code: int, reason: str) -> None:
        if self.ended.is_set():
            return
        self._open_for_direct = False
        self.end_code, self.end_reason = code, reason
        self.ended.set()
        # if the queue is full, the consumer sees `ended` before its next item anyway
        with contextlib.suppress(asyncio.QueueFull):
            self._queue.put_nowait(STOP)

    def _put(self, item: QueueItem) -> None:
        if self.ended.is_set():
            return
        self._open_for_direct = False  # the consumer has something to do first
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            self.end(TRY_AGAIN_LATER, "too slow: reconnect and resume from your last offset")

    # -- the consumer ----------------------------------------------------------------------

    async def next_item(self) -> QueueItem:
        """The next item; STOP once the feed has ended."""
        if self.ended.is_set():
            return STOP
        self._open_for_direct = self.direct is not None and self._queue.empty()
        try:
            item = await self._queue.get()
        finally:
            self._open_for_direct = False
        self.last_active = time.monotonic()
        return STOP if self.ended.is_set() else item

    async def frames(self, item: QueueItem) -> AsyncIterator[Frame]:
        if isinstance(item, LiveEvent):
            for frame in self._live(item):
                yield frame
        elif isinstance(item, _Subscribe):
            async for frame in self._subscribe(item):
                yield frame
        elif isinstance(item, _Resume):
            async for frame in self._resume():
                yield frame
        elif isinstance(item, _Reply):
            yield Frame(item.text)

    def live_frames(self, event: LiveEvent) -> list[Frame]:
        """The frames of a live event (no I/O: the common case, without a generator)."""
        return self._live(event)

    def _live(self, event: LiveEvent) -> list[Frame]:
        channel = event.channel
        if channel not in self._active or channel not in self.wanted:
            return []
        frames: list[Frame] = []
        if event.epoch != self.epoch:
            # Redis lost the streams and a new epoch began without this process noticing
            # a disconnect (e.g. a flush): what came before is gone for every channel.
            frames.extend(self._resync(sorted(self._active), None))
            self.epoch = event.epoch
            self._last.clear()
        last = self._last.get(channel)
        if last is not None and event.offset <= last:
            return frames  # already sent from the backlog
        self._last[channel] = event.offset
        frames.append(Frame(event.text, position(event.epoch, event.offset)))
        return frames

    async def _subscribe(self, command: _Subscribe) -> AsyncIterator[Frame]:
        names = [name for name in command.channels if name in self.wanted]
        state = await self._streams.state(self.tenant_id)
        if self.epoch is not None and state.epoch != self.epoch:
            others = sorted(self._active - set(names))
            for frame in self._resync(others, state):
                yield frame
        self.epoch = state.epoch
        since = command.since
        if (
            since is None
            or since.epoch != state.epoch
            or not state.can_resume_after(since.position)
        ):
            # From now on: everything up to the head counts as before the subscription.
            for name in names:
                if name not in self._active:
                    self._last[name] = state.head
            self._active.update(names)
            yield self._subscribed(names, state.epoch, state.head)
            if since is not None:
                for frame in self._resync(names, state):
                    yield frame
            return
        start = since.position
        for name in names:
            previous = self._last.get(name, ZERO) if name in self._active else ZERO
            self._last[name] = max(previous, start)
        self._active.update(names)
        yield self._subscribed(names, state.epoch, start)
        async for frame in self._replay(start, set(names)):
            yield frame

    async def _resume(self) -> AsyncIterator[Frame]:
        if not self._active:
            return
        state = await self._streams.state(self.tenant_id)
        channels = sorted(self._active)
        floor = min(self._last.get(name, state.head) for name in channels)
        if state.epoch != self.epoch or not state.can_resume_after(floor):
            for frame in self._resync(channels, state):
                yield frame
            self.epoch = state.epoch
            return
        async for frame in self._replay(floor, set(channels)):
            yield frame

    async def _replay(self, after: Offset, channels: set[str]) -> AsyncIterator[Frame]:
        """Every stream entry after ``after`` on ``channels`` not sent yet, in order."""
        assert self.epoch is not None
        cursor = after
        while True:
            entries = await self._streams.read_after(
                self.tenant_id, cursor, count=self._backlog_page
            )
            for entry in entries:
                cursor = entry.offset
                name = entry.channel
                # the client may unsubscribe while the backlog is being sent
                if name not in channels or name not in self._active or name not in self.wanted:
                    continue
                last = self._last.get(name)
                if last is not None and entry.offset <= last:
                    continue
                self._last[name] = entry.offset
                yield Frame(
                    entry.envelope(self.tenant_id, self.epoch), position(self.epoch, entry.offset)
                )
            if len(entries) < self._backlog_page:
                return

    def _resync(self, channels: Iterable[str], state: StreamState | None) -> list[Frame]:
        """The client must refetch these channels' state over REST; afterwards it is in
        step at the stream's head (where an SSE client will resume)."""
        frames = []
        for name in channels:
            if state is not None:
                self._last[name] = state.head
            frames.append(
                Frame(
                    message("resync_required", channel=name),
                    position(state.epoch, state.head) if state is not None else None,
                )
            )
        return frames

    @staticmethod
    def _subscribed(names: list[str], epoch: str, offset: Offset) -> Frame:
        return Frame(
            message("subscribed", channels=names, epoch=epoch, offset=str(offset)),
            position(epoch, offset),
        )
