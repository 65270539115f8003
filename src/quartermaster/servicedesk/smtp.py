"""The inbound SMTP listener: aiosmtpd inside the API process, on the app's event loop.

Each organization receives mail at ``support+<organization id>@<QM_INBOUND_EMAIL_DOMAIN>``
(any local part works as long as it ends in ``+<32 hex digits>``, so an operator can point
``support@acme.example`` at it with a forward). The id in the address is what routes the
message: the recipient is checked at ``RCPT`` (``550`` for an address that names no
organization), and ``DATA`` is processed per organization in its own transaction as the
application role, under row-level security, exactly as ``POST /inbound/email`` does.

Started by the app's lifespan when ``QM_INBOUND_SMTP_PORT`` is set and the servicedesk
module is mounted; ``qm serve`` in embedded mode sets a free port. With several API
workers each binds the same port (``SO_REUSEPORT``) and the kernel spreads connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
from aiosmtpd.smtp import SMTP, Envelope, Session

from quartermaster.core.db import Database
from quartermaster.core.errors import AppError
from quartermaster.identity.public import tenant_exists
from quartermaster.servicedesk.files import AttachmentStore
from quartermaster.servicedesk.service.inbound import receive_email
from quartermaster.servicedesk.service.notifications import DeskMail, enable_requester_mail

log = structlog.stdlib.get_logger(__name__)

_ROUTE = re.compile(r"^(?:.*\+)?([0-9a-f]{32})$")


def inbound_address(tenant_id: uuid.UUID, domain: str) -> str:
    return f"support+{tenant_id.hex}@{domain}"


def tenant_of_recipient(address: str, domain: str | None = None) -> uuid.UUID | None:
    """The organization an inbound address names, or None."""
    local, at, host = address.strip().strip("<>").rpartition("@")
    if not at or (domain is not None and host.lower() != domain.lower()):
        return None
    match = _ROUTE.match(local.lower())
    return uuid.UUID(hex=match[1]) if match else None


class InboundHandler:
    """aiosmtpd handler: RCPT routes, DATA turns the message into tickets or replies."""

    def __init__(
        self,
        database: Database,
        store: AttachmentStore,
        *,
        domain: str | None,
        max_attachment_bytes: int,
        desk_mail: DeskMail | None = None,
    ) -> None:
        self.database = database
        self.store = store
        self.domain = domain
        self.max_attachment_bytes = max_attachment_bytes
        self.desk_mail = desk_mail

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        tenant_id = tenant_of_recipient(address, self.domain)
        if tenant_id is None or not await self._exists(tenant_id):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def _exists(self, tenant_id: uuid.UUID) -> bool:
        async with self.database.transaction(tenant_id) as session:
            return await tenant_exists(session, tenant_id)

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or envelope.content
        if not isinstance(raw, bytes):
            return "554 5.6.0 Message content unreadable"
        tenants = dict.fromkeys(
            t for t in (tenant_of_recipient(a, self.domain) for a in envelope.rcpt_tos) if t
        )
        sender = envelope.mail_from if envelope.mail_from not in (None, "<>") else ""
        delivered = 0
        for tenant_id in tenants:
            try:
                async with self.database.transaction(tenant_id) as db_session:
                    if not await tenant_exists(db_session, tenant_id):
                        continue
                    if self.desk_mail is not None:
                        enable_requester_mail(db_session, self.desk_mail)
                    result = await receive_email(
                        db_session,
                        tenant_id,
                        raw,
                        store=self.store,
                        max_attachment_bytes=self.max_attachment_bytes,
                        envelope_sender=sender,
                    )
                delivered += 1
                log.info(
                    "inbound_email",
                    tenant_id=str(tenant_id),
                    outcome=result.outcome,
                    ticket=result.ticket_key,
                )
            except AppError as exc:
                return f"554 5.6.0 {exc.detail}"
            except Exception:
                log.exception("inbound_email_failed", tenant_id=str(tenant_id))
                return "451 4.3.0 Temporary failure, please retry"
        if not delivered:
            return "550 5.1.1 No such mailbox here"
        return "250 Message accepted"


@asynccontextmanager
async def smtp_listener(
    handler: InboundHandler, host: str, port: int, *, max_bytes: int, hostname: str
) -> AsyncIterator[int]:
    """Serve SMTP on (host, port) on the running loop until the context ends; yields the
    bound port (useful with port 0)."""
    loop = asyncio.get_running_loop()

    def protocol() -> SMTP:
        return SMTP(
            handler,
            data_size_limit=max_bytes,
            enable_SMTPUTF8=True,
            hostname=hostname,
            ident="Quartermaster",
            loop=loop,
        )

    server = await loop.create_server(protocol, host, port, reuse_port=True)
    bound = server.sockets[0].getsockname()[1]
    log.info("inbound_smtp_started", host=host, port=bound)
    try:
        yield int(bound)
    finally:
        server.close()
        with contextlib.suppress(TimeoutError):  # open sessions are cut, not awaited
            await asyncio.wait_for(server.wait_closed(), timeout=2)
        log.info("inbound_smtp_stopped", port=bound)
