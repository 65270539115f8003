"""Tickets: open (number, requester, team, assignment, SLA), read, list, change."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from quartermaster.catalog.public import products_by_ids
from quartermaster.core.clock import utcnow
from quartermaster.core.concurrency import check_if_match
from quartermaster.core.ids import new_id
from quartermaster.core.pagination import (
    InvalidCursor,
    Page,
    PageParams,
)
from quartermaster.identity.public import Principal
from quartermaster.inventory.public import reservations_by_ids
from quartermaster.servicedesk.errors import (
    ContactNotFound,
    FieldProblem,
    InvalidFields,
    TicketNotFound,
)
from quartermaster.servicedesk.events import TicketEvents
from quartermaster.servicedesk.models import Contact, Team, Ticket
from quartermaster.servicedesk.repository import opening as opening_rows
from quartermaster.servicedesk.repository import teams as team_rows
from quartermaster.servicedesk.repository import tickets as ticket_rows
from quartermaster.servicedesk.repository.tickets import TicketFilter
from quartermaster.servicedesk.schemas import (
    ContactRead,
    LinkRead,
    RequesterIn,
    TicketCreate,
    TicketDetail,
    TicketRead,
    TicketReservationRead,
    TicketSort,
    TicketStatus,
    TicketUpdate,
)
from quartermaster.servicedesk.service import sla
from quartermaster.servicedesk.service.common import (
    contact_read,
    emit_changed,
    emit_opened,
    requester_of,
    ticket_for_write,
    ticket_key,
    ticket_read,
    touch,
)
from quartermaster.servicedesk.service.fields import validated_custom_fields
from quartermaster.servicedesk.service.status import TRANSITIONS
from quartermaster.servicedesk.service.teams import check_agent, pick_assignee


async def contact_for(
    session: AsyncSession, tenant_id: uuid.UUID, requester: RequesterIn
) -> Contact:
    """The requester's contact, created the first time the address is seen (the name is
    the one given then, else the address's local part)."""
    email = str(requester.email).strip().lower()
    name = requester.name or email.split("@", 1)[0]
    return await ticket_rows.contact_for_email(session, tenant_id, new_id(), email, name)


async def _check_products(
    session: AsyncSession, tenant_id: uuid.UUID, product_ids: list[uuid.UUID]
) -> list[FieldProblem]:
    if not product_ids:
        return []
    known = await products_by_ids(session, tenant_id, product_ids)
    return [
        FieldProblem(f"product_ids.{index}", "No product with this id here.", "unknown_product")
        for index, product_id in enumerate(product_ids)
        if product_id not in known
    ]


async def _team(
    session: AsyncSession, tenant_id: uuid.UUID, team_id: uuid.UUID | None
) -> tuple[Team | None, list[FieldProblem]]:
    """The named team (a problem when unknown), or the default team when none is named."""
    if team_id is None:
        return await team_rows.default_team(session, tenant_id), []
    team = await team_rows.team_by_id(session, tenant_id, team_id)
    if team is None:
        return None, [FieldProblem("team_id", "No team with this id here.", "unknown_team")]
    return team, []


@dataclass(frozen=True)
class Opened:
    ticket: Ticket
    contact: Contact


async def open_ticket(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    data: TicketCreate,
    *,
    channel: str = "api",
    now: datetime | None = None,
) -> Opened:
    """Open a ticket: checks (422 listing every problem), the requester's contact, the
    team (else the default team) and its assignment, the next number, the SLA due dates;
    emits ``servicedesk.ticket.created`` and indexes it. Reservations are the caller's
    (``rma``). The statements are ``repository.opening``'s: one read of everything the
    checks need, then the writes."""
    now = now or utcnow()
    email = str(data.requester.email).strip().lower()
    context = await opening_rows.opening_context(session, tenant_id, data.team_id, email)
    team = context.team
    problems = []
    if data.team_id is not None and team is None:
        problems.append(FieldProblem("team_id", "No team with this id here.", "unknown_team"))
    problems += await _check_products(session, tenant_id, data.product_ids)
    if problems:
        raise InvalidFields(problems)
    if data.assignee_id is not None:
        await check_agent(session, tenant_id, data.assignee_id)
    custom = await validated_custom_fields(
        session, tenant_id, {}, data.custom_fields, creating=True, definitions=context.fields
    )
    contact = context.contact
    if contact is None:
        name = data.requester.name or email.split("@", 1)[0]
        contact = await opening_rows.create_contact(session, tenant_id, new_id(), email, name)
    # Locks last, held until commit: the team's (its assigners queue) and then the
    # tenant's counter (its creators queue); nothing after them but the writes.
    assignee = data.assignee_id
    if assignee is None and team is not None and team.assignment_strategy != "manual":
        assignee = await pick_assignee(session, team, now)
    ticket = Ticket(
        id=new_id(),
        tenant_id=tenant_id,
        subject=data.subject,
        description=data.description,
        status="new",
        priority=data.priority.value,
        channel=channel,
        team_id=team.id if team is not None else None,
        assignee_id=assignee,
        requester_id=contact.id,
        tags=sorted(set(data.tags)),
        custom_fields=custom,
        product_ids=list(dict.fromkeys(data.product_ids)),
        first_responded_at=None,
        resolution_started_at=now,
        resolved_at=None,
        closed_at=None,
        breached_at=None,
        sla_paused_at=None,
        response_paused_seconds=0,
        resolution_paused_seconds=0,
        merged_into_id=None,
        version=1,
        created_at=now,
        updated_at=now,
    )
    sla.apply_due_dates(ticket, context.policy)
    ticket.number = await opening_rows.insert_ticket(session, ticket)
    # Now as if loaded: in the session, clean, so a later change is flushed as an UPDATE.
    make_transient_to_detached(ticket)
    session.add(ticket)
    await emit_opened(session, ticket, contact)
    return Opened(ticket, contact)


async def _reservation_reads(
    session: AsyncSession, tenant_id: uuid.UUID, ticket_id: uuid.UUID
) -> list[TicketReservationRead]:
    rows = await ticket_rows.reservations_of(session, tenant_id, ticket_id)
    current = await reservations_by_ids(session, tenant_id, [r.reservation_id for r in rows])
    reads = []
    for row in rows:
        found = current.get(row.reservation_id)
        reads.append(
            TicketReservationRead(
                reservation_id=row.reservation_id,
                product_id=row.product_id,
                location_id=row.location_id,
                quantity=row.quantity,
                status=found.status if found else "unknown",
                reference=found.reference if found else "",
                created_at=row.created_at,
            )
        )
    return reads


async def _link_reads(
    session: AsyncSession, tenant_id: uuid.UUID, ticket_id: uuid.UUID
) -> list[LinkRead]:
    return [
        LinkRead(
            id=link.id,
            kind=link.kind,
            direction="outgoing" if link.ticket_id == ticket_id else "incoming",
            other_ticket_id=other.id,
            other_key=ticket_key(other.number),
            other_subject=other.subject,
            other_status=other.status,
            created_at=link.created_at,
        )
        for link, other in await ticket_rows.links_of(session, tenant_id, ticket_id)
    ]


async def ticket_detail(
    session: AsyncSession, ticket: Ticket, *, contact: Contact | None = None, new: bool = False
) -> TicketDetail:
    """The ticket with its requester, reservations and links (a ``new`` ticket, whose
    requester the caller has, has neither: nothing is read)."""
    contact = contact or await requester_of(session, ticket)
    read = ticket_read(ticket, contact, utcnow())
    allowed = [TicketStatus(status) for status in TRANSITIONS[ticket.status]]
    if new:
        return TicketDetail(
            **read.model_dump(), reservations=[], links=[], allowed_transitions=allowed
        )
    return TicketDetail(
        **read.model_dump(),
        allowed_transitions=allowed,
        reservations=await _reservation_reads(session, ticket.tenant_id, ticket.id),
        links=await _link_reads(session, ticket.tenant_id, ticket.id),
    )


async def get_ticket(
    session: AsyncSession, principal: Principal, ticket_id: uuid.UUID
) -> TicketDetail:
    ticket = await ticket_rows.ticket_by_id(session, principal.tenant_id, ticket_id)
    if ticket is None:
        raise TicketNotFound
    return await ticket_detail(session, ticket)


async def list_tickets(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    where: TicketFilter,
    *,
    sort: TicketSort,
    descending: bool,
) -> Page[TicketRead]:
    # The cursor names its ordering, so one made for another ordering is refused.
    ordering = f"{sort.value}:{'desc' if descending else 'asc'}"
    key_type = int if sort in (TicketSort.NUMBER, TicketSort.PRIORITY) else datetime
    after = page.after(key_type, uuid.UUID, str)
    if after is not None and after[2] != ordering:
        raise InvalidCursor
    now = utcnow()
    rows, next_cursor = page.next_page(
        await ticket_rows.tickets_page(
            session,
            principal.tenant_id,
            where,
            sort=sort.value,
            descending=descending,
            after=after[:2] if after else None,
            limit=page.fetch,
            now=now,
        ),
        lambda row: [
            ticket_rows.sort_value(row[0], sort.value, descending=descending),
            row[0].id,
            ordering,
        ],
    )
    return Page[TicketRead](
        items=[ticket_read(t, c, now) for t, c in rows], next_cursor=next_cursor
    )


async def update_ticket(
    session: AsyncSession,
    principal: Principal,
    ticket_id: uuid.UUID,
    data: TicketUpdate,
    if_match: str | None,
) -> TicketDetail:
    """Change a ticket's fields (not its status: transitions do that). A new priority or
    team recomputes the running SLA clocks; closed tickets are not changed (409)."""
    tenant_id = principal.tenant_id
    ticket = await ticket_for_write(session, tenant_id, ticket_id, what="changing it")
    check_if_match(if_match, ticket.version, what="ticket")
    changes = data.changes()
    problems: list[FieldProblem] = []
    team: Team | None = None
    if changes.get("team_id") is not None:
        team, problems = await _team(session, tenant_id, changes["team_id"])
    if "product_ids" in changes:
        problems += await _check_products(session, tenant_id, changes["product_ids"])
    if problems:
        raise InvalidFields(problems)
    if changes.get("assignee_id") is not None:
        await check_agent(session, tenant_id, changes["assignee_id"])
    if "custom_fields" in changes:
        ticket.custom_fields = await validated_custom_fields(
            session, tenant_id, ticket.custom_fields, changes["custom_fields"], creating=False
        )
    previous_assignee = ticket.assignee_id
    recompute = False
    for name in ("subject", "description"):
        if name in changes:
            setattr(ticket, name, changes[name])
    if "priority" in changes and changes["priority"].value != ticket.priority:
        ticket.priority = changes["priority"].value
        recompute = True
    if "team_id" in changes and changes["team_id"] != ticket.team_id:
        ticket.team_id = changes["team_id"]
        recompute = True
    if "assignee_id" in changes:
        ticket.assignee_id = changes["assignee_id"]
    if "tags" in changes:
        ticket.tags = sorted(set(changes["tags"]))
    if "product_ids" in changes:
        ticket.product_ids = list(dict.fromkeys(changes["product_ids"]))
    now = utcnow()
    if recompute:
        policy_id = team.sla_policy_id if team is not None else ticket.sla_policy_id
        if "team_id" in changes and team is None:
            policy_id = None  # no team: the default policy
        sla.apply_due_dates(ticket, await sla.policy_for(session, tenant_id, policy_id))
    touch(ticket, now)
    await session.flush()
    await emit_changed(session, ticket, TicketEvents.UPDATED)
    if ticket.assignee_id != previous_assignee:
        await emit_changed(session, ticket, TicketEvents.ASSIGNED)
    return await ticket_detail(session, ticket)


# Contacts


async def list_contacts(
    session: AsyncSession, principal: Principal, page: PageParams, *, email: str | None
) -> Page[ContactRead]:
    rows, next_cursor = page.next_page(
        await ticket_rows.contacts_page(
            session,
            principal.tenant_id,
            email=email.strip().lower() if email else None,
            limit=page.fetch,
            after=page.after(str, uuid.UUID),
        ),
        lambda contact: [contact.email, contact.id],
    )
    return Page[ContactRead](items=[contact_read(c) for c in rows], next_cursor=next_cursor)


async def get_contact(
    session: AsyncSession, principal: Principal, contact_id: uuid.UUID
) -> ContactRead:
    found = await ticket_rows.contacts_by_ids(session, principal.tenant_id, [contact_id])
    if contact_id not in found:
        raise ContactNotFound
    return contact_read(found[contact_id])
