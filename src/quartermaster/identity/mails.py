"""The e-mails identity sends (through the core mail port): invitations, password resets.

Links carry their token in the URL's fragment (``#token=…``): browsers do not send the
fragment to the server, so the token stays out of access logs; the web app reads it and
posts it to the API.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from quartermaster.core.mail import OutboundMail
from quartermaster.identity.permissions import Role

INVITATION_KIND = "identity.invitation"
PASSWORD_RESET_KIND = "identity.password_reset"  # noqa: S105 - a mail kind


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def invitation_mail(
    *,
    invitation_id: uuid.UUID,
    email: str,
    organization: str,
    role: Role,
    inviter: str | None,
    link: str,
    token: str,
    expires_at: datetime,
) -> OutboundMail:
    who = inviter or "An administrator"
    text = (
        f"{who} invited you to join {organization} on Quartermaster as {role.value}.\n\n"
        f"Accept the invitation: {link}\n\n"
        "If you have no Quartermaster account with this address yet, you will choose a "
        "password; if you have one, you confirm with its password.\n"
        f"The invitation is valid until {_when(expires_at)}.\n\n"
        "With the API: POST /api/v1/auth/invitations/accept with "
        f'{{"token": "{token}", "password": "...", "full_name": "..."}}\n\n'
        "If you did not expect this, ignore this message: nothing happens unless you accept."
    )
    return OutboundMail(
        to=[email],
        subject=f"You are invited to join {organization} on Quartermaster",
        text=text,
        kind=INVITATION_KIND,
        related=("invitation", invitation_id),
        confidential=True,
        headers={"Auto-Submitted": "auto-generated"},
    )


def password_reset_mail(
    *, reset_id: uuid.UUID, email: str, link: str, token: str, expires_at: datetime
) -> OutboundMail:
    text = (
        "Someone (hopefully you) asked to reset the password of your Quartermaster "
        "account.\n\n"
        f"Choose a new password: {link}\n\n"
        f"The link works once, until {_when(expires_at)}. Setting a new password signs "
        "you out everywhere else.\n\n"
        "With the API: POST /api/v1/auth/password-reset/confirm with "
        f'{{"token": "{token}", "new_password": "..."}}\n\n'
        "If you did not ask for this, ignore this message: your password stays as it is."
    )
    return OutboundMail(
        to=[email],
        subject="Reset your Quartermaster password",
        text=text,
        kind=PASSWORD_RESET_KIND,
        related=("password_reset", reset_id),
        confidential=True,
        headers={"Auto-Submitted": "auto-generated"},
    )
