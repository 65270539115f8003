"""Writing an already-encoded event straight to a WebSocket's transport.

The ordinary path for a message is the socket's writer task → Starlette → the ASGI
``send`` → Uvicorn → the ``websockets`` framing → ``transport.write``: a task wake-up and
some tens of microseconds of Python per socket and message. For 1,000 sockets of a tenant
that is most of a core at 100 events/s. A server → client frame is not masked (RFC 6455
§5.1), so the same bytes serve every socket: the hub frames an event once and, for a feed
that is *live* (subscribed, nothing queued, its writer idle, the transport writable),
writes those bytes itself (see ``Feed.offer``).

PRIVATE INTERNAL (Uvicorn's ``WebSocketsSansIOProtocol``: its ``transport``, ``writable``,
``close_sent``, ``handshake_complete``; pyproject.toml caps Uvicorn below 0.55 for it).
Measured gain (2026-12-02, 100 sockets x 60 events, server and clients in one process):
18-20 µs of CPU per socket and event on this path against 28-29 µs through ASGI, ~10 µs
per socket and event, about a core for 1,000 sockets at 100 events/s. When Uvicorn moves
these, :func:`direct_writer` returns None and every socket keeps the ASGI path (correct,
slower); ``tests/realtime/test_fanout.py::TestPaths`` then fails, as it asserts the
direct path's writes.

Only Uvicorn's default WebSocket implementation (``websockets-sansio``) is recognised, by
the class of the ASGI ``receive`` callable's owner (middleware wraps ``send``, never
``receive``); for any other server or implementation :func:`direct_writer` returns None
and the socket keeps the ordinary path, which every guarantee was written for. Writing
around the protocol object is safe there because it keeps no state about data frames we
send whole, and an uncompressed message is valid even when permessage-deflate was
negotiated (RFC 7692 §6: RSV1 unset means "not compressed").
"""

from __future__ import annotations

import asyncio
import struct
from typing import Any

from starlette.websockets import WebSocket

_TEXT_FIN = 0x81


def text_frame(payload: bytes) -> bytes:
    """One unmasked, unfragmented text frame (RFC 6455 §5.2) carrying ``payload``."""
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", _TEXT_FIN, size)
    elif size < 65536:
        header = struct.pack("!BBH", _TEXT_FIN, 126, size)
    else:
        header = struct.pack("!BBQ", _TEXT_FIN, 127, size)
    return header + payload


class DirectWriter:
    """The transport of one accepted WebSocket: writes a frame if the socket can take it
    now. Called per socket and event, so it keeps the bound methods it needs."""

    __slots__ = ("_is_closing", "_protocol", "_writable", "_write")

    def __init__(self, protocol: Any, transport: Any) -> None:
        self._protocol = protocol
        self._writable: asyncio.Event = protocol.writable
        self._write = transport.write
        self._is_closing = transport.is_closing

    def ready(self) -> bool:
        """Open, and below the transport's high-water mark (a client that stops reading
        soon is not: its events then queue for the ordinary path, which waits, then cuts
        the client off with 1013)."""
        return bool(
            self._writable.is_set() and not self._protocol.close_sent and not self._is_closing()
        )

    def write(self, frames: bytes) -> None:
        self._write(frames)

    def send(self, frame: bytes) -> bool:
        """Write ``frame`` if :meth:`ready`; False (nothing written) otherwise."""
        if self._writable.is_set() and not self._protocol.close_sent and not self._is_closing():
            self._write(frame)
            return True
        return False


def _sansio_protocol_class() -> type[Any] | None:
    try:
        from uvicorn.protocols.websockets.websockets_sansio_impl import (
            WebSocketsSansIOProtocol,
        )
    except ImportError:  # another server, or a Uvicorn without it
        return None
    return WebSocketsSansIOProtocol


_SANSIO = _sansio_protocol_class()
_REQUIRED = ("transport", "writable", "close_sent", "disconnected", "handshake_complete")


def direct_writer(websocket: WebSocket) -> DirectWriter | None:
    """A writer for an accepted socket served by Uvicorn's sans-I/O protocol, else None
    (the caller keeps the ASGI path)."""
    receive = getattr(websocket, "_receive", None)
    protocol: Any = getattr(receive, "__self__", None)
    if protocol is None or _SANSIO is None or type(protocol) is not _SANSIO:
        return None
    if not all(hasattr(protocol, name) for name in _REQUIRED):
        return None  # a Uvicorn whose internals moved: stay on the ASGI path
    transport = protocol.transport
    # uvloop's transports are not asyncio.Transport subclasses: check what is used
    if not (
        callable(getattr(transport, "write", None))
        and callable(getattr(transport, "is_closing", None))
        and isinstance(protocol.writable, asyncio.Event)
    ):
        return None
    if not protocol.handshake_complete or getattr(protocol, "initial_response", None):
        return None
    return DirectWriter(protocol, transport)
