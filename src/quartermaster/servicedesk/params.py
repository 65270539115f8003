"""Request pieces shared by the service desk routers: permissions, the attachment store,
the base of the links the desk hands out."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.db import SessionDep
from quartermaster.core.deps import SettingsDep
from quartermaster.core.settings import Settings
from quartermaster.identity.public import Permission, Principal, require
from quartermaster.servicedesk.files import AttachmentStore
from quartermaster.servicedesk.service.notifications import DeskMail, enable_requester_mail

TicketsRead = Annotated[Principal, Depends(require(Permission.TICKETS_READ))]
TicketsWrite = Annotated[Principal, Depends(require(Permission.TICKETS_WRITE))]
# Teams, SLA policies and custom fields configure the organization's desk.
DeskAdmin = Annotated[Principal, Depends(require(Permission.SETTINGS_WRITE))]


async def get_attachment_store(request: Request) -> AttachmentStore:
    store = getattr(request.app.state, "attachment_store", None)
    if not isinstance(store, AttachmentStore):
        settings = request.app.state.settings
        assert isinstance(settings, Settings)
        store = request.app.state.attachment_store = AttachmentStore.from_settings(settings)
    return store


AttachmentStoreDep = Annotated[AttachmentStore, Depends(get_attachment_store)]


def link_base_url(settings: Settings) -> str:
    """Where people open the links the desk sends: QM_PUBLIC_URL, like every e-mailed link."""
    return settings.effective_public_url


def desk_mail(settings: Settings) -> DeskMail:
    return DeskMail(
        domain=settings.inbound_email_domain,
        secret=settings.secret_key.get_secret_value(),
        base_url=link_base_url(settings),
    )


async def mailing_session(session: SessionDep, settings: SettingsDep) -> AsyncSession:
    """The request's transaction, allowed to mail the requester (acknowledgements,
    replies, rating links) through the core mail port."""
    enable_requester_mail(session, desk_mail(settings))
    return session


# The request's session, for the routes whose changes the requester hears about by mail.
MailingSessionDep = Annotated[AsyncSession, Depends(mailing_session)]
