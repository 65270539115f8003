"""Where the embedded runtime keeps its files, and the small state files in the data dir."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from quartermaster.runtime.errors import EmbeddedStartError


@dataclass(frozen=True)
class DataDirLayout:
    """Paths of everything the embedded runtime writes under one data dir."""

    root: Path

    @classmethod
    def of(cls, data_dir: Path) -> DataDirLayout:
        # Absolute, so process command lines name it the same way whatever the caller's cwd.
        return cls(Path(os.path.abspath(data_dir.expanduser())))

    @property
    def pgdata(self) -> Path:
        return self.root / "postgres"

    @property
    def redis_dir(self) -> Path:
        return self.root / "redis"

    @property
    def redis_conf(self) -> Path:
        return self.root / "redis.conf"

    @property
    def credentials(self) -> Path:
        return self.root / "credentials.json"

    @property
    def runtime(self) -> Path:
        return self.root / "runtime.json"

    @property
    def postgres_log(self) -> Path:
        return self.root / "postgres.log"

    @property
    def redis_log(self) -> Path:
        return self.root / "redis.log"

    @property
    def serve_lock(self) -> Path:
        return self.root / "serve.lock"

    @property
    def start_lock(self) -> Path:
        return self.root / "start.lock"


@dataclass(frozen=True)
class Credentials:
    """Secrets generated once per data dir, plus the ports last used (reused when free)."""

    postgres_password: str
    owner_password: str
    app_password: str
    redis_password: str
    postgres_port: int | None = None
    redis_port: int | None = None

    @classmethod
    def generate(cls) -> Credentials:
        return cls(
            postgres_password=secrets.token_urlsafe(24),
            owner_password=secrets.token_urlsafe(24),
            app_password=secrets.token_urlsafe(24),
            redis_password=secrets.token_urlsafe(24),
        )


def write_private_json(path: Path, payload: dict[str, Any]) -> None:
    """Atomically replace `path` with `payload`, readable by the owner only (0600)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, indent=2, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def load_credentials(layout: DataDirLayout) -> Credentials | None:
    data = read_json(layout.credentials)
    if data is None:
        return None
    try:
        return Credentials(**data)
    except TypeError as exc:
        raise EmbeddedStartError(
            f"{layout.credentials} is not a valid credentials file ({exc}); "
            "restore it from a backup, or delete the whole data dir to start afresh"
        ) from exc


def load_or_create_credentials(layout: DataDirLayout) -> Credentials:
    existing = load_credentials(layout)
    if existing is not None:
        # Keep it private even if someone loosened the mode.
        os.chmod(layout.credentials, 0o600)
        return existing
    created = Credentials.generate()
    save_credentials(layout, created)
    return created


def save_credentials(layout: DataDirLayout, credentials: Credentials) -> None:
    write_private_json(layout.credentials, asdict(credentials))


def read_runtime(layout: DataDirLayout) -> dict[str, Any]:
    return read_json(layout.runtime) or {}


def update_runtime(layout: DataDirLayout, section: str, value: dict[str, int] | None) -> None:
    """Set (or with None remove) one server's entry; the file goes away when it is empty."""
    state = read_runtime(layout)
    if value is None:
        state.pop(section, None)
    else:
        state[section] = value
    if state:
        write_private_json(layout.runtime, state)
    else:
        with contextlib.suppress(FileNotFoundError):
            layout.runtime.unlink()
