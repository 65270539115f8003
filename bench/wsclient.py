"""Lean benchmark clients: WebSocket clients and raw Redis pub/sub subscribers as plain
asyncio Protocols on uvloop, in a process of their own (``bench/realtime.py``).

1,000 clients receiving 100 events/s are 100,000 messages/s: with a full client library
(``websockets``, ``redis.asyncio``: a task per connection, a parser object, a queue) the
client process saturates its core and the figures measure the harness. Here both kinds
do the same minimum per ``data_received``: take the time, cut the frames (WebSocket
frames or RESP pushes) out of the bytes, and record (time, which event) in arrays;
everything else happens after the run. A chunk holding several messages timestamps
them all with its arrival; a partial one waits for the rest.

WebSocket: a hand-made RFC 6455 handshake (no extensions, so no permessage-deflate), masked
client frames, pings answered. Redis: RESP2 ``SUBSCRIBE``, ``message`` pushes only.

The process protocol (over a ``multiprocessing`` pipe): the parent sends a
:class:`Job`; the child connects everything and answers ``"ready"``; ``"start"`` opens
the CPU window, ``"stop"`` closes it and the child answers with a :class:`WsResult` or
:class:`RawResult`.
"""

from __future__ import annotations

import asyncio
import base64
import multiprocessing
import os
import time
from array import array
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, cast
from urllib.parse import unquote, urlsplit

_time = time.time
_BATCH = b'"batch_id"'


def _mask(payload: bytes, opcode: int = 0x1) -> bytes:
    """One masked client frame (RFC 6455 §5.3); small control and text messages only."""
    key = os.urandom(4)
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    size = len(payload)
    header = (
        bytes([0x80 | opcode, 0x80 | size])
        if size < 126
        else bytes([0x80 | opcode, 0x80 | 126, size >> 8, size & 0xFF])
    )
    return header + key + masked


class WsRecorder(asyncio.Protocol):
    """One WebSocket client: handshake, subscribe, then record each event's arrival."""

    def __init__(self, index: dict[bytes, int], host: str, port: int, path: str) -> None:
        self._index = index
        self._request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n\r\n"
        ).encode()
        self.transport: asyncio.Transport | None = None
        self._buffer = b""
        self._handshaken = False
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.subscribed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.times = array("d")
        self.events = array("i")
        self.other = 0  # messages that are not events (replies, heartbeats)
        self.close_code: int | None = None
        self.message_bytes = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's: not a subclass
        transport.write(self._request)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(f"closed during the handshake: {exc}"))
        if self.close_code is None:
            self.close_code = 1006

    def send_text(self, text: str) -> None:
        assert self.transport is not None
        self.transport.write(_mask(text.encode()))

    def data_received(self, data: bytes) -> None:
        now = _time()
        if self._buffer:
            data = self._buffer + data
            self._buffer = b""
        pos = 0
        if not self._handshaken:
            end = data.find(b"\r\n\r\n")
            if end < 0:
                self._buffer = data
                return
            if not data.startswith(b"HTTP/1.1 101"):
                self.opened.set_exception(ConnectionError(data[:200].decode("latin-1")))
                return
            self._handshaken = True
            self.opened.set_result(None)
            pos = end + 4
        total = len(data)
        while total - pos >= 2:
            size = data[pos + 1] & 0x7F
            head = 2
            if size == 126:
                if total - pos < 4:
                    break
                size = (data[pos + 2] << 8) | data[pos + 3]
                head = 4
            elif size == 127:
                if total - pos < 10:
                    break
                size = int.from_bytes(data[pos + 2 : pos + 10], "big")
                head = 10
            end = pos + head + size
            if end > total:
                break
            opcode = data[pos] & 0x0F
            if opcode == 0x1:
                self._text(now, data, pos + head, end)
            elif opcode == 0x9:  # a protocol ping: answer, or the server drops us
                assert self.transport is not None
                self.transport.write(_mask(data[pos + head : end], 0xA))
            elif opcode == 0x8:
                self.close_code = int.from_bytes(data[pos + head : pos + head + 2], "big")
            pos = end
        if pos < total:
            self._buffer = data[pos:]

    def _text(self, now: float, data: bytes, start: int, end: int) -> None:
        at = data.find(_BATCH, start, end)
        if at < 0:
            self.other += 1
            if not self.subscribed.done() and b'"subscribed"' in data[start:end]:
                self.subscribed.set_result(None)
            return
        quote = data.find(b'"', at + 10, end)
        batch = data[quote + 1 : quote + 37]
        i = self._index.get(batch)
        if i is None:
            i = self._index[batch] = len(self._index)
            self.message_bytes = end - start
        self.times.append(now)
        self.events.append(i)


class RespRecorder(asyncio.Protocol):
    """One Redis connection subscribed to one channel; records each message's latency
    (arrival - the publish time the message starts with, ``<unix time>|…``)."""

    def __init__(self, channel: str, password: str = "") -> None:
        name, secret = channel.encode(), password.encode()
        auth = b"*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n" % (len(secret), secret) if secret else b""
        self._command = auth + b"*2\r\n$9\r\nSUBSCRIBE\r\n$%d\r\n%s\r\n" % (len(name), name)
        self._prefix = b"*3\r\n$7\r\nmessage\r\n$%d\r\n%s\r\n$" % (len(name), name)
        self._buffer = b""
        self._subscribed = False
        self.subscribed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.latencies = array("d")
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's: not a subclass
        transport.write(self._command)

    def data_received(self, data: bytes) -> None:
        now = _time()
        if self._buffer:
            data = self._buffer + data
            self._buffer = b""
        pos = 0
        if not self._subscribed:
            end = data.find(b"\r\n:1\r\n")  # the subscribe reply ends with the count
            if end < 0:
                self._buffer = data
                return
            self._subscribed = True
            self.subscribed.set_result(None)
            pos = end + 6
        prefix, skip, total = self._prefix, len(self._prefix), len(data)
        while pos < total:
            if not data.startswith(prefix, pos):
                if total - pos < skip:
                    break
                raise ValueError(f"unexpected RESP: {data[pos : pos + 80]!r}")
            start = pos + skip
            crlf = data.find(b"\r\n", start)
            if crlf < 0:
                break
            body = crlf + 2
            end = body + int(data[start:crlf])
            if end + 2 > total:
                break
            self.latencies.append((now - float(data[body : data.index(b"|", body, end)])) * 1000)
            pos = end + 2
        if pos < total:
            self._buffer = data[pos:]


# --- the client process ------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    kind: str  # "ws" or "raw"
    host: str
    port: int
    count: int
    path: str = ""  # ws: the URL path with its query
    subscribe: str = ""  # ws: the subscribe message
    channel: str = ""  # raw: the pub/sub channel
    password: str = ""  # raw: Redis AUTH


@dataclass
class WsResult:
    batches: list[bytes]  # by event index
    times: list[array[float]] = field(default_factory=list)  # per client
    events: list[array[int]] = field(default_factory=list)  # per client, event indexes
    other: int = 0
    close_codes: dict[int, int] = field(default_factory=dict)
    message_bytes: int = 0
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0


@dataclass
class RawResult:
    latencies: list[array[float]]
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0


async def _open(job: Job, index: dict[bytes, int]) -> list[Any]:
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(64)

    async def one_ws() -> WsRecorder:
        async with gate:
            _, client = await loop.create_connection(
                lambda: WsRecorder(index, job.host, job.port, job.path), job.host, job.port
            )
            await asyncio.wait_for(client.opened, 60)
            client.send_text(job.subscribe)
            await asyncio.wait_for(client.subscribed, 60)
            return client

    async def one_raw() -> RespRecorder:
        async with gate:
            _, client = await loop.create_connection(
                lambda: RespRecorder(job.channel, job.password), job.host, job.port
            )
            await asyncio.wait_for(client.subscribed, 60)
            return client

    maker = one_ws if job.kind == "ws" else one_raw
    return list(await asyncio.gather(*(maker() for _ in range(job.count))))


async def _serve(pipe: Connection) -> None:
    job: Job = pipe.recv()
    index: dict[bytes, int] = {}
    clients = await _open(job, index)
    loop = asyncio.get_running_loop()
    commands: asyncio.Queue[str] = asyncio.Queue()
    loop.add_reader(pipe.fileno(), lambda: commands.put_nowait(pipe.recv()))
    os.set_blocking(pipe.fileno(), True)  # uvloop made it non-blocking; results are large
    pipe.send("ready")

    def received() -> int:
        return sum(len(c.events if job.kind == "ws" else c.latencies) for c in clients)

    assert await commands.get() == "start"
    cpu0, wall0, before = time.process_time(), time.monotonic(), received()
    while (command := await commands.get()) == "count":  # messages received since "start"
        pipe.send(received() - before)
    assert command == "stop"
    cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    loop.remove_reader(pipe.fileno())
    if job.kind == "raw":
        pipe.send(RawResult([c.latencies for c in clients], cpu, wall))
    else:
        codes: dict[int, int] = {}
        for c in clients:
            if c.close_code is not None:
                codes[c.close_code] = codes.get(c.close_code, 0) + 1
        pipe.send(
            WsResult(
                batches=sorted(index, key=index.__getitem__),
                times=[c.times for c in clients],
                events=[c.events for c in clients],
                other=sum(c.other for c in clients),
                close_codes=codes,
                message_bytes=max((c.message_bytes for c in clients), default=0),
                cpu_seconds=cpu,
                wall_seconds=wall,
            )
        )
    for c in clients:
        if c.transport is not None:
            c.transport.close()


def client_process(pipe: Connection, cpu: int | None) -> None:
    """The child's entry point (``multiprocessing.Process(target=client_process)``)."""
    import uvloop

    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    uvloop.run(_serve(pipe))


# --- the parent side ----------------------------------------------------------------------


class Clients:
    """The lean clients' process (this module, spawned), pinned to ``cpu``."""

    def __init__(self, job: Job, cpu: int | None) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipe, child = context.Pipe()
        self.process = context.Process(target=client_process, args=(child, cpu), daemon=True)
        self.process.start()
        self.pipe.send(job)

    async def ask(self, command: str | None = None) -> Any:
        if command is not None:
            self.pipe.send(command)
        return await asyncio.to_thread(self.pipe.recv)

    async def ready(self) -> None:
        answer = await self.ask()
        assert answer == "ready", answer

    async def wait_for(self, expected: int, deadline: float) -> None:
        """Until the clients hold ``expected`` messages, or the deadline passes."""
        while time.monotonic() < deadline:
            if await self.ask("count") >= expected:
                return
            await asyncio.sleep(0.2)

    async def stop(self) -> Any:
        result = await self.ask("stop")
        self.process.join(30)
        return result


def redis_address(url: str) -> tuple[str, int, str]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 6379, unquote(parts.password or "")
