"""The capture mailbox of embedded `qm serve`: a real SMTP server that keeps every message
in a Maildir under the data dir and delivers nothing."""

from __future__ import annotations

import socket
import stat
from email import message_from_bytes
from pathlib import Path

import aiosmtplib

from quartermaster.runtime import CaptureMailbox


def accepts_connections(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


async def test_messages_are_kept_in_a_private_maildir_and_the_port_is_released(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "qm" / "mailbox"
    mailbox = CaptureMailbox(directory)
    url = mailbox.start()
    port = int(url.rsplit(":", 1)[1])
    try:
        assert url.startswith("smtp://127.0.0.1:")
        await aiosmtplib.send(
            b"From: qm@localhost\r\nTo: ana@example.org\r\nSubject: Hello\r\n\r\nHi Ana\r\n",
            sender="qm@localhost",
            recipients=["ana@example.org", "bo@example.org"],
            hostname="127.0.0.1",
            port=port,
            start_tls=False,
        )
        [(key, raw)] = mailbox.messages()
    finally:
        mailbox.stop()

    message = message_from_bytes(raw)
    assert message["Subject"] == "Hello"
    assert message["X-QM-Envelope-To"] == "ana@example.org, bo@example.org"
    assert message.get_payload().strip() == "Hi Ana"
    assert (directory / "new" / key).exists()
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert not accepts_connections(port)
