"""Mail HTTP API: /mail/outbox (administrators)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from quartermaster.core.db import SessionDep
from quartermaster.core.pagination import Page, PageParamsDep
from quartermaster.core.responses import CONFLICT, NOT_FOUND
from quartermaster.identity.public import Permission, Principal, require
from quartermaster.mail import service
from quartermaster.mail.schemas import MailDetail, MailRead, MailStatus

MailReadDep = Annotated[Principal, Depends(require(Permission.MAIL_READ))]
MailWriteDep = Annotated[Principal, Depends(require(Permission.MAIL_WRITE))]

router = APIRouter(prefix="/mail/outbox", tags=["mail"])


@router.get(
    "",
    response_model=Page[MailRead],
    summary="The organization's e-mails: sent, waiting or failed (newest first)",
)
async def list_outbox(
    principal: MailReadDep,
    session: SessionDep,
    page: PageParamsDep,
    status: Annotated[MailStatus | None, Query()] = None,
    kind: Annotated[
        str | None, Query(max_length=80, description="e.g. identity.invitation")
    ] = None,
) -> Page[MailRead]:
    return await service.outbox_page(session, principal, page, status=status, kind=kind)


@router.get(
    "/{message_id}",
    response_model=MailDetail,
    summary="One e-mail (a confidential one without its body)",
    responses=NOT_FOUND,
)
async def get_outbox_message(
    message_id: uuid.UUID, principal: MailReadDep, session: SessionDep
) -> MailDetail:
    return await service.outbox_message(session, principal, message_id)


@router.post(
    "/{message_id}/retry",
    response_model=MailDetail,
    summary="Send a failed, cancelled or uncertain e-mail again (uncertain: may duplicate)",
    responses={**NOT_FOUND, **CONFLICT},
)
async def retry_outbox_message(
    message_id: uuid.UUID, principal: MailWriteDep, session: SessionDep
) -> MailDetail:
    return await service.retry(session, principal, message_id)


@router.post(
    "/{message_id}/cancel",
    response_model=MailDetail,
    summary="Give up a queued, failed or uncertain e-mail",
    responses={**NOT_FOUND, **CONFLICT},
)
async def cancel_outbox_message(
    message_id: uuid.UUID, principal: MailWriteDep, session: SessionDep
) -> MailDetail:
    return await service.cancel(session, principal, message_id)


routers = [router]
