"""One root settings object, read from the environment (prefix ``QM_``) and ``.env``."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The development default; production refuses to start with it.
INSECURE_SECRET_KEY = "insecure-development-key-change-me"  # noqa: S105
MIN_SECRET_LENGTH = 32


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class InsecureSettings(Exception):
    """Raised when production settings would run with a default or weak secret."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="QM_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
    )

    env: Environment = Environment.DEVELOPMENT
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

    data_dir: Path = Path(".qm")
    # Unset means embedded: `qm serve` starts PostgreSQL and Redis under data_dir.
    database_url: str | None = None
    database_owner_url: str | None = None
    # Only for operator commands that must see every tenant (`qm check-ledger --all`):
    # a superuser or BYPASSRLS role. Never used by the API or the worker.
    database_admin_url: str | None = None
    redis_url: str | None = None

    database_pool_size: int = Field(default=10, ge=1)
    database_max_overflow: int = Field(default=10, ge=0)
    database_pool_timeout_seconds: float = Field(default=10.0, gt=0)
    # Test each pooled connection with a round trip before lending it out (3 round trips on
    # asyncpg). Off by default: after the database restarts or fails over, the first
    # request on a dead connection fails and the whole pool is replaced at once. Turn it
    # on where something silently drops idle connections (some firewalls, proxies).
    database_pool_pre_ping: bool = False
    # Replace pooled connections older than this (seconds); -1 keeps them forever.
    database_pool_recycle_seconds: int = Field(default=1800, ge=-1)
    # Behind pgbouncer in transaction mode, server-side prepared statements must be off.
    database_pgbouncer: bool = False

    secret_key: SecretStr = SecretStr(INSECURE_SECRET_KEY)

    # Identity: token lifetimes, sign-up, login throttling, password hashing cost.
    access_token_ttl_seconds: int = Field(default=900, ge=30)
    refresh_token_ttl_days: int = Field(default=30, ge=1)
    signup_enabled: bool = True
    login_max_failures: int = Field(default=10, ge=1)
    login_failure_window_seconds: int = Field(default=900, ge=1)
    password_argon2_time_cost: int = Field(default=3, ge=1)
    password_argon2_memory_kib: int = Field(default=65536, ge=8)

    # The built browser app served at `/` (unset: web/dist of the checkout).
    web_dir: Path | None = None

    log_format: Literal["console", "json"] | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # --- Jobs (arq worker, imports, exports, schedules; the `jobs` module) ----------------
    # Run an arq worker inside the API process; `qm serve` sets it in embedded mode.
    run_worker: bool = False
    # Uploads and export files; unset means <data_dir>/jobs. Every API replica and worker
    # must see the same directory (a shared volume in external mode).
    jobs_files_dir: Path | None = None
    # A running job's lease: renewed every third of it; a dead worker's job restarts
    # elsewhere once it lapses.
    jobs_lease_seconds: float = Field(default=15.0, ge=1.0)
    jobs_max_concurrency: int = Field(default=4, ge=1)
    jobs_timeout_seconds: int = Field(default=3600, ge=5)
    jobs_max_attempts: int = Field(default=5, ge=1)
    jobs_retry_backoff_seconds: float = Field(default=2.0, gt=0)
    # Jobs still queued this long after their last change are enqueued again (sweeper).
    jobs_requeue_after_seconds: int = Field(default=60, ge=1)
    # The longest a worker idles between queue checks; an enqueue wakes it at once.
    jobs_poll_seconds: float = Field(default=0.5, gt=0)
    jobs_import_chunk_rows: int = Field(default=1000, ge=1, le=2000)
    jobs_max_upload_bytes: int = Field(default=200 * 1024 * 1024, ge=1)
    jobs_file_retention_hours: int = Field(default=168, ge=1)
    jobs_low_stock_digest_hour: int = Field(default=6, ge=0, le=23)
    outbox_retention_hours: float = Field(default=24.0, gt=0)
    idempotency_key_retention_hours: float = Field(default=24.0, ge=24.0)
    # --- end of jobs settings ----------------------------------------------------------------

    # --- Realtime (outbox relay, live gateway; core/relay.py, the `realtime` module) -------
    # Run the outbox relay inside the API process; `qm serve` sets it in embedded mode.
    # External mode runs `qm relay` instead (or as well: several relays may run).
    run_relay: bool = False
    # The relay reads every tenant's outbox rows: the owner role by default (migration 0009
    # gives it the policies), or a dedicated role an operator set up (docs/operations.md).
    relay_database_url: str | None = None
    relay_batch_size: int = Field(default=100, ge=1, le=10_000)
    # NOTIFY wakes the relay on every commit; this poll is only the fallback.
    relay_poll_interval_seconds: float = Field(default=1.0, gt=0)
    # Events kept per tenant stream for resuming clients (MAXLEN ~, so a little more).
    realtime_stream_maxlen: int = Field(default=10_000, ge=1)
    # Messages buffered per socket or SSE stream; a client that falls this far behind is
    # disconnected (WebSocket close 1013) instead of slowing everyone else.
    realtime_queue_size: int = Field(default=1000, ge=1)
    # A socket or stream idle this long gets a heartbeat.
    realtime_heartbeat_seconds: float = Field(default=20.0, gt=0)
    # (Published outbox rows are pruned after outbox_retention_hours, above.)
    # --- end of realtime settings ------------------------------------------------------------

    @model_validator(mode="after")
    def _refuse_insecure_production(self) -> Self:
        if self.env is Environment.PRODUCTION:
            secret = self.secret_key.get_secret_value()
            if secret == INSECURE_SECRET_KEY or len(secret) < MIN_SECRET_LENGTH:
                raise InsecureSettings(
                    "QM_SECRET_KEY must be set to a random value of at least "
                    f"{MIN_SECRET_LENGTH} characters when QM_ENV=production "
                    "(generate one with: python3 -c "
                    "'import secrets; print(secrets.token_urlsafe(48))')"
                )
        return self

    @property
    def is_production(self) -> bool:
        return self.env is Environment.PRODUCTION

    @property
    def embedded(self) -> bool:
        """True when at least one backing service must be started by `qm serve`."""
        return self.database_url is None or self.redis_url is None

    @property
    def effective_log_format(self) -> Literal["console", "json"]:
        if self.log_format is not None:
            return self.log_format
        return "json" if self.is_production else "console"

    def with_secret(self, secret_key: str) -> Settings:
        return self.model_copy(update={"secret_key": SecretStr(secret_key)})

    @property
    def has_default_secret(self) -> bool:
        return self.secret_key.get_secret_value() == INSECURE_SECRET_KEY

    def with_urls(
        self,
        *,
        database_url: str | None = None,
        database_owner_url: str | None = None,
        redis_url: str | None = None,
    ) -> Settings:
        """A copy with the given service URLs filled in (used after embedded start)."""
        update: dict[str, str] = {}
        if database_url is not None:
            update["database_url"] = database_url
        if database_owner_url is not None:
            update["database_owner_url"] = database_owner_url
        if redis_url is not None:
            update["redis_url"] = redis_url
        return self.model_copy(update=update)


@lru_cache
def get_settings() -> Settings:
    return Settings()
