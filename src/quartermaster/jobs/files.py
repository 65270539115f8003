"""Where jobs keep files: uploads (inputs) and results (e.g. CSV exports).

Layout under the jobs files directory (``QM_JOBS_FILES_DIR``, default
``<QM_DATA_DIR>/jobs``)::

    uploads/<tenant id>/<job id>.<ext>     deleted when the job finishes
    results/<tenant id>/<job id>.<ext>     kept QM_JOBS_FILE_RETENTION_HOURS

Paths stored in the ``jobs`` table are relative to that directory and built from ids,
never from anything a client sent, and are resolved through :meth:`JobFiles.resolve`,
which refuses anything outside it. The files module (a later issue) moves this to
S3-compatible storage; until then every API replica and worker must share the directory.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from quartermaster.core.settings import Settings

UPLOADS = "uploads"
RESULTS = "results"
COPY_BLOCK = 1024 * 1024


class FileTooLarge(Exception):
    pass


class JobFiles:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    @classmethod
    def from_settings(cls, settings: Settings) -> JobFiles:
        return cls(settings.jobs_files_dir or settings.data_dir / "jobs")

    def _relative(self, area: str, tenant_id: uuid.UUID, job_id: uuid.UUID, suffix: str) -> str:
        return f"{area}/{tenant_id}/{job_id}{suffix}"

    def upload_name(self, tenant_id: uuid.UUID, job_id: uuid.UUID, suffix: str) -> str:
        return self._relative(UPLOADS, tenant_id, job_id, suffix)

    def result_name(self, tenant_id: uuid.UUID, job_id: uuid.UUID, suffix: str) -> str:
        return self._relative(RESULTS, tenant_id, job_id, suffix)

    def resolve(self, relative: str) -> Path:
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"{relative!r} is outside the jobs files directory")
        return path

    def store(self, source: BinaryIO, relative: str, *, max_bytes: int) -> int:
        """Copy ``source`` to ``relative`` in blocks (constant memory); returns the size.
        Raises :class:`FileTooLarge` (and keeps nothing) past ``max_bytes``. Blocking: run
        it in a thread."""
        target = self.resolve(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        size = 0
        try:
            with partial.open("wb") as out:
                while block := source.read(COPY_BLOCK):
                    size += len(block)
                    if size > max_bytes:
                        raise FileTooLarge
                    out.write(block)
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return size

    def delete(self, relative: str | None) -> None:
        if relative:
            self.resolve(relative).unlink(missing_ok=True)

    def _files(self) -> Iterator[Path]:
        for area in (UPLOADS, RESULTS):
            base = self.root / area
            if base.is_dir():
                yield from (p for p in base.rglob("*") if p.is_file())

    def prune(self, older_than_seconds: float) -> int:
        """Delete files (uploads, results, leftovers of interrupted writes) not modified
        for ``older_than_seconds``; returns how many."""
        cutoff = time.time() - older_than_seconds
        removed = 0
        for path in self._files():
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed
