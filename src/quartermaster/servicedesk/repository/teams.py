"""Queries on teams, their members, agents' away flags, SLA policies and field definitions."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ClauseElement,
    DateTime,
    any_,
    bindparam,
    delete,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.compiler import SQLCompiler

from quartermaster.core.db import driver_connection
from quartermaster.core.pagination import keyset
from quartermaster.servicedesk.models import (
    AgentStatus,
    SlaPolicy,
    Team,
    TeamMember,
    Ticket,
    TicketField,
)

OPEN_STATUSES = ("new", "open", "pending")


# Teams


async def team_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, team_id: uuid.UUID, *, lock: bool = False
) -> Team | None:
    query = select(Team).where(Team.tenant_id == tenant_id, Team.id == team_id)
    if lock:
        # NO KEY UPDATE: serialises the team's editors without blocking the foreign-key
        # checks (KEY SHARE) of tickets being written for the team.
        query = query.with_for_update(key_share=True).execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def default_team(session: AsyncSession, tenant_id: uuid.UUID) -> Team | None:
    query = select(Team).where(Team.tenant_id == tenant_id, Team.is_default.is_(True))
    return (await session.execute(query)).scalar_one_or_none()


async def teams(session: AsyncSession, tenant_id: uuid.UUID) -> list[Team]:
    query = select(Team).where(Team.tenant_id == tenant_id).order_by(func.lower(Team.name), Team.id)
    return list((await session.execute(query)).scalars())


async def teams_page(
    session: AsyncSession, tenant_id: uuid.UUID, *, limit: int, after: Sequence[Any] | None
) -> list[Team]:
    """By name (case-insensitive, unique): the key is ``(lower(name), id)``."""
    query = keyset(
        select(Team).where(Team.tenant_id == tenant_id),
        [func.lower(Team.name), Team.id],
        after,
        limit=limit,
    )
    return list((await session.execute(query)).scalars())


async def clear_default_team(session: AsyncSession, tenant_id: uuid.UUID, keep: uuid.UUID) -> None:
    await session.execute(
        update(Team)
        .where(Team.tenant_id == tenant_id, Team.is_default.is_(True), Team.id != keep)
        .values(is_default=False, version=Team.version + 1, updated_at=func.now())
    )


async def members_of(
    session: AsyncSession, tenant_id: uuid.UUID, team_ids: list[uuid.UUID]
) -> list[TeamMember]:
    query = (
        select(TeamMember)
        .where(TeamMember.tenant_id == tenant_id, TeamMember.team_id.in_(team_ids))
        .order_by(TeamMember.team_id, TeamMember.created_at, TeamMember.user_id)
        # The rotation reads last_assigned_at, which mark_assigned changes behind the ORM.
        .execution_options(populate_existing=True)
    )
    return list((await session.execute(query)).scalars())


async def replace_members(
    session: AsyncSession, tenant_id: uuid.UUID, team_id: uuid.UUID, user_ids: list[uuid.UUID]
) -> None:
    """Keep the members in ``user_ids`` (with their place in the rotation), add the others."""
    await session.execute(
        delete(TeamMember).where(
            TeamMember.tenant_id == tenant_id,
            TeamMember.team_id == team_id,
            TeamMember.user_id.not_in(user_ids),
        )
    )
    if user_ids:
        await session.execute(
            insert(TeamMember)
            .values([{"tenant_id": tenant_id, "team_id": team_id, "user_id": u} for u in user_ids])
            .on_conflict_do_nothing()
        )


async def teams_of_users(
    session: AsyncSession, tenant_id: uuid.UUID
) -> dict[uuid.UUID, list[uuid.UUID]]:
    rows = await session.execute(
        select(TeamMember.user_id, TeamMember.team_id)
        .where(TeamMember.tenant_id == tenant_id)
        .order_by(TeamMember.user_id, TeamMember.team_id)
    )
    found: dict[uuid.UUID, list[uuid.UUID]] = {}
    for user_id, team_id in rows:
        found.setdefault(user_id, []).append(team_id)
    return found


@dataclass(frozen=True)
class RotationRow:
    user_id: uuid.UUID
    last_assigned_at: datetime | None
    created_at: datetime
    is_away: bool


async def lock_rotation(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    team_id: uuid.UUID,
    agents: Collection[uuid.UUID],
) -> list[RotationRow]:
    """The team's members who are ``agents`` (ids identity gave), with their place in
    the rotation and away flag; their rows locked in user order (one order for every
    assigner: no deadlock)."""
    query = (
        select(
            TeamMember.user_id,
            TeamMember.last_assigned_at,
            TeamMember.created_at,
            func.coalesce(AgentStatus.is_away, False),
        )
        .outerjoin(
            AgentStatus,
            (AgentStatus.tenant_id == TeamMember.tenant_id)
            & (AgentStatus.user_id == TeamMember.user_id),
        )
        .where(
            TeamMember.tenant_id == tenant_id,
            TeamMember.team_id == team_id,
            TeamMember.user_id == any_(literal(list(agents), type_=ARRAY(PG_UUID))),
        )
        .order_by(TeamMember.user_id)
        .with_for_update(of=TeamMember)
    )
    return [RotationRow(*row) for row in await session.execute(query)]


@dataclass(frozen=True)
class DriverStatement:
    """A SQLAlchemy Core statement compiled once for the asyncpg driver (public API:
    ``compile``, ``Compiled.string``/``params``, ``SQLCompiler.positiontup``), for a hot
    statement that embeds another module's selectable (which plain SQL could not name):
    run on the driver connection, it costs what a constant string does."""

    sql: str
    names: tuple[str, ...]
    constants: dict[str, Any]

    @classmethod
    def compile(cls, statement: ClauseElement) -> DriverStatement:
        compiled = statement.compile(dialect=_DIALECT, compile_kwargs={"render_postcompile": True})
        assert isinstance(compiled, SQLCompiler)
        assert compiled.positiontup is not None
        return cls(compiled.string, tuple(compiled.positiontup), dict(compiled.params))

    def arguments(self, **values: Any) -> list[Any]:
        """The positional arguments: ``values`` by parameter name, else the constants."""
        return [values[name] if name in values else self.constants[name] for name in self.names]


_DIALECT = asyncpg_dialect()  # type: ignore[no-untyped-call]  # (untyped in SQLAlchemy)

# The parameters of the round-robin statement.
_TENANT_PARAM = bindparam("tenant_id", type_=PG_UUID(as_uuid=True), value=None)
_TEAM_PARAM = bindparam("team_id", type_=PG_UUID(as_uuid=True), value=None)
_AGENTS_PARAM = bindparam("agents", type_=ARRAY(PG_UUID(as_uuid=True)), value=None)
_NOW_PARAM = bindparam("now", type_=DateTime(timezone=True), value=None)


def round_robin_statement() -> DriverStatement:
    """Round robin in one statement: lock the team's members who are among the
    ``agents`` parameter (the tenant's agents, ids from identity) in user order, as
    :func:`lock_rotation`; choose the available one with the oldest ``last_assigned_at``
    (never assigned first; then the oldest membership, then the user id) and stamp it
    strictly later than every member's stamp (``now``, or the latest stamp + 1 µs).
    Built once per process (:func:`assign_next_in_rotation` runs it)."""
    rotation = (
        select(
            TeamMember.user_id,
            TeamMember.last_assigned_at,
            TeamMember.created_at,
            func.coalesce(AgentStatus.is_away, False).label("is_away"),
        )
        .outerjoin(
            AgentStatus,
            (AgentStatus.tenant_id == TeamMember.tenant_id)
            & (AgentStatus.user_id == TeamMember.user_id),
        )
        .where(
            TeamMember.tenant_id == _TENANT_PARAM,
            TeamMember.team_id == _TEAM_PARAM,
            TeamMember.user_id == any_(_AGENTS_PARAM),
        )
        .order_by(TeamMember.user_id)
        .with_for_update(of=TeamMember)
        .cte("rotation")
    )
    chosen = (
        select(rotation.c.user_id)
        .where(rotation.c.is_away.is_(False))
        .order_by(
            rotation.c.last_assigned_at.asc().nulls_first(),
            rotation.c.created_at,
            rotation.c.user_id,
        )
        .limit(1)
        .scalar_subquery()
    )
    latest = select(func.max(rotation.c.last_assigned_at)).scalar_subquery()
    statement = (
        update(TeamMember)
        .where(
            TeamMember.tenant_id == _TENANT_PARAM,
            TeamMember.team_id == _TEAM_PARAM,
            TeamMember.user_id == chosen,
        )
        .values(last_assigned_at=func.greatest(_NOW_PARAM, latest + timedelta(microseconds=1)))
        .returning(TeamMember.user_id)
    )
    return DriverStatement.compile(statement)


async def assign_next_in_rotation(
    session: AsyncSession,
    statement: DriverStatement,
    tenant_id: uuid.UUID,
    team_id: uuid.UUID,
    agents: Collection[uuid.UUID],
    now: datetime,
) -> uuid.UUID | None:
    """The agent among ``agents`` that :func:`round_robin_statement` chooses and stamps;
    None when no agent is available (nothing is stamped)."""
    connection = await driver_connection(session)
    arguments = statement.arguments(
        tenant_id=tenant_id, team_id=team_id, agents=list(agents), now=now
    )
    chosen: uuid.UUID | None = await connection.fetchval(statement.sql, *arguments)
    return chosen


async def mark_assigned(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    team_id: uuid.UUID,
    user_id: uuid.UUID,
    at: datetime,
) -> None:
    await session.execute(
        update(TeamMember)
        .where(
            TeamMember.tenant_id == tenant_id,
            TeamMember.team_id == team_id,
            TeamMember.user_id == user_id,
        )
        .values(last_assigned_at=at)
    )


# Agents


async def away_agents(session: AsyncSession, tenant_id: uuid.UUID) -> set[uuid.UUID]:
    rows = await session.execute(
        select(AgentStatus.user_id).where(
            AgentStatus.tenant_id == tenant_id, AgentStatus.is_away.is_(True)
        )
    )
    return set(rows.scalars())


async def set_away(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, is_away: bool
) -> bool:
    """Mark the agent away or back; True when that changed anything. One statement whose
    row lock settles concurrent changes: of two managers marking the same agent away at
    once, one changes it (an agent without a status row is not away)."""
    if is_away:
        inserted = insert(AgentStatus).values(tenant_id=tenant_id, user_id=user_id, is_away=True)
        changed = await session.execute(
            inserted.on_conflict_do_update(
                index_elements=[AgentStatus.tenant_id, AgentStatus.user_id],
                set_={"is_away": True, "updated_at": func.now()},
                where=AgentStatus.is_away.is_(False),
            ).returning(AgentStatus.user_id)
        )
    else:
        changed = await session.execute(
            update(AgentStatus)
            .where(
                AgentStatus.tenant_id == tenant_id,
                AgentStatus.user_id == user_id,
                AgentStatus.is_away.is_(True),
            )
            .values(is_away=False, updated_at=func.now())
            .returning(AgentStatus.user_id)
        )
    return changed.first() is not None


async def open_ticket_counts(
    session: AsyncSession, tenant_id: uuid.UUID, user_ids: list[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """Tickets assigned to each agent that are not resolved or closed."""
    rows = await session.execute(
        select(Ticket.assignee_id, func.count())
        .where(
            Ticket.tenant_id == tenant_id,
            Ticket.assignee_id.in_(user_ids),
            Ticket.status.in_(OPEN_STATUSES),
        )
        .group_by(Ticket.assignee_id)
    )
    counts = dict.fromkeys(user_ids, 0)
    for user_id, count in rows:
        if user_id is not None:
            counts[user_id] = count
    return counts


# SLA policies


async def sla_policy_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, policy_id: uuid.UUID, *, lock: bool = False
) -> SlaPolicy | None:
    query = select(SlaPolicy).where(SlaPolicy.tenant_id == tenant_id, SlaPolicy.id == policy_id)
    if lock:
        query = query.with_for_update(key_share=True).execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def default_sla_policy(session: AsyncSession, tenant_id: uuid.UUID) -> SlaPolicy | None:
    query = select(SlaPolicy).where(
        SlaPolicy.tenant_id == tenant_id, SlaPolicy.is_default.is_(True)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def sla_policies_page(
    session: AsyncSession, tenant_id: uuid.UUID, *, limit: int, after: Sequence[Any] | None
) -> list[SlaPolicy]:
    """By name (case-insensitive, unique): the key is ``(lower(name), id)``."""
    query = keyset(
        select(SlaPolicy).where(SlaPolicy.tenant_id == tenant_id),
        [func.lower(SlaPolicy.name), SlaPolicy.id],
        after,
        limit=limit,
    )
    return list((await session.execute(query)).scalars())


async def clear_default_policy(
    session: AsyncSession, tenant_id: uuid.UUID, keep: uuid.UUID
) -> None:
    await session.execute(
        update(SlaPolicy)
        .where(
            SlaPolicy.tenant_id == tenant_id, SlaPolicy.is_default.is_(True), SlaPolicy.id != keep
        )
        .values(is_default=False, version=SlaPolicy.version + 1, updated_at=func.now())
    )


# Custom field definitions


async def ticket_fields(session: AsyncSession, tenant_id: uuid.UUID) -> list[TicketField]:
    query = select(TicketField).where(TicketField.tenant_id == tenant_id).order_by(TicketField.key)
    return list((await session.execute(query)).scalars())


async def ticket_fields_page(
    session: AsyncSession, tenant_id: uuid.UUID, *, limit: int, after: Sequence[Any] | None
) -> list[TicketField]:
    """By key (a field's name, unique): the key is ``(key, id)``."""
    query = keyset(
        select(TicketField).where(TicketField.tenant_id == tenant_id),
        [TicketField.key, TicketField.id],
        after,
        limit=limit,
    )
    return list((await session.execute(query)).scalars())


async def ticket_field_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, field_id: uuid.UUID
) -> TicketField | None:
    query = select(TicketField).where(
        TicketField.tenant_id == tenant_id, TicketField.id == field_id
    )
    return (await session.execute(query)).scalar_one_or_none()
