"""SLA policies and the clocks of a ticket.

A ticket takes its policy when it is created (its team's, else the tenant's default).
Two clocks run in the policy's business hours:

- first response: from ``created_at``; stopped by the first public agent reply, held by
  resolving the ticket (a reopened ticket nobody has answered goes on with what was left
  of it, rather than running from creation and breaching at once) and ended by closing;
- resolution: from ``resolution_started_at`` (creation, or the last reopen); stopped by
  resolving or closing.

While a ticket is ``pending`` both clocks are held: on leaving ``pending`` the business
time spent there is added to the ``*_paused_seconds`` of each running clock, and the due
dates are recomputed as ``add(start, target + paused)``. A priority or team change
recomputes the running clocks the same way. ``breached_at`` is set once, by the breach
job (``mark_breaches``), which emits ``servicedesk.ticket.sla_breached``.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from functools import lru_cache

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.clock import utcnow
from quartermaster.core.concurrency import check_if_match
from quartermaster.core.db import violated_constraint
from quartermaster.core.events import emit
from quartermaster.core.ids import new_id
from quartermaster.core.pagination import Page, PageParams
from quartermaster.identity.public import Principal
from quartermaster.servicedesk import repository
from quartermaster.servicedesk.business_hours import BusinessCalendar, CalendarError
from quartermaster.servicedesk.errors import (
    NameTaken,
    SlaPolicyNotFound,
    invalid,
)
from quartermaster.servicedesk.events import SlaBreached, TicketEvents
from quartermaster.servicedesk.models import SlaPolicy, Ticket
from quartermaster.servicedesk.repository import teams as team_rows
from quartermaster.servicedesk.repository import tickets as ticket_rows
from quartermaster.servicedesk.repository.opening import PolicyRow
from quartermaster.servicedesk.schemas import (
    Priority,
    SlaPolicyCreate,
    SlaPolicyRead,
    SlaPolicyUpdate,
    SlaRead,
    SlaState,
    SlaTarget,
)

DUE_SOON = ticket_rows.DUE_SOON
# A policy as loaded (ORM) or as the ticket opener reads it (plain row): the same terms.
Policy = SlaPolicy | PolicyRow


def policy_read(policy: SlaPolicy) -> SlaPolicyRead:
    return SlaPolicyRead(
        id=policy.id,
        name=policy.name,
        time_zone=policy.time_zone,
        weekly_hours=policy.weekly_hours,
        holidays=sorted(policy.holidays),
        targets={k: SlaTarget.model_validate(v) for k, v in policy.targets.items()},
        is_default=policy.is_default,
        version=policy.version,
        created_at=policy.created_at,
        updated_at=policy.updated_at,
    )


def _check_calendar(time_zone: str, weekly: dict[str, list[str]], holidays: list[date]) -> None:
    try:
        BusinessCalendar.from_settings(time_zone, weekly, holidays)
    except CalendarError as exc:
        field = "time_zone" if "time zone" in str(exc) else "weekly_hours"
        raise invalid(field, str(exc), "invalid_calendar", code="invalid-sla-policy") from exc


@lru_cache(maxsize=256)
def _calendar(
    policy_id: uuid.UUID, version: int, time_zone: str, weekly: str, holidays: tuple[str, ...]
) -> BusinessCalendar:
    return BusinessCalendar.from_settings(
        time_zone, json.loads(weekly), [date.fromisoformat(day) for day in holidays]
    )


def calendar_of(policy: Policy) -> BusinessCalendar:
    """The policy's calendar, parsed once per (policy, version)."""
    return _calendar(
        policy.id,
        policy.version,
        policy.time_zone,
        json.dumps(policy.weekly_hours, sort_keys=True),
        tuple(sorted(day.isoformat() for day in policy.holidays)),
    )


def _targets(policy: Policy, priority: str) -> tuple[int | None, int | None]:
    target = policy.targets.get(priority) or {}
    first = target.get("first_response_minutes")
    resolution = target.get("resolution_minutes")
    return (first * 60 if first else None, resolution * 60 if resolution else None)


def _add(calendar: BusinessCalendar, start: datetime, seconds: int) -> datetime | None:
    try:
        return calendar.add(start, seconds)
    except CalendarError:
        return None  # no business time within reach: no due date rather than a wrong one


def apply_due_dates(ticket: Ticket, policy: Policy | None) -> None:
    """Recompute the due dates of the ticket's running clocks under ``policy``."""
    ticket.sla_policy_id = policy.id if policy is not None else None
    response_running = ticket.first_responded_at is None and ticket.resolved_at is None
    resolution_running = ticket.resolved_at is None
    if policy is None:
        if response_running:
            ticket.first_response_due_at = None
        if resolution_running:
            ticket.resolution_due_at = None
        return
    calendar = calendar_of(policy)
    first, resolution = _targets(policy, ticket.priority)
    if response_running:
        ticket.first_response_due_at = (
            _add(calendar, ticket.created_at, first + ticket.response_paused_seconds)
            if first
            else None
        )
    if resolution_running:
        ticket.resolution_due_at = (
            _add(
                calendar,
                ticket.resolution_started_at,
                resolution + ticket.resolution_paused_seconds,
            )
            if resolution
            else None
        )


def pause(ticket: Ticket, now: datetime) -> None:
    if ticket.sla_paused_at is None:
        ticket.sla_paused_at = now


def resume(ticket: Ticket, policy: SlaPolicy | None, now: datetime) -> None:
    """Leave ``pending``: the business time spent there extends the running clocks."""
    paused_at, ticket.sla_paused_at = ticket.sla_paused_at, None
    if paused_at is None or policy is None:
        return
    held = calendar_of(policy).between(paused_at, now)
    if ticket.first_responded_at is None and ticket.resolved_at is None:
        ticket.response_paused_seconds += held
    if ticket.resolved_at is None:
        ticket.resolution_paused_seconds += held
    apply_due_dates(ticket, policy)


def reopen(ticket: Ticket, policy: SlaPolicy | None, now: datetime) -> None:
    """Back from ``resolved`` to ``open``: a new resolution clock; an unanswered ticket's
    first-response clock goes on, extended by the business time it spent resolved."""
    resolved_at, ticket.resolved_at = ticket.resolved_at, None
    if ticket.first_responded_at is None and resolved_at is not None and policy is not None:
        ticket.response_paused_seconds += calendar_of(policy).between(resolved_at, now)
    ticket.resolution_started_at = now
    ticket.resolution_paused_seconds = 0
    apply_due_dates(ticket, policy)


def sla_read(ticket: Ticket, now: datetime) -> SlaRead:
    return SlaRead(
        policy_id=ticket.sla_policy_id,
        state=sla_state(ticket, now),
        first_response_due_at=ticket.first_response_due_at,
        resolution_due_at=ticket.resolution_due_at,
        first_responded_at=ticket.first_responded_at,
        resolved_at=ticket.resolved_at,
        breached_at=ticket.breached_at,
        paused_since=ticket.sla_paused_at,
    )


def sla_state(ticket: Ticket, now: datetime) -> SlaState:
    if ticket.breached_at is not None:
        return SlaState.BREACHED
    if ticket.first_response_due_at is None and ticket.resolution_due_at is None:
        return SlaState.NONE
    if ticket.sla_paused_at is not None:
        return SlaState.PAUSED
    stopped = ticket.resolved_at or ticket.closed_at
    running: list[datetime] = []
    if ticket.first_response_due_at is not None and not (ticket.first_responded_at or stopped):
        running.append(ticket.first_response_due_at)
    if ticket.resolution_due_at is not None and not stopped:
        running.append(ticket.resolution_due_at)
    if not running:
        return SlaState.MET
    return SlaState.DUE_SOON if min(running) <= now + DUE_SOON else SlaState.OK


async def policy_for(
    session: AsyncSession, tenant_id: uuid.UUID, policy_id: uuid.UUID | None
) -> SlaPolicy | None:
    """The policy with ``policy_id``, else the tenant's default (None when neither)."""
    if policy_id is not None:
        policy = await team_rows.sla_policy_by_id(session, tenant_id, policy_id)
        if policy is not None:
            return policy
    return await team_rows.default_sla_policy(session, tenant_id)


# Policies over HTTP


def _targets_json(targets: dict[Priority, SlaTarget]) -> dict[str, dict[str, int | None]]:
    return {priority.value: target.model_dump() for priority, target in targets.items()}


async def _flush_policy(session: AsyncSession, policy: SlaPolicy) -> None:
    name = policy.name
    try:
        await session.flush()
    except IntegrityError as exc:
        if violated_constraint(exc) == "uq_sla_policies_tenant_id_lower_name":
            raise NameTaken("sla-policy", name) from exc
        raise


async def create_policy(
    session: AsyncSession, principal: Principal, data: SlaPolicyCreate
) -> SlaPolicyRead:
    """Create a policy; its calendar must have business hours (422 otherwise). The first
    policy of a tenant, or one created with ``is_default``, becomes the default."""
    tenant_id = principal.tenant_id
    _check_calendar(data.time_zone, data.weekly_hours, data.holidays)
    is_default = data.is_default or await team_rows.default_sla_policy(session, tenant_id) is None
    now = utcnow()
    policy = SlaPolicy(
        id=new_id(),
        tenant_id=tenant_id,
        name=data.name,
        time_zone=data.time_zone,
        weekly_hours={day: list(hours) for day, hours in data.weekly_hours.items()},
        holidays=sorted(set(data.holidays)),
        targets=_targets_json(data.targets),
        is_default=is_default,
        version=1,
        created_at=now,
        updated_at=now,
    )
    if is_default:
        await team_rows.clear_default_policy(session, tenant_id, policy.id)
    repository.add(session, policy)
    await _flush_policy(session, policy)
    return policy_read(policy)


async def _policy(session: AsyncSession, principal: Principal, policy_id: uuid.UUID) -> SlaPolicy:
    policy = await team_rows.sla_policy_by_id(session, principal.tenant_id, policy_id)
    if policy is None:
        raise SlaPolicyNotFound
    return policy


async def get_policy(
    session: AsyncSession, principal: Principal, policy_id: uuid.UUID
) -> SlaPolicyRead:
    return policy_read(await _policy(session, principal, policy_id))


async def list_policies(
    session: AsyncSession, principal: Principal, page: PageParams
) -> Page[SlaPolicyRead]:
    """By name (case-insensitive), then id."""
    rows, next_cursor = page.next_page(
        await team_rows.sla_policies_page(
            session, principal.tenant_id, limit=page.fetch, after=page.after(str, uuid.UUID)
        ),
        lambda policy: [policy.name.lower(), policy.id],
    )
    return Page[SlaPolicyRead](items=[policy_read(p) for p in rows], next_cursor=next_cursor)


async def update_policy(
    session: AsyncSession,
    principal: Principal,
    policy_id: uuid.UUID,
    data: SlaPolicyUpdate,
    if_match: str | None,
) -> SlaPolicyRead:
    """Change a policy. Tickets keep the due dates they have; the new targets apply to
    tickets created (or re-prioritised) afterwards. The default cannot be unset directly:
    make another policy the default."""
    tenant_id = principal.tenant_id
    policy = await team_rows.sla_policy_by_id(session, tenant_id, policy_id, lock=True)
    if policy is None:
        raise SlaPolicyNotFound
    check_if_match(if_match, policy.version, what="SLA policy")
    changes = data.changes()
    _check_calendar(
        changes.get("time_zone", policy.time_zone),
        changes.get("weekly_hours", policy.weekly_hours),
        changes.get("holidays", policy.holidays),
    )
    if changes.get("is_default") is False and policy.is_default:
        raise invalid(
            "is_default",
            "The organization's default policy stays the default until another one is made "
            "the default.",
            "default_required",
            code="invalid-sla-policy",
        )
    for name in ("name", "time_zone"):
        if name in changes:
            setattr(policy, name, changes[name])
    if "weekly_hours" in changes:
        policy.weekly_hours = {day: list(hours) for day, hours in changes["weekly_hours"].items()}
    if "holidays" in changes:
        policy.holidays = sorted(set(changes["holidays"]))
    if data.targets is not None:
        policy.targets = _targets_json(data.targets)
    if changes.get("is_default"):
        await team_rows.clear_default_policy(session, tenant_id, policy.id)
        policy.is_default = True
    policy.version += 1
    policy.updated_at = utcnow()
    await _flush_policy(session, policy)
    return policy_read(policy)


# The breach job


async def mark_breaches(session: AsyncSession, tenant_id: uuid.UUID, now: datetime) -> int:
    """Mark every ticket of the tenant that missed a target, once, emitting
    ``servicedesk.ticket.sla_breached`` for each in the same transaction."""
    breached = await ticket_rows.mark_breaches(session, tenant_id, now)
    for ticket in breached:
        missed = []
        if ticket.first_response_due_at is not None and ticket.first_response_due_at < (
            ticket.first_responded_at
            or ticket.resolved_at
            or ticket.closed_at
            or ticket.sla_paused_at
            or now
        ):
            missed.append("first_response")
        if ticket.resolution_due_at is not None and ticket.resolution_due_at < (
            ticket.resolved_at or ticket.closed_at or ticket.sla_paused_at or now
        ):
            missed.append("resolution")
        await emit(
            session,
            tenant_id,
            TicketEvents.SLA_BREACHED,
            SlaBreached(
                id=ticket.id,
                number=ticket.number,
                breached_at=now,
                first_response_due_at=ticket.first_response_due_at,
                resolution_due_at=ticket.resolution_due_at,
                missed=missed,
                team_id=ticket.team_id,
                assignee_id=ticket.assignee_id,
            ),
        )
    return len(breached)
