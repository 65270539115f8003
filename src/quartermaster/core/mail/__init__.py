"""The core mail port: every module sends e-mail through it.

    from quartermaster.core.mail import OutboundMail, queue_mail

    await queue_mail(
        session,
        OutboundMail(to=["ana@example.org"], subject="…", text="…", kind="servicedesk.reply",
                     headers={"In-Reply-To": "<…>", "References": "<…>"}),
        tenant_id=principal.tenant_id,
    )

The message is a row of ``mail_messages`` written in the caller's transaction (so it
exists exactly when the change it reports committed), handed to the job queue after
commit, and sent by a worker through SMTP (``aiosmtplib``, QM_SMTP_URL): retried while
failures prove it was not delivered, never sent twice (see :mod:`.delivery`).
"""

from quartermaster.core.mail.delivery import MailDelivery, RetryLater, deliver, sweep
from quartermaster.core.mail.message import InvalidMail, MailAttachment, OutboundMail
from quartermaster.core.mail.models import MailMessage
from quartermaster.core.mail.operator import (
    MailNotFound,
    MailStatusConflict,
    cancel_message,
    get_message,
    list_messages,
    retry_message,
)
from quartermaster.core.mail.outbox import (
    MailOwner,
    MailScheduler,
    QueuedMail,
    attach_mail_scheduler,
    queue_mail,
    wait_for_mail_enqueues,
)
from quartermaster.core.mail.smtp import InvalidSmtpUrl, SmtpConfig

__all__ = [
    "InvalidMail",
    "InvalidSmtpUrl",
    "MailAttachment",
    "MailDelivery",
    "MailMessage",
    "MailNotFound",
    "MailOwner",
    "MailScheduler",
    "MailStatusConflict",
    "OutboundMail",
    "QueuedMail",
    "RetryLater",
    "SmtpConfig",
    "attach_mail_scheduler",
    "cancel_message",
    "deliver",
    "get_message",
    "list_messages",
    "queue_mail",
    "retry_message",
    "sweep",
    "wait_for_mail_enqueues",
]
