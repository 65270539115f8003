"""Real SMTP servers for tests (aiosmtpd, in the test's event loop, on a free port), with
switches for the failures the mail sender must tell apart."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import trustme
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Inbox:
    """What the server received, and how it behaves (change it between attempts)."""

    received: list[Received] = field(default_factory=list)
    # address → reply to its RCPT TO (e.g. "550 5.1.1 no such user", "450 4.2.1 busy")
    refuse: dict[str, str] = field(default_factory=dict)
    # the reply to the message's end instead of 250 (e.g. "451 4.3.0 try later"), for
    # the next ``data_refusals`` messages (None: every one)
    data_reply: str | None = None
    data_refusals: int | None = None
    # take the message, then drop the connection before answering: delivery unknown
    drop_after_data: bool = False
    arrived: asyncio.Event = field(default_factory=asyncio.Event)


class _Handler:
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        reply = self.inbox.refuse.get(address)
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        inbox = self.inbox
        if inbox.data_reply is not None and (inbox.data_refusals is None or inbox.data_refusals):
            if inbox.data_refusals is not None:
                inbox.data_refusals -= 1
            return inbox.data_reply
        content = envelope.original_content or b""
        self.inbox.received.append(
            Received(str(envelope.mail_from), list(envelope.rcpt_tos), content)
        )
        self.inbox.arrived.set()
        if self.inbox.drop_after_data and server.transport is not None:
            server.transport.abort()
        return "250 2.0.0 Ok: queued as TEST1"


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str


def _authenticator(credentials: Credentials) -> Any:
    def check(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (
            data.login.decode(),
            data.password.decode(),
        ) == (credentials.username, credentials.password)
        return AuthResult(success=ok, handled=False)

    return check


@dataclass
class SmtpServer:
    port: int
    inbox: Inbox
    ca: trustme.CA | None

    def url(self, scheme: str = "smtp", userinfo: str = "", query: str = "") -> str:
        at = f"{userinfo}@" if userinfo else ""
        return f"{scheme}://{at}127.0.0.1:{self.port}" + (f"?{query}" if query else "")


@asynccontextmanager
async def smtp_server(
    *,
    implicit_tls: bool = False,
    starttls: bool = False,
    credentials: Credentials | None = None,
) -> AsyncIterator[SmtpServer]:
    """An SMTP server on a free 127.0.0.1 port. ``starttls`` offers (and requires)
    STARTTLS; ``implicit_tls`` speaks TLS from the start; ``credentials`` requires AUTH
    (over TLS only, as aiosmtpd insists by default)."""
    inbox = Inbox()
    ca: trustme.CA | None = None
    context: ssl.SSLContext | None = None
    if implicit_tls or starttls:
        ca = trustme.CA()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    loop = asyncio.get_running_loop()
    handler = _Handler(inbox)

    def factory() -> SMTP:
        return SMTP(
            handler,
            hostname="smtp.test",
            loop=loop,
            tls_context=context if starttls else None,
            require_starttls=starttls,
            auth_required=credentials is not None,
            authenticator=_authenticator(credentials) if credentials else None,
            timeout=30,
        )

    server = await loop.create_server(
        factory, "127.0.0.1", 0, ssl=context if implicit_tls else None
    )
    port = server.sockets[0].getsockname()[1]
    try:
        yield SmtpServer(port=port, inbox=inbox, ca=ca)
    finally:
        server.close()
        await server.wait_closed()


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
