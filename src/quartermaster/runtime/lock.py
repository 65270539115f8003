"""File locks on a data dir: one `qm serve` at a time, and one start() at a time."""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from types import TracebackType

from quartermaster.runtime.errors import DataDirBusy
from quartermaster.runtime.layout import DataDirLayout


class ServeLock:
    """Exclusive lock so only one `qm serve` runs per data dir.

    An flock on `data_dir/serve.lock`; the kernel drops it when the holder dies, so a
    SIGKILLed server never leaves a stale lock. The holder's pid is written into the file
    only to say who holds it.
    """

    def __init__(self, data_dir: Path) -> None:
        self._layout = DataDirLayout.of(data_dir)
        self._fd: int | None = None

    @property
    def path(self) -> Path:
        return self._layout.serve_lock

    def acquire(self) -> None:
        if self._fd is not None:
            return
        self._layout.root.mkdir(parents=True, exist_ok=True)
        # No O_TRUNC: the file holds the current holder's pid until we own the lock.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            who = f"pid {holder}" if holder is not None else "an unknown pid"
            raise DataDirBusy(
                f"data dir {self._layout.root} is already in use by another `qm serve` "
                f"({who}); stop that process first"
                + (f" (e.g. `kill {holder}`)" if holder is not None else "")
                + ", or point this one at a different data dir"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)

    def __enter__(self) -> ServeLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


class StartLock:
    """Blocking lock that serialises start() of embedded servers across processes."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None

    def __enter__(self) -> StartLock:
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _read_pid(fd: int) -> int | None:
    try:
        raw = os.pread(fd, 64, 0).decode("ascii", errors="replace").strip()
        return int(raw) if raw else None
    except (OSError, ValueError):
        return None
