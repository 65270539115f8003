"""What a module hands the mail port, checked once, and the MIME message built from it.

The checks are for programming errors and for text that came from users (a ticket's
subject): addresses must parse and validate, header values must not carry line breaks
(header injection), header names must not replace what the port itself writes.
"""

from __future__ import annotations

import email.policy
import functools
import mimetypes
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, parseaddr

from email_validator import EmailNotValidError, validate_email

# Written by the port from the message's fields; a caller sets them through those fields.
RESERVED_HEADERS = frozenset(
    {
        "from",
        "to",
        "cc",
        "bcc",
        "reply-to",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
        "content-disposition",
    }
)
_HEADER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,75}$")
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024  # all of a message's attachments together


class InvalidMail(ValueError):
    """The message cannot be queued as given (a bad address, an injected header …)."""


@dataclass(frozen=True)
class MailAttachment:
    filename: str
    content: bytes
    content_type: str | None = None  # guessed from the file name when omitted

    @property
    def media_type(self) -> str:
        guessed = mimetypes.guess_type(self.filename)[0]
        return self.content_type or guessed or "application/octet-stream"


@dataclass(frozen=True)
class OutboundMail:
    """One e-mail, as a module asks for it.

    ``to``/``cc``/``bcc`` take addresses or ``Name <address>``; ``from_address`` defaults
    to QM_MAIL_FROM at send time; ``headers`` adds headers such as ``In-Reply-To``,
    ``References``, ``Auto-Submitted`` or ``List-Id``; ``message_id`` is generated when
    omitted (``<id@domain of the sender>``). ``kind`` names what the mail is for
    (``identity.invitation``, ``servicedesk.reply``) and ``related`` the entity it is
    about. ``confidential`` marks a body that carries a secret (a sign-in or invitation
    link): the admin API then shows its envelope and subject but not its body.
    """

    to: Sequence[str]
    subject: str
    text: str
    kind: str
    html: str | None = None
    cc: Sequence[str] = ()
    bcc: Sequence[str] = ()
    from_address: str | None = None
    reply_to: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    message_id: str | None = None
    attachments: Sequence[MailAttachment] = ()
    related: tuple[str, uuid.UUID] | None = None
    confidential: bool = False


def _no_breaks(value: str, what: str) -> str:
    if any(ch in value for ch in "\r\n\x00"):
        raise InvalidMail(f"{what} must not contain line breaks or NUL characters")
    return value


def mailbox(value: str, what: str) -> str:
    """A checked ``address`` or ``Name <address>`` (returned as given, trimmed)."""
    value = _no_breaks(value.strip(), what)
    parsed = getaddresses([value])
    if len(parsed) != 1 or not parsed[0][1]:
        raise InvalidMail(f"{what}: {value!r} is not one e-mail address")
    address = parsed[0][1]
    problem = _address_problem(address)
    if problem is not None:
        raise InvalidMail(f"{what}: {address!r} is not a valid e-mail address ({problem})")
    return value


@functools.lru_cache(maxsize=4096)
def _address_problem(address: str) -> str | None:
    """Why ``address`` is not valid, or None. Cached: a pure function of the string, and
    a service desk writes to the same requesters and reply-to addresses again and again
    (email-validator costs ~0.5 ms of CPU per address)."""
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        return str(exc)
    return None


def envelope_address(value: str) -> str:
    """The bare address of a checked mailbox (what SMTP's MAIL FROM / RCPT TO take)."""
    return parseaddr(value)[1]


def address_domain(value: str) -> str:
    return envelope_address(value).rpartition("@")[2] or "localhost"


def checked(mail: OutboundMail) -> OutboundMail:
    """The mail with its fields checked (raises :class:`InvalidMail`)."""
    if not mail.to:
        raise InvalidMail("a mail needs at least one recipient in 'to'")
    for name, value in mail.headers.items():
        if not _HEADER_NAME.match(name) or name.lower() in RESERVED_HEADERS:
            raise InvalidMail(f"header {name!r} cannot be set through 'headers'")
        _no_breaks(value, f"header {name}")
    if not mail.kind or len(mail.kind) > 80:
        raise InvalidMail("'kind' must be 1 to 80 characters")
    total = sum(len(a.content) for a in mail.attachments)
    if total > MAX_ATTACHMENT_BYTES:
        raise InvalidMail(f"attachments may hold at most {MAX_ATTACHMENT_BYTES} bytes in all")
    for attachment in mail.attachments:
        _no_breaks(attachment.filename, "an attachment's file name")
    return OutboundMail(
        to=[mailbox(a, "to") for a in mail.to],
        cc=[mailbox(a, "cc") for a in mail.cc],
        bcc=[mailbox(a, "bcc") for a in mail.bcc],
        from_address=mailbox(mail.from_address, "from") if mail.from_address else None,
        reply_to=mailbox(mail.reply_to, "reply_to") if mail.reply_to else None,
        # A subject may come from a user: line breaks become spaces rather than headers.
        subject=" ".join(mail.subject.replace("\x00", "").split()),
        text=mail.text,
        html=mail.html,
        headers=dict(mail.headers),
        message_id=_no_breaks(mail.message_id, "message_id") if mail.message_id else None,
        attachments=list(mail.attachments),
        kind=mail.kind,
        related=mail.related,
        confidential=mail.confidential,
    )


def default_message_id(message_id: uuid.UUID, sender: str) -> str:
    return f"<{message_id.hex}@{address_domain(sender)}>"


def _needs_utf8(addresses: Sequence[str]) -> bool:
    return any(not envelope_address(a).isascii() for a in addresses)


@dataclass(frozen=True)
class Rendered:
    """The bytes to send and the envelope to send them with."""

    sender: str
    recipients: list[str]
    data: bytes
    smtputf8: bool


def render(
    *,
    sender: str,
    to: Sequence[str],
    cc: Sequence[str],
    bcc: Sequence[str],
    reply_to: str | None,
    subject: str,
    text: str,
    html: str | None,
    headers: Mapping[str, str],
    message_id: str,
    date: datetime,
    attachments: Sequence[MailAttachment],
) -> Rendered:
    """The MIME message (text, optional HTML alternative, attachments). Bcc recipients are
    in the envelope only, never in a header."""
    everyone = [*to, *cc, *bcc]
    utf8 = _needs_utf8([sender, *everyone])
    message = EmailMessage(policy=email.policy.SMTPUTF8 if utf8 else email.policy.SMTP)
    message["From"] = sender
    message["To"] = ", ".join(to)
    if cc:
        message["Cc"] = ", ".join(cc)
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = subject
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name] = value
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for attachment in attachments:
        maintype, _, subtype = attachment.media_type.partition("/")
        message.add_attachment(
            attachment.content,
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=attachment.filename,
        )
    return Rendered(
        sender=envelope_address(sender),
        recipients=list(dict.fromkeys(envelope_address(a) for a in everyone)),
        data=message.as_bytes(),
        smtputf8=utf8,
    )
