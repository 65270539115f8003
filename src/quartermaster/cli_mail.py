"""`qm mail list|show|retry|cancel`: the e-mail outbox of every organization, as an
operator (the owner role: QM_DATABASE_OWNER_URL, or the embedded database)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from quartermaster.cli_common import _fail, _load_settings
from quartermaster.cli_embedded import _connect, _owner_url

if TYPE_CHECKING:
    from quartermaster.core.db import Database
    from quartermaster.core.settings import Settings

T = TypeVar("T")

mail_app = typer.Typer(
    help="The e-mail outbox of every organization: what was sent, waits, failed or is "
    "uncertain (as the owner role: QM_DATABASE_OWNER_URL, or the embedded database).",
    no_args_is_help=True,
)


def _with_owner_database(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    import asyncio

    from quartermaster.core.db import Database

    async def run() -> T:
        database = Database(_owner_url(settings), pool_size=1, max_overflow=0)
        try:
            return await work(database)
        finally:
            await database.dispose()

    return asyncio.run(run())


def _mail_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise _fail(f"{value!r} is not an e-mail id (a UUID, as `qm mail list` shows)") from exc


@mail_app.command("list")
def mail_list(
    status: Annotated[
        str | None,
        typer.Option(help="queued, sending, sent, failed, uncertain or cancelled."),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many, newest first.")] = 50,
) -> None:
    """List e-mails, newest first: id, created, status, attempts, kind, to, subject."""
    from quartermaster.core.mail import MailMessage, list_messages

    settings = _load_settings()
    with ExitStack() as stack:
        settings = _connect(settings, stack)

        async def fetch(database: Database) -> list[MailMessage]:
            async with database.transaction() as session:
                return await list_messages(session, tenant_id=None, limit=limit, status=status)

        rows = _with_owner_database(settings, fetch)
    # One line per e-mail, never wrapped, so it can be grepped.
    for row in rows:
        error = f"  [{row.last_error[:80]}]" if row.last_error else ""
        typer.echo(
            f"{row.id}  {row.created_at:%Y-%m-%d %H:%M:%S}  {row.status:<9}  "
            f"{row.attempts}x  {row.kind:<24}  {', '.join(row.to_addresses)}  "
            f"{row.subject!r}{error}"
        )
    if not rows:
        typer.echo("No e-mail.")


@mail_app.command("show")
def mail_show(message_id: Annotated[str, typer.Argument(help="The e-mail's id.")]) -> None:
    """Show one e-mail: envelope, status, headers and body (confidential ones too: an
    operator with database access could read them anyway)."""
    from quartermaster.core.mail import MailMessage, MailNotFound, get_message

    wanted = _mail_id(message_id)
    settings = _load_settings()
    with ExitStack() as stack:
        settings = _connect(settings, stack)

        async def fetch(database: Database) -> MailMessage:
            async with database.transaction() as session:
                return await get_message(session, wanted, tenant_id=None)

        try:
            row = _with_owner_database(settings, fetch)
        except MailNotFound as exc:
            raise _fail(f"no e-mail {wanted}") from exc
    owner = f"tenant {row.tenant_id}" if row.tenant_id else f"account {row.account_user_id}"
    lines = [
        f"Id:          {row.id} ({owner}, {row.kind})",
        f"Status:      {row.status} after {row.attempts} attempt(s)"
        + (f"; sent {row.sent_at:%Y-%m-%d %H:%M:%S}" if row.sent_at else ""),
        f"From:        {row.from_address or settings.mail_from}",
        f"To:          {', '.join(row.to_addresses)}",
    ]
    if row.cc_addresses:
        lines.append(f"Cc:          {', '.join(row.cc_addresses)}")
    if row.bcc_addresses:
        lines.append(f"Bcc:         {', '.join(row.bcc_addresses)}")
    lines += [f"Subject:     {row.subject}", f"Message-ID:  {row.message_id}"]
    lines += [f"{name + ':':<12} {value}" for name, value in row.headers.items()]
    if row.last_error:
        lines.append(f"Last error:  {row.last_error}")
    if row.smtp_response:
        lines.append(f"Server said: {row.smtp_response}")
    if row.attachments:
        names = ", ".join(f"{a['filename']} ({a['size']} bytes)" for a in row.attachments)
        lines.append(f"Attachments: {names}")
    typer.echo("\n".join(lines) + "\n\n" + row.text_body)


def _mail_decision(message_id: str, what: str) -> None:
    from quartermaster.core.mail import (
        MailNotFound,
        MailStatusConflict,
        cancel_message,
        retry_message,
    )

    wanted = _mail_id(message_id)
    decide = retry_message if what == "retry" else cancel_message
    settings = _load_settings()
    with ExitStack() as stack:
        settings = _connect(settings, stack)

        async def change(database: Database) -> None:
            async with database.transaction() as session:
                await decide(session, wanted)

        try:
            _with_owner_database(settings, change)
        except (MailNotFound, MailStatusConflict) as exc:
            raise _fail(exc.detail) from exc


@mail_app.command("retry")
def mail_retry(message_id: Annotated[str, typer.Argument(help="The e-mail's id.")]) -> None:
    """Send a failed, cancelled or uncertain e-mail again (for an uncertain one: only once
    you checked it did not arrive, or a duplicate does no harm)."""
    _mail_decision(message_id, "retry")
    typer.echo("Queued again; the worker's mail sweeper sends it within a minute.")


@mail_app.command("cancel")
def mail_cancel(message_id: Annotated[str, typer.Argument(help="The e-mail's id.")]) -> None:
    """Give up a queued, failed or uncertain e-mail."""
    _mail_decision(message_id, "cancel")
    typer.echo("Cancelled.")


# --- Jobs (issue 5): `qm worker` --------------------------------------------------------------
