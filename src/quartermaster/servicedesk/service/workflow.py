"""Agents' actions on tickets beyond editing: transitions, merges, links, RMA reservations."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.clock import utcnow
from quartermaster.core.db import violated_constraint
from quartermaster.core.events import emit
from quartermaster.core.ids import new_id
from quartermaster.identity.public import Forbidden, Permission, Principal
from quartermaster.inventory.public import reserve_stock
from quartermaster.servicedesk import repository
from quartermaster.servicedesk.errors import (
    LinkExists,
    LinkNotFound,
    MergeRefused,
    TicketNotFound,
    invalid,
)
from quartermaster.servicedesk.events import TicketEvents, TicketLinked, TicketReserved
from quartermaster.servicedesk.models import Ticket, TicketLink, TicketReservation
from quartermaster.servicedesk.repository import conversation as conversation_rows
from quartermaster.servicedesk.repository import tickets as ticket_rows
from quartermaster.servicedesk.schemas import (
    LinkCreate,
    ReserveIn,
    TicketCreate,
    TicketDetail,
    TransitionIn,
)
from quartermaster.servicedesk.service import notifications
from quartermaster.servicedesk.service.common import (
    emit_changed,
    ticket_for_write,
    ticket_key,
    touch,
)
from quartermaster.servicedesk.service.conversation import record_comment
from quartermaster.servicedesk.service.status import change_status, check_transition
from quartermaster.servicedesk.service.tickets import open_ticket, ticket_detail


async def create_ticket(
    session: AsyncSession,
    principal: Principal,
    data: TicketCreate,
    *,
    now: datetime | None = None,
) -> TicketDetail:
    """Open a ticket through the API; its ``reservations`` are made in the same
    transaction, so a refused reservation (409 ``insufficient-stock``, 422) leaves no
    ticket, no number used and no stock held."""
    if data.reservations:
        _require_reservations(principal)
    opened = await open_ticket(session, principal.tenant_id, data, now=now)
    for item in data.reservations:
        await _reserve(session, principal, opened.ticket, item)
    # A new ticket's conversation has no e-mail yet: nothing to thread the mail onto.
    await notifications.acknowledge(session, opened.ticket, contact=opened.contact, thread=[])
    return await ticket_detail(
        session, opened.ticket, contact=opened.contact, new=not data.reservations
    )


async def transition(
    session: AsyncSession,
    principal: Principal,
    ticket_id: uuid.UUID,
    data: TransitionIn,
    *,
    now: datetime | None = None,
) -> TicketDetail:
    """Move a ticket along its workflow (409 ``invalid-transition`` naming the allowed
    targets), with an optional comment; emits ``servicedesk.ticket.status_changed``."""
    ticket = await ticket_for_write(session, principal.tenant_id, ticket_id)
    check_transition(ticket.status, data.to.value)
    now = now or utcnow()
    if data.comment is not None:
        await record_comment(
            session,
            ticket,
            author_kind="agent",
            body=data.comment,
            internal=data.internal,
            author_user_id=principal.user_id,
            now=now,
        )
        # A public reply moves a new ticket to open; the requested move still applies.
        if ticket.status == data.to.value:
            return await ticket_detail(session, ticket)
        check_transition(ticket.status, data.to.value)
    previous = ticket.status
    previous_assignee = ticket.assignee_id
    await change_status(session, ticket, data.to.value, now, principal)
    touch(ticket, now)
    await session.flush()
    await emit_changed(session, ticket, TicketEvents.STATUS_CHANGED, previous)
    if ticket.assignee_id != previous_assignee:
        await emit_changed(session, ticket, TicketEvents.ASSIGNED)
    return await ticket_detail(session, ticket)


async def merge(
    session: AsyncSession, principal: Principal, ticket_id: uuid.UUID, into_id: uuid.UUID
) -> TicketDetail:
    """Merge ``ticket_id`` into ``into_id``: its comments, attachments, e-mail thread and
    reservations move; tags and products are added to the target; the source is closed as
    merged (``merged_into_id``). Both tickets are locked in id order."""
    tenant_id = principal.tenant_id
    if into_id == ticket_id:
        raise invalid("into", "A ticket cannot be merged into itself.", "same_ticket")
    found = await ticket_rows.tickets_by_ids(session, tenant_id, [ticket_id, into_id], lock=True)
    source = found.get(ticket_id)
    if source is None:
        raise TicketNotFound
    target = found.get(into_id)
    if target is None:
        raise invalid("into", "No ticket with this id in this organization.", "unknown_ticket")
    for ticket, role in ((source, "merged"), (target, "merged into")):
        if ticket.status == "closed":
            raise MergeRefused(f"{ticket_key(ticket.number)} is closed and cannot be {role}.")
    now = utcnow()
    if source.description:  # the source's first message, in its place in the conversation
        opening = await record_comment(
            session,
            target,
            author_kind="requester",
            body=source.description,
            contact_id=source.requester_id,
            channel=source.channel,
            now=now,
        )
        opening.created_at = source.created_at
    await conversation_rows.move_conversation(session, tenant_id, source.id, target.id)
    await ticket_rows.move_reservations(session, tenant_id, source.id, target.id)
    target.tags = sorted(set(target.tags) | set(source.tags))
    target.product_ids = list(dict.fromkeys([*target.product_ids, *source.product_ids]))
    for ticket, note in (
        (target, f"{ticket_key(source.number)} was merged into this ticket."),
        (source, f"Merged into {ticket_key(target.number)}."),
    ):
        await record_comment(session, ticket, author_kind="system", body=note, now=now)
    previous = source.status
    if previous == "pending":
        source.sla_paused_at = None
    source.status = "closed"
    source.closed_at = now
    source.merged_into_id = target.id
    touch(source, now)
    touch(target, now)
    await session.flush()
    await emit_changed(session, source, TicketEvents.MERGED, previous)
    await emit_changed(session, target, TicketEvents.UPDATED)
    return await ticket_detail(session, target)


# Links


async def add_link(
    session: AsyncSession, principal: Principal, ticket_id: uuid.UUID, data: LinkCreate
) -> TicketDetail:
    tenant_id = principal.tenant_id
    if data.other_ticket_id == ticket_id:
        raise invalid("other_ticket_id", "A ticket cannot be linked to itself.", "same_ticket")
    ticket = await ticket_for_write(session, tenant_id, ticket_id)
    other = await ticket_rows.ticket_by_id(session, tenant_id, data.other_ticket_id)
    if other is None:
        raise invalid(
            "other_ticket_id", "No ticket with this id in this organization.", "unknown_ticket"
        )
    if await ticket_rows.link_between(session, tenant_id, ticket.id, other.id) is not None:
        raise LinkExists
    link = TicketLink(
        id=new_id(),
        tenant_id=tenant_id,
        ticket_id=ticket.id,
        other_ticket_id=other.id,
        kind=data.kind.value,
        created_by=principal.user_id,
        created_at=utcnow(),
    )
    repository.add(session, link)
    touch(ticket, link.created_at)
    try:
        await session.flush()
    except IntegrityError as exc:
        if violated_constraint(exc) == "uq_ticket_links_tenant_id_ticket_id_other_ticket_id":
            raise LinkExists from exc
        raise
    await emit(
        session,
        tenant_id,
        TicketEvents.LINKED,
        TicketLinked(id=ticket.id, number=ticket.number, other_ticket_id=other.id, kind=link.kind),
    )
    return await ticket_detail(session, ticket)


async def remove_link(
    session: AsyncSession, principal: Principal, ticket_id: uuid.UUID, link_id: uuid.UUID
) -> None:
    tenant_id = principal.tenant_id
    ticket = await ticket_for_write(session, tenant_id, ticket_id)
    link = await ticket_rows.link_by_id(session, tenant_id, ticket_id, link_id)
    if link is None:
        raise LinkNotFound
    await session.delete(link)
    touch(ticket, utcnow())
    await session.flush()
    other_id = link.other_ticket_id if link.ticket_id == ticket.id else link.ticket_id
    await emit(
        session,
        tenant_id,
        TicketEvents.UNLINKED,
        TicketLinked(id=ticket.id, number=ticket.number, other_ticket_id=other_id, kind=link.kind),
    )


# RMA: stock reserved for a ticket


def _require_reservations(principal: Principal) -> None:
    if not principal.can(Permission.RESERVATIONS_WRITE):
        raise Forbidden(
            "Reserving stock needs the 'reservations:write' permission, which the role "
            f"'{principal.role.value}' does not have.",
            code="permission-denied",
        )


async def _reserve(
    session: AsyncSession, principal: Principal, ticket: Ticket, item: ReserveIn
) -> TicketReservation:
    reservation = await reserve_stock(
        session,
        principal,
        product_id=item.product_id,
        location_id=item.location_id,
        quantity=item.quantity,
        reference=f"{ticket_key(ticket.number)} RMA",
    )
    row = TicketReservation(
        tenant_id=ticket.tenant_id,
        reservation_id=reservation.id,
        ticket_id=ticket.id,
        product_id=reservation.product_id,
        location_id=reservation.location_id,
        quantity=reservation.quantity,
        created_by=principal.user_id,
        created_at=utcnow(),
    )
    repository.add(session, row)
    if item.product_id not in ticket.product_ids:
        ticket.product_ids = [*ticket.product_ids, item.product_id]
    await session.flush()
    await emit(
        session,
        ticket.tenant_id,
        TicketEvents.RESERVED,
        TicketReserved(
            id=ticket.id,
            number=ticket.number,
            reservation_id=reservation.id,
            product_id=reservation.product_id,
            location_id=reservation.location_id,
            quantity=str(reservation.quantity),
        ),
    )
    return row


async def reserve(
    session: AsyncSession, principal: Principal, ticket_id: uuid.UUID, data: ReserveIn
) -> TicketDetail:
    """Reserve a replacement through inventory in this transaction; shown on the ticket,
    released if the ticket is closed without being resolved."""
    _require_reservations(principal)
    ticket = await ticket_for_write(session, principal.tenant_id, ticket_id, what="reserving stock")
    await _reserve(session, principal, ticket, data)
    touch(ticket, utcnow())
    await session.flush()
    return await ticket_detail(session, ticket)
