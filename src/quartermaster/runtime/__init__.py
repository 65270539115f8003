"""Embedded PostgreSQL and Redis, and process supervision for `qm serve`."""

from quartermaster.runtime.embedded import EmbeddedServices, EmbeddedUrls, running_urls
from quartermaster.runtime.errors import DataDirBusy, EmbeddedStartError
from quartermaster.runtime.lock import ServeLock
from quartermaster.runtime.mailbox import CaptureMailbox
from quartermaster.runtime.provision import provision_database, provision_database_async

__all__ = [
    "CaptureMailbox",
    "DataDirBusy",
    "EmbeddedServices",
    "EmbeddedStartError",
    "EmbeddedUrls",
    "ServeLock",
    "provision_database",
    "provision_database_async",
    "running_urls",
]
