"""Teams, agents (members with ``tickets:write``, who can be marked away) and assignment.

Assignment runs when a ticket is created without an assignee and when it is reopened
without an available one, per the team's strategy:

- ``manual``: nobody; a person assigns.
- ``round_robin``: the team's available agent assigned longest ago (never assigned first).
- ``load_balanced``: the available agent with the fewest open (new, open, pending)
  tickets; ties go round robin.

Available means: still a member of the organization with ``tickets:write``, not marked
away. The team's member rows are locked (``FOR UPDATE``, in user order) for the choice,
so concurrent creations choose one after another and see each other's
``last_assigned_at``: 50 simultaneous tickets spread evenly, and nobody gets two in a row
while another waits.
"""

from __future__ import annotations

import functools
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.clock import utcnow
from quartermaster.core.concurrency import check_if_match
from quartermaster.core.db import violated_constraint
from quartermaster.core.events import emit
from quartermaster.core.ids import new_id
from quartermaster.core.pagination import Page, PageParams
from quartermaster.identity.public import (
    Forbidden,
    MemberRef,
    Permission,
    Principal,
    Role,
    member_ids_with_permission,
    members_with_permission,
    members_with_permission_page,
)
from quartermaster.servicedesk import repository
from quartermaster.servicedesk.errors import (
    AgentNotFound,
    FieldProblem,
    InvalidFields,
    NameTaken,
    TeamNotFound,
    invalid,
)
from quartermaster.servicedesk.events import AgentChanged, AgentEvents
from quartermaster.servicedesk.models import Team
from quartermaster.servicedesk.repository import teams as team_rows
from quartermaster.servicedesk.repository.opening import TeamRef
from quartermaster.servicedesk.repository.teams import DriverStatement, RotationRow
from quartermaster.servicedesk.schemas import (
    AgentRead,
    AgentUpdate,
    TeamCreate,
    TeamMemberRead,
    TeamRead,
    TeamUpdate,
)

NEVER = datetime.min.replace(tzinfo=UTC)


async def agents_among(
    session: AsyncSession, tenant_id: uuid.UUID, user_ids: list[uuid.UUID] | None = None
) -> dict[uuid.UUID, MemberRef]:
    """The organization's agents (members whose role has ``tickets:write``)."""
    return await members_with_permission(session, tenant_id, Permission.TICKETS_WRITE, user_ids)


async def check_agent(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, field: str = "assignee_id"
) -> None:
    if user_id not in await agents_among(session, tenant_id, [user_id]):
        raise invalid(
            field,
            "No agent (a member with the tickets:write permission) with this id in this "
            "organization.",
            "unknown_agent",
            code="unknown-agent",
        )


async def _team_reads(
    session: AsyncSession, tenant_id: uuid.UUID, teams: list[Team]
) -> list[TeamRead]:
    members = await team_rows.members_of(session, tenant_id, [team.id for team in teams])
    people = await agents_among(session, tenant_id, list({m.user_id for m in members}))
    away = await team_rows.away_agents(session, tenant_id)
    by_team: dict[uuid.UUID, list[TeamMemberRead]] = {team.id: [] for team in teams}
    for member in members:
        person = people.get(member.user_id)
        if person is None:  # no longer an agent: not shown, never assigned
            continue
        by_team[member.team_id].append(
            TeamMemberRead(
                user_id=member.user_id,
                full_name=person.full_name,
                email=person.email,
                is_away=member.user_id in away,
            )
        )
    return [
        TeamRead(
            id=team.id,
            name=team.name,
            assignment_strategy=team.assignment_strategy,
            sla_policy_id=team.sla_policy_id,
            is_default=team.is_default,
            members=by_team[team.id],
            version=team.version,
            created_at=team.created_at,
            updated_at=team.updated_at,
        )
        for team in teams
    ]


async def _check_refs(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    member_ids: list[uuid.UUID] | None,
    sla_policy_id: uuid.UUID | None,
) -> None:
    problems: list[FieldProblem] = []
    if member_ids:
        agents = await agents_among(session, tenant_id, member_ids)
        for index, user_id in enumerate(member_ids):
            if user_id not in agents:
                problems.append(
                    FieldProblem(
                        f"member_ids.{index}",
                        "No agent (a member with tickets:write) with this id here.",
                        "unknown_agent",
                    )
                )
    if sla_policy_id is not None and (
        await team_rows.sla_policy_by_id(session, tenant_id, sla_policy_id) is None
    ):
        problems.append(
            FieldProblem("sla_policy_id", "No SLA policy with this id here.", "unknown_policy")
        )
    if problems:
        raise InvalidFields(problems)


async def _flush_team(session: AsyncSession, team: Team) -> None:
    name = team.name
    try:
        await session.flush()
    except IntegrityError as exc:
        if violated_constraint(exc) == "uq_teams_tenant_id_lower_name":
            raise NameTaken("team", name) from exc
        raise


async def create_team(session: AsyncSession, principal: Principal, data: TeamCreate) -> TeamRead:
    """Create a team; members must be agents. The first team is the default one."""
    tenant_id = principal.tenant_id
    members = list(dict.fromkeys(data.member_ids))
    await _check_refs(session, tenant_id, members, data.sla_policy_id)
    is_default = data.is_default or await team_rows.default_team(session, tenant_id) is None
    now = utcnow()
    team = Team(
        id=new_id(),
        tenant_id=tenant_id,
        name=data.name,
        assignment_strategy=data.assignment_strategy.value,
        sla_policy_id=data.sla_policy_id,
        is_default=is_default,
        version=1,
        created_at=now,
        updated_at=now,
    )
    if is_default:
        await team_rows.clear_default_team(session, tenant_id, team.id)
    repository.add(session, team)
    await _flush_team(session, team)
    await team_rows.replace_members(session, tenant_id, team.id, members)
    (read,) = await _team_reads(session, tenant_id, [team])
    return read


async def update_team(
    session: AsyncSession,
    principal: Principal,
    team_id: uuid.UUID,
    data: TeamUpdate,
    if_match: str | None,
) -> TeamRead:
    tenant_id = principal.tenant_id
    team = await team_rows.team_by_id(session, tenant_id, team_id, lock=True)
    if team is None:
        raise TeamNotFound
    check_if_match(if_match, team.version, what="team")
    changes = data.changes()
    members = list(dict.fromkeys(data.member_ids)) if data.member_ids is not None else None
    await _check_refs(session, tenant_id, members, changes.get("sla_policy_id"))
    if changes.get("is_default") is False and team.is_default:
        raise invalid(
            "is_default",
            "The default team stays the default until another team is made the default.",
            "default_required",
        )
    if "name" in changes:
        team.name = changes["name"]
    if "assignment_strategy" in changes:
        team.assignment_strategy = changes["assignment_strategy"].value
    if "sla_policy_id" in changes:
        team.sla_policy_id = changes["sla_policy_id"]
    if changes.get("is_default"):
        await team_rows.clear_default_team(session, tenant_id, team.id)
        team.is_default = True
    team.version += 1
    team.updated_at = utcnow()
    await _flush_team(session, team)
    if members is not None:
        await team_rows.replace_members(session, tenant_id, team.id, members)
    (read,) = await _team_reads(session, tenant_id, [team])
    return read


async def get_team(session: AsyncSession, principal: Principal, team_id: uuid.UUID) -> TeamRead:
    team = await team_rows.team_by_id(session, principal.tenant_id, team_id)
    if team is None:
        raise TeamNotFound
    (read,) = await _team_reads(session, principal.tenant_id, [team])
    return read


async def list_teams(
    session: AsyncSession, principal: Principal, page: PageParams
) -> Page[TeamRead]:
    """By name (case-insensitive), then id."""
    rows, next_cursor = page.next_page(
        await team_rows.teams_page(
            session, principal.tenant_id, limit=page.fetch, after=page.after(str, uuid.UUID)
        ),
        lambda team: [team.name.lower(), team.id],
    )
    items = await _team_reads(session, principal.tenant_id, rows)
    return Page[TeamRead](items=items, next_cursor=next_cursor)


# Agents


async def list_agents(
    session: AsyncSession, principal: Principal, page: PageParams
) -> Page[AgentRead]:
    """By name, then id."""
    rows, next_cursor = page.next_page(
        await members_with_permission_page(
            session,
            principal.tenant_id,
            Permission.TICKETS_WRITE,
            limit=page.fetch,
            after=page.after(str, uuid.UUID),
        ),
        lambda agent: [agent.full_name, agent.id],
    )
    items = await _agent_reads(session, principal.tenant_id, rows)
    return Page[AgentRead](items=items, next_cursor=next_cursor)


async def _agent_reads(
    session: AsyncSession, tenant_id: uuid.UUID, agents: list[MemberRef]
) -> list[AgentRead]:
    away = await team_rows.away_agents(session, tenant_id)
    counts = await team_rows.open_ticket_counts(session, tenant_id, [a.id for a in agents])
    teams = await team_rows.teams_of_users(session, tenant_id)
    return [
        AgentRead(
            user_id=agent.id,
            full_name=agent.full_name,
            email=agent.email,
            role=agent.role.value,
            is_away=agent.id in away,
            open_tickets=counts.get(agent.id, 0),
            team_ids=teams.get(agent.id, []),
        )
        for agent in agents
    ]


async def update_agent(
    session: AsyncSession, principal: Principal, user_id: uuid.UUID, data: AgentUpdate
) -> AgentRead:
    """Mark an agent away (skipped by assignment) or back. Agents change their own flag;
    managers and above change anyone's."""
    if user_id != principal.user_id and principal.role < Role.MANAGER:
        raise Forbidden(
            "Agents mark only themselves away; marking another agent needs the manager role.",
            code="permission-denied",
        )
    tenant_id = principal.tenant_id
    agent = (await agents_among(session, tenant_id, [user_id])).get(user_id)
    if agent is None:
        raise AgentNotFound
    if await team_rows.set_away(session, tenant_id, user_id, data.is_away):
        # Other desks' agent lists follow (tickets:updates); a no-op changes nothing.
        await emit(
            session,
            tenant_id,
            AgentEvents.UPDATED,
            AgentChanged(user_id=user_id, is_away=data.is_away, changed_by=principal.id),
        )
    (read,) = await _agent_reads(session, tenant_id, [agent])
    return read


# Assignment


def _rotation_key(member: RotationRow) -> tuple[datetime, datetime, uuid.UUID]:
    return (member.last_assigned_at or NEVER, member.created_at, member.user_id)


@functools.cache
def _round_robin() -> DriverStatement:
    return team_rows.round_robin_statement()


async def pick_assignee(
    session: AsyncSession, team: Team | TeamRef, now: datetime
) -> uuid.UUID | None:
    """The agent the team's strategy chooses now (None: manual, or nobody available); the
    choice is recorded for the rotation. The team's member rows stay locked until the
    transaction ends, so the team's assigners choose one after another."""
    if team.assignment_strategy == "manual":
        return None
    tenant_id = team.tenant_id
    agents = await member_ids_with_permission(session, tenant_id, Permission.TICKETS_WRITE)
    if not agents:
        return None
    if team.assignment_strategy == "round_robin":  # lock, choose and stamp: one statement
        return await team_rows.assign_next_in_rotation(
            session, _round_robin(), tenant_id, team.id, agents, now
        )
    rotation = await team_rows.lock_rotation(session, tenant_id, team.id, agents)
    eligible = [m for m in rotation if not m.is_away]
    if not eligible:
        return None
    if team.assignment_strategy == "load_balanced":
        load = await team_rows.open_ticket_counts(session, tenant_id, [m.user_id for m in eligible])
        chosen = min(eligible, key=lambda m: (load[m.user_id], _rotation_key(m)))
    else:
        chosen = min(eligible, key=_rotation_key)
    # Strictly later than every earlier choice, even within one clock tick.
    latest = max((m.last_assigned_at for m in rotation if m.last_assigned_at), default=None)
    stamp = now if latest is None or now > latest else latest + timedelta(microseconds=1)
    await team_rows.mark_assigned(session, tenant_id, team.id, chosen.user_id, stamp)
    return chosen.user_id


async def is_available(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID | None
) -> bool:
    """Whether ``user_id`` is an agent who is not away (reopened tickets keep such an
    assignee)."""
    if user_id is None:
        return False
    if user_id not in await agents_among(session, tenant_id, [user_id]):
        return False
    return user_id not in await team_rows.away_agents(session, tenant_id)
