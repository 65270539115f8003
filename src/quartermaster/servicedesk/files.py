"""Where attachments live: ``<files dir>/attachments/<tenant id>/<attachment id>``.

``QM_SERVICEDESK_FILES_DIR`` (default ``<QM_DATA_DIR>/servicedesk``); every API replica
must see the same directory. Paths are built from ids only, never from what a client
sent. The client's file name is kept (sanitised) for the download's
``Content-Disposition``; the content type is sniffed from the bytes (``filetype``), never
taken from the client, and downloads are sent with ``X-Content-Type-Options: nosniff``.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import filetype  # type: ignore[import-untyped]

from quartermaster.core.settings import Settings

COPY_BLOCK = 1024 * 1024
SNIFF_BYTES = 8192
MAX_NAME = 200
_UNSAFE = re.compile(r"[^\w .()\-+,@&=#\[\]]", re.UNICODE)


class AttachmentTooLarge(Exception):
    pass


def sanitize_file_name(name: str | None) -> str:
    """A file name safe to store and send back: the last path component, NFC, no control
    characters, no leading dots, at most 200 characters (the extension kept)."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    base = base.encode("utf-8", "ignore").decode("utf-8")
    base = _UNSAFE.sub("_", base).strip().lstrip(".").strip()
    base = re.sub(r"\s+", " ", base)
    if len(base) > MAX_NAME:
        stem, dot, ext = base.rpartition(".")
        if dot and 0 < len(ext) <= 16:
            base = stem[: MAX_NAME - len(ext) - 1] + "." + ext
        else:
            base = base[:MAX_NAME]
    return base or "attachment"


def sniff_content_type(head: bytes) -> str:
    """What the bytes are: a known signature, else UTF-8 text, else octet-stream."""
    kind = filetype.guess(head)
    if kind is not None:
        return str(kind.mime)
    if not head:
        return "application/octet-stream"
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            # The sniffed block may end inside a multi-byte character.
            if exc.start < len(head) - 3:
                return "application/octet-stream"
        return "text/plain"
    return "application/octet-stream"


@dataclass(frozen=True)
class StoredFile:
    size: int
    sha256: str
    content_type: str


class AttachmentStore:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    @classmethod
    def from_settings(cls, settings: Settings) -> AttachmentStore:
        return cls(settings.servicedesk_files_dir or settings.data_dir / "servicedesk")

    def path(self, tenant_id: uuid.UUID, attachment_id: uuid.UUID) -> Path:
        path = (self.root / "attachments" / str(tenant_id) / str(attachment_id)).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError("attachment path outside the files directory")
        return path

    def store(
        self, source: BinaryIO, tenant_id: uuid.UUID, attachment_id: uuid.UUID, *, max_bytes: int
    ) -> StoredFile:
        """Copy ``source`` in blocks (constant memory), hashing and sniffing it; raises
        :class:`AttachmentTooLarge` (keeping nothing) past ``max_bytes``. Blocking: run it
        in a thread."""
        target = self.path(tenant_id, attachment_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        digest = hashlib.sha256()
        size = 0
        head = b""
        try:
            with partial.open("wb") as out:
                while block := source.read(COPY_BLOCK):
                    size += len(block)
                    if size > max_bytes:
                        raise AttachmentTooLarge
                    if len(head) < SNIFF_BYTES:
                        head += block[: SNIFF_BYTES - len(head)]
                    digest.update(block)
                    out.write(block)
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return StoredFile(
            size=size, sha256=digest.hexdigest(), content_type=sniff_content_type(head)
        )

    def delete(self, tenant_id: uuid.UUID, attachment_id: uuid.UUID) -> None:
        self.path(tenant_id, attachment_id).unlink(missing_ok=True)
