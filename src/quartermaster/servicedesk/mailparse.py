"""Reading an inbound RFC 822 message (pure Python, stdlib ``email``; no I/O).

What the service desk needs from a message: who sent it, the subject, its Message-ID and
the ids it answers (In-Reply-To, References), the text (the text/plain part, else the
HTML part reduced to text), the attachments, and whether it was sent by a machine:

- ``Auto-Submitted`` other than ``no`` (RFC 3834: auto-replies, auto-generated mail);
- ``Precedence: bulk | junk | list | auto_reply``, ``X-Autoreply``, ``X-Autorespond``
  (what common out-of-office responders set);
- an empty envelope sender / ``Return-Path: <>`` (bounces, RFC 5321);
- our own loop marker ``X-QM-Loop`` (set on everything the service desk sends).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

from quartermaster.core.markdown import to_text

LOOP_HEADER = "X-QM-Loop"
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,900}>")
_MACHINE_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
MAX_SUBJECT = 300
MAX_BODY = 50_000


class UnreadableMessage(ValueError):
    pass


@dataclass(frozen=True)
class InboundAttachment:
    file_name: str | None
    content: bytes


@dataclass(frozen=True)
class InboundMessage:
    sender_email: str
    sender_name: str
    subject: str
    message_id: str | None
    in_reply_to: list[str]
    references: list[str]
    text: str
    attachments: list[InboundAttachment] = field(default_factory=list)
    machine_reason: str | None = None  # why it is an auto-reply, a bounce or a loop

    @property
    def thread_ids(self) -> list[str]:
        """The ids it answers, the most specific first."""
        return list(dict.fromkeys([*self.in_reply_to, *reversed(self.references)]))


def _clean(value: str) -> str:
    """Header or body text PostgreSQL can store: no NUL, no lone surrogates."""
    value = value.replace("\x00", "")
    return value.encode("utf-8", "replace").decode("utf-8")


def _ids(value: object) -> list[str]:
    return _MESSAGE_ID.findall(str(value or ""))


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError):  # a header the policy cannot parse
        value = message.get_all(name, [""])[0] if message.get_all(name) else None
    return _clean(str(value)) if value is not None else ""


def _machine_reason(message: EmailMessage, envelope_sender: str | None) -> str | None:
    if _header(message, LOOP_HEADER):
        return "loop: the message carries the service desk's own loop marker"
    auto = _header(message, "Auto-Submitted").strip().lower()
    if auto and not auto.startswith("no"):
        return f"auto-submitted: {auto}"
    precedence = _header(message, "Precedence").strip().lower()
    if precedence in _MACHINE_PRECEDENCE:
        return f"precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autorespond-Tag"):
        if _header(message, name):
            return f"{name.lower()} header"
    if envelope_sender == "" or _header(message, "Return-Path").strip() == "<>":
        return "bounce: empty return path"
    return None


def _sender(message: EmailMessage) -> tuple[str, str]:
    raw = _header(message, "Reply-To") or _header(message, "From")
    addresses = [a for a in getaddresses([raw]) if "@" in a[1]] or [parseaddr(raw)]
    name, email = addresses[0]
    email = email.strip().lower()
    try:
        Address(addr_spec=email)
    except (ValueError, IndexError, TypeError) as exc:
        raise UnreadableMessage("the message has no valid From address") from exc
    if "@" not in email or len(email) > 320:
        raise UnreadableMessage("the message has no valid From address")
    return email, _clean(name).strip()[:200]


def _part_text(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError):
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def _body_and_attachments(message: EmailMessage) -> tuple[str, list[InboundAttachment]]:
    attachments: list[InboundAttachment] = []
    for part in message.iter_attachments() if message.is_multipart() else []:
        if not isinstance(part, EmailMessage) or part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            attachments.append(InboundAttachment(part.get_filename(), payload))
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None or not isinstance(body, EmailMessage):
        return "", attachments
    text = _part_text(body)
    if body.get_content_subtype() == "html":
        text = to_text(text)
    return text, attachments


def parse_message(raw: bytes, envelope_sender: str | None = None) -> InboundMessage:
    """Read a raw message; raises :class:`UnreadableMessage` when it has no sender."""
    if not raw.strip():
        raise UnreadableMessage("the message is empty")
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    email, name = _sender(message)
    text, attachments = _body_and_attachments(message)
    message_ids = _ids(_header(message, "Message-ID"))
    subject = " ".join(_header(message, "Subject").split())
    return InboundMessage(
        sender_email=email,
        sender_name=name or email.split("@", 1)[0],
        subject=subject[:MAX_SUBJECT] or "(no subject)",
        message_id=message_ids[0] if message_ids else None,
        in_reply_to=_ids(_header(message, "In-Reply-To")),
        references=_ids(_header(message, "References")),
        text=_clean(text).strip()[:MAX_BODY],
        attachments=attachments,
        machine_reason=_machine_reason(message, envelope_sender),
    )
