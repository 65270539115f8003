"""Database layer: engine, sessions, one transaction per request, tenant scope, Base.

Rules this module enforces:
- A request (or job) owns its transaction: :func:`get_session` begins it, commits when the
  endpoint returned, rolls back on any error. Services and repositories only ``flush()``.
- The tenant is set per transaction with ``set_config('app.tenant_id', …, true)`` as the
  transaction's first statement, never per connection, so pooled connections (and
  pgbouncer in transaction mode) cannot carry one tenant's scope into another's request.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Self

from fastapi import Depends, Request
from sqlalchemy import DateTime, MetaData, Numeric, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.orm import relationship as sa_relationship

from quartermaster.core.ids import new_id
from quartermaster.core.responses import can_refuse

if TYPE_CHECKING:
    from quartermaster.core.settings import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

TENANT_SETTING = "app.tenant_id"
USER_SETTING = "app.user_id"
LOOKUP_EMAIL_SETTING = "app.lookup_email"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        datetime: DateTime(timezone=True),
        Decimal: Numeric(),
        uuid.UUID: PG_UUID(as_uuid=True),
        dict[str, Any]: JSONB(),
    }


class IdMixin:
    """A UUIDv7 primary key generated in Python, so ids are known before the INSERT."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)


class TimestampMixin:
    # eager_defaults: the UPDATE returns the new updated_at (RETURNING), so the attribute is
    # never left expired for a lazy load, which asyncio cannot do (MissingGreenlet).
    __mapper_args__: ClassVar[dict[str, Any]] = {"eager_defaults": True}

    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


LoadStrategy = Literal["raise", "raise_on_sql", "selectin", "joined", "noload", "write_only"]


def relationship(*args: Any, lazy: LoadStrategy = "raise", **kwargs: Any) -> Any:
    """``sqlalchemy.orm.relationship`` with ``lazy="raise"`` as the default.

    An implicit lazy load is an N+1 query on a sync driver and an error on an async one;
    loading must be asked for explicitly (``selectinload``) where it is wanted.
    """
    return sa_relationship(*args, lazy=lazy, **kwargs)


def async_url(url: str) -> URL:
    """Accept ``postgresql://`` (what psql and operators use) and target asyncpg."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed


class Database:
    """The engine and session factory of one process."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 10,
        max_overflow: int = 10,
        pool_timeout: float = 10.0,
        pgbouncer: bool = False,
        pool_pre_ping: bool = False,
        pool_recycle: int = 1800,
        application_name: str = "quartermaster",
        limits: TransactionLimits | None = None,
    ) -> None:
        connect_args: dict[str, Any] = {"server_settings": {"application_name": application_name}}
        if pgbouncer:
            # Transaction pooling hands each transaction a different server connection,
            # so no prepared statement may outlive one: asyncpg's cache off (its plain
            # queries then use the unnamed statement), SQLAlchemy's own cache of prepared
            # statements off (a cached one is missing on the next server connection:
            # found by the topology test), and the statements SQLAlchemy prepares named
            # uniquely (two clients' may meet on one server connection).
            connect_args["statement_cache_size"] = 0
            connect_args["prepared_statement_cache_size"] = 0
            connect_args["prepared_statement_name_func"] = lambda: f"__qm_{uuid.uuid4().hex}__"
        self.engine: AsyncEngine = create_async_engine(
            async_url(url),
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=pool_timeout,
            pool_pre_ping=pool_pre_ping,
            pool_recycle=pool_recycle,
            connect_args=connect_args,
        )
        # Sent with the statement that scopes each transaction (set_tenant and friends), so
        # they cost no round trip and work behind pgbouncer in transaction mode.
        self.limits = limits
        self.sessionmaker = async_sessionmaker(
            self.engine, expire_on_commit=False, info={_LIMITS: limits} if limits else None
        )
        self.pool_capacity = pool_size + max_overflow

    def pool_usage(self) -> tuple[int, int]:
        """(connections lent out, connections idle in the pool) right now."""
        pool: Any = self.engine.sync_engine.pool
        return int(pool.checkedout()), int(pool.checkedin())

    @asynccontextmanager
    async def transaction(self, tenant_id: uuid.UUID | None = None) -> AsyncIterator[AsyncSession]:
        """One session in one transaction: committed on exit, rolled back on error.

        Explicit commit / rollback / close rather than ``async with session.begin()``, and
        the commit and the close in one call into SQLAlchemy's greenlet: the same outcome
        with fewer hops (this runs per request)."""
        session = self.sessionmaker()
        closed = False
        try:
            if tenant_id is not None:
                await set_tenant(session, tenant_id)
            yield session
            await session.run_sync(_commit_and_close)
            closed = True
        except BaseException:
            await session.rollback()
            raise
        finally:
            if not closed:
                await session.close()

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def _commit_and_close(session: Session) -> None:
    session.commit()
    session.close()


@dataclass(frozen=True)
class TransactionLimits:
    """What PostgreSQL allows one transaction of this process: ``statement_timeout`` and
    ``idle_in_transaction_session_timeout``, in milliseconds as ``set_config`` takes them."""

    statement_timeout_ms: str
    idle_in_transaction_timeout_ms: str

    @classmethod
    def of(cls, *, statement_timeout: float, idle_in_transaction_timeout: float) -> Self:
        """From seconds; 0 turns a limit off (as in PostgreSQL)."""
        return cls(_ms(statement_timeout), _ms(idle_in_transaction_timeout))


def request_limits(settings: Settings) -> TransactionLimits:
    """The limits of the API's transactions (QM_DATABASE_STATEMENT_TIMEOUT_SECONDS, …)."""
    return TransactionLimits.of(
        statement_timeout=settings.database_statement_timeout_seconds,
        idle_in_transaction_timeout=settings.database_idle_in_transaction_timeout_seconds,
    )


def job_limits(settings: Settings) -> TransactionLimits:
    """The limits of background jobs and operator commands: a longer statement timeout."""
    return TransactionLimits.of(
        statement_timeout=settings.database_job_statement_timeout_seconds,
        idle_in_transaction_timeout=settings.database_idle_in_transaction_timeout_seconds,
    )


def _ms(seconds: float) -> str:
    return "0" if seconds <= 0 else str(max(1, round(seconds * 1000)))


def transaction_limits(session: AsyncSession) -> TransactionLimits | None:
    limits = session.info.get(_LIMITS)
    return limits if isinstance(limits, TransactionLimits) else None


async def set_tenant(
    session: AsyncSession, tenant_id: uuid.UUID, *, user_id: uuid.UUID | None = None
) -> None:
    """Scope the current transaction (and only it) to one tenant for row-level security.

    ``user_id`` additionally lets the user's own rows in global tables (their user record,
    their memberships in other tenants) be seen, e.g. to list the tenants they may switch to.
    The settings, and the transaction's time limits, go in one statement: this runs at the
    start of every request.
    """
    settings = [TENANT_SETTING, str(tenant_id)]
    if user_id is not None:
        settings += [USER_SETTING, str(user_id)]
    await _set_local(session, *settings)
    session.info["tenant_id"] = tenant_id


async def set_user(session: AsyncSession, user_id: uuid.UUID) -> None:
    await _set_local(session, USER_SETTING, str(user_id))


async def set_lookup_email(session: AsyncSession, email: str) -> None:
    """Let this transaction see the one user row with this email (login, invitations)."""
    await _set_local(session, LOOKUP_EMAIL_SETTING, email)


# Plain SQL on the driver connection: this starts every request's transaction, where
# SQLAlchemy's statement execution cost more than the round trip. One constant string per
# shape (one or two settings, with or without limits), so each is prepared once.
def _set_config_sql(pairs: int, *, limited: bool) -> str:
    calls = [f"set_config(${2 * i + 1}, ${2 * i + 2}, true)" for i in range(pairs)]
    if limited:
        calls += [
            f"set_config('statement_timeout', ${2 * pairs + 1}, true)",
            f"set_config('idle_in_transaction_session_timeout', ${2 * pairs + 2}, true)",
        ]
    return "SELECT " + ", ".join(calls)


_SET_CONFIG = {
    (pairs, limited): _set_config_sql(pairs, limited=limited)
    for pairs in (1, 2)
    for limited in (False, True)
}


async def _set_local(session: AsyncSession, *names_and_values: str) -> None:
    connection = await driver_connection(session)
    limits = transaction_limits(session)
    pairs = len(names_and_values) // 2
    if limits is None:
        await connection.execute(_SET_CONFIG[pairs, False], *names_and_values)
        return
    await connection.execute(
        _SET_CONFIG[pairs, True],
        *names_and_values,
        limits.statement_timeout_ms,
        limits.idle_in_transaction_timeout_ms,
    )


async def driver_connection(session: AsyncSession) -> Any:
    """The asyncpg connection under ``session``'s transaction (begun if it was not).

    For hot paths written as plain SQL (the ledger writer): statements sent here run in
    the same transaction and tenant scope as the session's, without SQLAlchemy building,
    caching and processing each one. The ORM's identity map does not see what they change.
    Parameters and results are asyncpg's: ``$n`` placeholders, arrays for lists, and
    JSON as text (the dialect's codec on these connections)."""
    transaction = session.get_transaction()
    cached = session.info.get(_DRIVER)
    if cached is not None and transaction is not None and cached[0] is transaction:
        return cached[1]
    # One hop into SQLAlchemy's greenlet for the session's pooled connection (public:
    # Session.connection(), Connection.connection, .dbapi_connection, .driver_connection).
    pooled = await session.run_sync(_pooled_connection)
    driver = pooled.driver_connection
    # SQLAlchemy's asyncpg adapter sends BEGIN lazily, with the first statement that goes
    # through it; a statement sent around it first would run outside the transaction.
    if not driver.is_in_transaction():
        await _begin(session, pooled.dbapi_connection)
    # The same transaction keeps the same connection: remember it for the next call.
    session.info[_DRIVER] = (session.get_transaction(), driver)
    return driver


def _pooled_connection(session: Session) -> Any:
    return session.connection().connection


async def _begin(session: AsyncSession, adapted: Any) -> None:
    """Begin the adapter's transaction now.

    PRIVATE INTERNAL (SQLAlchemy's asyncpg adapter, ``_start_transaction``; pyproject caps
    SQLAlchemy below 2.2 for it; tests/core/test_db.py
    ``test_a_transaction_begins_without_an_extra_statement`` fails if it goes): it sends
    BEGIN the way the adapter would, and nothing else. Every request's transaction starts
    here (the tenant setting is its first statement). The public way, a statement through
    SQLAlchemy (``SELECT 1``), is one more round trip and one SQLAlchemy execution per
    request: 0.45 against 0.30 ms of CPU for a transaction of BEGIN, the tenant setting, one
    statement and COMMIT (4,000 transactions on 8 connections, 2026-12-02), where a whole
    movement costs ~1.5 ms. Without the internal, the public way runs instead."""
    start = getattr(adapted, "_start_transaction", None)
    if start is not None:
        begin = asyncio.ensure_future(start())
        try:
            await asyncio.shield(begin)
            return
        except asyncio.CancelledError:
            # The request was cancelled (its client left) with BEGIN on the wire: let it
            # finish, so the adapter knows its transaction and the session's rollback
            # ends it. Otherwise the server's transaction would outlive the request on
            # the pooled connection, and the next request's work would run in it,
            # never committed.
            await asyncio.wait([begin])
            raise
        except Exception:  # noqa: S110 - answered by the statement below
            # Fail (or succeed) again through SQLAlchemy, whose error handling replaces
            # the pool's connections when the server dropped them.
            pass
    await session.execute(text("SELECT 1"))


_DRIVER = "quartermaster.driver_connection"
_LIMITS = "quartermaster.transaction_limits"


async def current_tenant(session: AsyncSession) -> uuid.UUID | None:
    value = (
        await session.execute(text("SELECT current_setting(:name, true)"), {"name": TENANT_SETTING})
    ).scalar_one_or_none()
    return uuid.UUID(value) if value else None


def get_database(request: Request) -> Database:
    database = request.app.state.database
    assert isinstance(database, Database)
    return database


@can_refuse(503)  # the statement timeout (core.errors.known_failure)
async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's transaction. If an earlier step identified the tenant
    (``request.state.tenant_id``), it is set before anything else runs."""
    database = get_database(request)
    tenant_id = getattr(request.state, "tenant_id", None)
    async with database.transaction(tenant_id) as session:
        yield session


# scope="function": commit before the response is sent, so a failed COMMIT is a 5xx and
# never a success the client was already told about.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


def violated_constraint(exc: Exception) -> str | None:
    """The name of the constraint a failed INSERT/UPDATE/DELETE violated (asyncpg reports
    it on the driver's exception, which SQLAlchemy's IntegrityError wraps)."""
    orig = getattr(exc, "orig", exc)
    cause = getattr(orig, "__cause__", None)
    name = getattr(cause, "constraint_name", None) or getattr(orig, "constraint_name", None)
    return name if isinstance(name, str) else None
