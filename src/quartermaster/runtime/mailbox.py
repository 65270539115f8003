"""The local capture mailbox of embedded `qm serve`: an SMTP server (aiosmtpd) on a free
127.0.0.1 port that delivers nothing, only keeps every message it receives in a Maildir
under the data dir (``QM_DATA_DIR/mailbox``), so a developer can read what Quartermaster
sent — invitations, password resets — without a mail server. `qm serve` starts it when
QM_SMTP_URL is unset and points QM_SMTP_URL at it.
"""

from __future__ import annotations

import mailbox
import os
import socket
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import structlog
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

logger = structlog.get_logger(__name__)


class _KeepInMaildir:
    def __init__(self, directory: Path) -> None:
        self.maildir = mailbox.Maildir(directory, create=True)

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        content = envelope.original_content or b""
        headers = (
            f"X-QM-Envelope-From: {envelope.mail_from}\r\n"
            f"X-QM-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n"
        ).encode()
        key = self.maildir.add(headers + content)
        logger.info("mailbox.captured", to=envelope.rcpt_tos, file=key)
        return f"250 2.0.0 Kept in the capture mailbox as {key}"


class _OnBoundSocket(Controller):
    """aiosmtpd's threaded controller, serving a socket bound beforehand (port 0: the
    kernel picks a free port, so there is no window for someone else to take it)."""

    def __init__(self, handler: Any, sock: socket.socket) -> None:
        host, port = sock.getsockname()[:2]
        super().__init__(handler, hostname=host, port=port, server_hostname="qm-mailbox")
        self._sock = sock

    def _create_server(self) -> Awaitable[Any]:
        return self.loop.create_server(self._factory_invoker, sock=self._sock)

    def stop(self, no_assert: bool = False) -> None:
        super().stop(no_assert)
        self._sock.close()


class CaptureMailbox:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._controller: _OnBoundSocket | None = None

    def start(self) -> str:
        """Start serving; returns the smtp:// URL to send to."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        for part in ("tmp", "new", "cur"):  # Maildir makes them only for a new directory
            (self.directory / part).mkdir(mode=0o700, exist_ok=True)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self._controller = _OnBoundSocket(_KeepInMaildir(self.directory), sock)
        self._controller.start()
        port = sock.getsockname()[1]
        logger.info("mailbox.started", port=port, directory=str(self.directory))
        return f"smtp://127.0.0.1:{port}"

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def messages(self) -> list[tuple[str, bytes]]:
        """(key, raw message) of everything captured, oldest first."""
        box = mailbox.Maildir(self.directory, create=False)
        found = [(key, box.get_bytes(key)) for key in box.iterkeys()]
        return sorted(found, key=lambda item: (box.get_message(item[0]).get_date(), item[0]))
