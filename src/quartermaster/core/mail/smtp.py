"""Talking SMTP (aiosmtplib): the server from QM_SMTP_URL, and one mail transaction split
at the point after which the server may have the message.

``QM_SMTP_URL``:

- ``smtp://[user[:password]@]host[:port]`` — plain SMTP (port 25 by default), upgraded
  with STARTTLS when the server offers it; with a user name and a host other than
  loopback, STARTTLS is required (credentials never travel in clear);
- ``smtps://…`` — TLS from the first byte (port 465 by default);
- query options: ``starttls=required|auto|off``, ``cafile=/path/ca.pem`` (trust this CA,
  e.g. an internal one), ``verify=false`` (accept any certificate: for a relay with a
  self-signed certificate on a trusted network only), ``timeout=<seconds>`` (per
  command, default QM_MAIL_TIMEOUT_SECONDS).

User name and password are percent-decoded, so ``%40`` may stand for ``@``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib
from aiosmtplib.errors import (
    SMTPAuthenticationError,
    SMTPDataError,
    SMTPException,
    SMTPRecipientRefused,
    SMTPResponseException,
    SMTPSenderRefused,
)


class InvalidSmtpUrl(ValueError):
    pass


class StartTls(StrEnum):
    REQUIRED = "required"
    AUTO = "auto"
    OFF = "off"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    implicit_tls: bool
    starttls: StartTls
    username: str | None
    password: str | None
    verify: bool
    timeout: float
    cafile: str | None = None

    @classmethod
    def from_url(cls, url: str, *, timeout: float = 60.0) -> SmtpConfig:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise InvalidSmtpUrl(f"QM_SMTP_URL must start with smtp:// or smtps://, not {url!r}")
        if not parts.hostname:
            raise InvalidSmtpUrl("QM_SMTP_URL names no host")
        options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        unknown = set(options) - {"starttls", "verify", "timeout", "cafile"}
        if unknown:
            raise InvalidSmtpUrl(f"QM_SMTP_URL: unknown option(s) {', '.join(sorted(unknown))}")
        implicit = parts.scheme == "smtps"
        username = unquote(parts.username) if parts.username else None
        try:
            port = parts.port or (465 if implicit else 25)
            starttls = StartTls(
                options.get("starttls")
                or (
                    StartTls.REQUIRED
                    if username and not implicit and not is_loopback(parts.hostname)
                    else StartTls.AUTO
                )
            )
            seconds = float(options.get("timeout", timeout))
        except ValueError as exc:
            raise InvalidSmtpUrl(f"QM_SMTP_URL: {exc}") from exc
        if implicit and starttls is StartTls.REQUIRED:
            raise InvalidSmtpUrl("smtps:// is TLS already; starttls=required does not apply")
        return cls(
            host=parts.hostname,
            port=port,
            implicit_tls=implicit,
            starttls=StartTls.OFF if implicit else starttls,
            username=username,
            password=unquote(parts.password) if parts.password else None,
            verify=options.get("verify", "true").lower() not in ("false", "0", "no"),
            timeout=seconds,
            cafile=options.get("cafile"),
        )

    def describe(self) -> str:
        """Where mail goes, without the password (logs, `qm mail`)."""
        scheme = "smtps" if self.implicit_tls else "smtp"
        user = f"{self.username}@" if self.username else ""
        return f"{scheme}://{user}{self.host}:{self.port}"


class Outcome(StrEnum):
    """What a failure says about delivery."""

    NOT_DELIVERED_RETRY = "retry"  # refused for now, or never reached: try again later
    NOT_DELIVERED_FINAL = "final"  # refused for good (5xx): do not try again
    UNKNOWN = "unknown"  # lost after the message was handed over: maybe delivered


class MailFailure(Exception):
    def __init__(self, outcome: Outcome, reason: str) -> None:
        super().__init__(reason)
        self.outcome = outcome
        self.reason = reason


def _refusal(exc: SMTPResponseException, what: str) -> MailFailure:
    outcome = Outcome.NOT_DELIVERED_FINAL if exc.code >= 500 else Outcome.NOT_DELIVERED_RETRY
    return MailFailure(outcome, f"{what}: {exc.code} {exc.message}")


@dataclass
class Envelope:
    """The recipients the server accepted, and those it refused (address → reply)."""

    accepted: list[str]
    refused: dict[str, str]


class SmtpSession:
    """One connection and one mail transaction, in two steps:

    1. :meth:`open_envelope` — connect, (STARTTLS), authenticate, MAIL FROM, RCPT TO.
       Nothing can have been delivered yet whatever happens here.
    2. :meth:`send_data` — DATA and the message. Once the message's end is sent, a lost
       connection leaves delivery unknown (the server may have accepted it).
    """

    def __init__(self, config: SmtpConfig, *, local_hostname: str) -> None:
        self.config = config
        self._smtp = aiosmtplib.SMTP(
            hostname=config.host,
            port=config.port,
            use_tls=config.implicit_tls,
            start_tls=(
                True
                if config.starttls is StartTls.REQUIRED
                else None
                if config.starttls is StartTls.AUTO
                else False
            ),
            validate_certs=config.verify,
            cert_bundle=config.cafile,
            timeout=config.timeout,
            local_hostname=local_hostname,
        )

    async def open_envelope(
        self, sender: str, recipients: Sequence[str], *, smtputf8: bool
    ) -> Envelope:
        smtp = self._smtp
        try:
            await smtp.connect()
            if self.config.username is not None:
                await smtp.login(self.config.username, self.config.password or "")
            options = ["SMTPUTF8"] if smtputf8 else []
            if smtputf8 and not smtp.supports_extension("smtputf8"):
                raise MailFailure(
                    Outcome.NOT_DELIVERED_FINAL,
                    "an address is not ASCII and the server does not support SMTPUTF8",
                )
            encoding = "utf-8" if smtputf8 else "ascii"
            await smtp.mail(sender, options=options, encoding=encoding)
            accepted: list[str] = []
            refused: dict[str, SMTPRecipientRefused] = {}
            for recipient in recipients:
                try:
                    await smtp.rcpt(recipient, encoding=encoding)
                    accepted.append(recipient)
                except SMTPRecipientRefused as exc:
                    refused[recipient] = exc
        except MailFailure:
            raise
        except SMTPAuthenticationError as exc:
            # Usually a configuration error an operator will fix: retried, never final.
            raise MailFailure(
                Outcome.NOT_DELIVERED_RETRY, f"authentication failed: {exc.code} {exc.message}"
            ) from exc
        except SMTPSenderRefused as exc:
            raise _refusal(exc, f"sender {sender} refused") from exc
        except SMTPResponseException as exc:
            raise _refusal(exc, "the server refused") from exc
        except (SMTPException, OSError, TimeoutError) as exc:
            raise MailFailure(
                Outcome.NOT_DELIVERED_RETRY, f"could not reach {self.config.describe()}: {exc}"
            ) from exc
        if not accepted:
            temporary = any(exc.code < 500 for exc in refused.values())
            reasons = "; ".join(f"{a}: {e.code} {e.message}" for a, e in refused.items())
            raise MailFailure(
                Outcome.NOT_DELIVERED_RETRY if temporary else Outcome.NOT_DELIVERED_FINAL,
                f"every recipient was refused ({reasons})",
            )
        return Envelope(
            accepted=accepted,
            refused={a: f"{e.code} {e.message}" for a, e in refused.items()},
        )

    async def send_data(self, data: bytes) -> str:
        """Hand the message over; returns the server's reply (often its queue id)."""
        try:
            response = await self._smtp.data(data)
        except SMTPDataError as exc:
            # The server answered DATA or the message with a refusal: it did not take it.
            raise _refusal(exc, "the message was refused") from exc
        except (SMTPException, OSError, TimeoutError) as exc:
            raise MailFailure(
                Outcome.UNKNOWN,
                f"the connection failed while the message was being handed over ({exc!r}); "
                "the server may or may not have accepted it",
            ) from exc
        return f"{response.code} {response.message}"

    async def abandon(self) -> None:
        """End the transaction without sending (RSET), then the connection."""
        try:
            if self._smtp.is_connected:
                await self._smtp.rset()
        except (SMTPException, OSError, TimeoutError):
            pass
        await self.close()

    async def close(self) -> None:
        try:
            if self._smtp.is_connected:
                await self._smtp.quit()
        except (SMTPException, OSError, TimeoutError):
            self._smtp.close()
