"""The embedded servers and connection settings for the commands: start or adopt the
embedded PostgreSQL and Redis, keep their schema current, the data dir's secret and
capture mailbox, and the environment that worker processes read."""

from __future__ import annotations

import os
import signal
from contextlib import ExitStack
from types import FrameType
from typing import TYPE_CHECKING

from quartermaster.cli_common import _fail, console

if TYPE_CHECKING:
    from quartermaster.core.settings import Settings
    from quartermaster.runtime import EmbeddedUrls

# In the data dir: the newest migration revision, and a digest of the migration files it
# was found for (see core.migrate.upgrade_unless_current).
SCHEMA_STAMP = "schema.json"


def _plain_url(url: str) -> str:
    """The libpq form of a URL (what psql accepts), without the asyncpg driver suffix."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def _terminate_on_sigterm() -> None:
    """Until uvicorn installs its own handlers, turn SIGTERM into a normal exit so the
    cleanup below still stops the servers we started."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def _start_embedded(settings: Settings, stack: ExitStack) -> Settings:
    from quartermaster.runtime import EmbeddedServices, EmbeddedStartError

    services = EmbeddedServices(
        settings.data_dir,
        postgres=settings.database_url is None,
        redis=settings.redis_url is None,
        system_dir=settings.embedded_system_dir,
    )
    with console.status(f"Starting embedded services in {settings.data_dir.resolve()} …"):
        try:
            urls = services.start()
        except EmbeddedStartError as exc:
            services.stop()
            raise _fail(str(exc)) from exc
    stack.callback(services.stop)
    return _with_embedded_urls(settings, urls)


def _with_embedded_urls(settings: Settings, urls: EmbeddedUrls) -> Settings:
    return settings.with_urls(
        database_url=urls.database_url or None,
        database_owner_url=urls.database_owner_url or None,
        redis_url=urls.redis_url or None,
    )


def _connect(settings: Settings, stack: ExitStack) -> Settings:
    """Settings with database/Redis URLs: external as configured; embedded from the
    running `qm serve`, or started for the duration of this command."""
    if not settings.embedded:
        return settings
    from quartermaster.runtime import running_urls

    running = running_urls(settings.data_dir)
    if running and running.database_url and running.redis_url:
        return _with_embedded_urls(settings, running)
    settings = _start_embedded(settings, stack)
    _migrate_embedded(settings)
    return settings


def _migrate_embedded(settings: Settings) -> None:
    """Embedded mode keeps its own database at the newest schema on every start; when it is
    there already (every start but the first after an update) Alembic is not even loaded."""
    from quartermaster.core import migrate as migrations

    with console.status("Checking database migrations …"):
        owner = _owner_url(settings)
        assert settings.database_url is not None
        migrations.upgrade_unless_current(
            owner,
            app_role=migrations.application_role(settings.database_url, owner),
            stamp=settings.data_dir / SCHEMA_STAMP,
        )


def _embedded_secret(settings: Settings) -> Settings:
    """In embedded mode without QM_SECRET_KEY, a random key generated on the first start
    and kept in the data dir, so tokens survive restarts."""
    if not settings.has_default_secret:
        return settings
    import secrets

    path = settings.data_dir / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return settings.with_secret(path.read_text().strip())


def _ensure_safe_to_serve(settings: Settings) -> None:
    from quartermaster.core.settings import InsecureSettings

    try:
        settings.ensure_safe_to_serve()
    except InsecureSettings as exc:
        raise _fail(str(exc)) from exc


def _owner_url(settings: Settings) -> str:
    url = settings.database_owner_url or settings.database_url
    assert url is not None
    return url


def _capture_mail(settings: Settings, stack: ExitStack) -> Settings:
    """Embedded mode without QM_SMTP_URL: a local capture mailbox receives every e-mail
    (kept in QM_DATA_DIR/mailbox; `qm mail list` shows the outbox)."""
    if settings.smtp_url is not None:
        return settings
    from pydantic import SecretStr

    from quartermaster.runtime import CaptureMailbox

    mailbox = CaptureMailbox(settings.data_dir / "mailbox")
    url = mailbox.start()
    stack.callback(mailbox.stop)
    return settings.model_copy(update={"smtp_url": SecretStr(url)})


def _export(settings: Settings) -> None:
    """Worker processes (``--workers``, ``--reload``) read settings from the environment."""
    from quartermaster.core.settings import get_settings

    os.environ["QM_SECRET_KEY"] = settings.secret_key.get_secret_value()
    os.environ["QM_HOST"] = settings.host  # what create_app checks its settings against
    os.environ["QM_PORT"] = str(settings.port)
    if settings.smtp_url is not None:
        os.environ["QM_SMTP_URL"] = settings.smtp_url.get_secret_value()
    for name, value in (
        ("QM_DATABASE_URL", settings.database_url),
        ("QM_DATABASE_OWNER_URL", settings.database_owner_url),
        ("QM_REDIS_URL", settings.redis_url),
    ):
        if value:
            os.environ[name] = value
    get_settings.cache_clear()
