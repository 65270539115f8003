"""Queries on tickets, their numbers, requesters (contacts), links and reservations."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from quartermaster.core.pagination import keyset
from quartermaster.servicedesk.models import (
    Contact,
    Ticket,
    TicketLink,
    TicketReservation,
)

FIRST_NUMBER = 1001  # a tenant's first ticket (repository.opening takes the numbers)
DUE_SOON = timedelta(hours=1)


# Contacts


async def contact_for_email(
    session: AsyncSession, tenant_id: uuid.UUID, contact_id: uuid.UUID, email: str, name: str
) -> Contact:
    """The contact with ``email`` (lower-cased), created on first sight (one statement for
    a known address, two for a new one: the insert returns the row); a concurrent creator
    of the same address waits on the unique index and then finds this one (a third)."""
    query = select(Contact).where(Contact.tenant_id == tenant_id, Contact.email == email)
    found = (await session.execute(query)).scalar_one_or_none()
    if found is not None:
        return found
    created = (
        await session.execute(
            insert(Contact)
            .values(id=contact_id, tenant_id=tenant_id, email=email, name=name)
            .on_conflict_do_nothing(index_elements=[Contact.tenant_id, Contact.email])
            .returning(Contact)
        )
    ).scalar_one_or_none()
    if created is not None:
        return created
    return (await session.execute(query)).scalar_one()


async def contacts_by_ids(
    session: AsyncSession, tenant_id: uuid.UUID, ids: list[uuid.UUID]
) -> dict[uuid.UUID, Contact]:
    query = select(Contact).where(Contact.tenant_id == tenant_id, Contact.id.in_(ids))
    return {contact.id: contact for contact in (await session.execute(query)).scalars()}


async def contacts_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    email: str | None,
    limit: int,
    after: Sequence[Any] | None,
) -> list[Contact]:
    """By e-mail address: the key is ``(email, id)``."""
    query = select(Contact).where(Contact.tenant_id == tenant_id)
    if email is not None:
        query = query.where(Contact.email == email)
    query = keyset(query, [Contact.email, Contact.id], after, limit=limit)
    return list((await session.execute(query)).scalars())


# Tickets


async def ticket_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, ticket_id: uuid.UUID, *, lock: bool = False
) -> Ticket | None:
    query = select(Ticket).where(Ticket.tenant_id == tenant_id, Ticket.id == ticket_id)
    if lock:
        query = query.with_for_update(key_share=True).execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def tickets_by_ids(
    session: AsyncSession, tenant_id: uuid.UUID, ids: list[uuid.UUID], *, lock: bool = False
) -> dict[uuid.UUID, Ticket]:
    """Locked in id order when ``lock`` (two writers locking the same pair cannot deadlock)."""
    query = (
        select(Ticket).where(Ticket.tenant_id == tenant_id, Ticket.id.in_(ids)).order_by(Ticket.id)
    )
    if lock:
        query = query.with_for_update(key_share=True).execution_options(populate_existing=True)
    return {ticket.id: ticket for ticket in (await session.execute(query)).scalars()}


async def ticket_by_number(
    session: AsyncSession, tenant_id: uuid.UUID, number: int
) -> Ticket | None:
    query = select(Ticket).where(Ticket.tenant_id == tenant_id, Ticket.number == number)
    return (await session.execute(query)).scalar_one_or_none()


@dataclass(frozen=True)
class TicketFilter:
    statuses: list[str] | None = None
    priorities: list[str] | None = None
    team_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None
    unassigned: bool = False
    tag: str | None = None
    product_id: uuid.UUID | None = None
    requester_id: uuid.UUID | None = None
    sla: str | None = None  # breached | due_soon
    created_from: datetime | None = None
    created_to: datetime | None = None
    updated_from: datetime | None = None
    updated_to: datetime | None = None
    text: str | None = None  # a subject's words, or the number ("QM-1042", "1042")


_PRIORITY_ORDER = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
PRIORITY_RANK = case(_PRIORITY_ORDER, value=Ticket.priority, else_=1)
# Tickets without a resolution target sort after every dated one, in either direction
# (and page by the same key): the latest time there is ascending, the earliest descending.
FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)
FAR_PAST = datetime(1, 1, 1, tzinfo=UTC)


def _undated(descending: bool) -> datetime:
    return FAR_PAST if descending else FAR_FUTURE


def sort_expression(
    sort: str, *, descending: bool
) -> ColumnElement[Any] | InstrumentedAttribute[Any]:
    if sort == "priority":
        return PRIORITY_RANK
    if sort == "number":
        return Ticket.number
    if sort == "resolution_due_at":
        return func.coalesce(Ticket.resolution_due_at, literal(_undated(descending)))
    if sort == "updated_at":
        return Ticket.updated_at
    return Ticket.created_at


def _escape_like(value: str) -> str:
    """``value`` as a literal inside a LIKE pattern (escape character: backslash)."""
    return re.sub(r"([\\%_])", r"\\\1", value)


def number_in(text: str) -> int | None:
    """The ticket number a search names ("QM-1042", "qm1042", "#1042", "1042"), or None."""
    digits = re.fullmatch(r"(?:qm-?|#)?(\d{1,9})", text.strip().lower())
    return int(digits.group(1)) if digits else None


def _text_condition(text: str) -> ColumnElement[bool]:
    """Subject contains the text (case-insensitive, wildcards literal), or the number is it."""
    subject = Ticket.subject.ilike(f"%{_escape_like(text.strip())}%", escape="\\")
    number = number_in(text)
    return or_(subject, Ticket.number == number) if number is not None else subject


def _conditions(tenant_id: uuid.UUID, where: TicketFilter, now: datetime) -> list[Any]:
    conditions: list[Any] = [Ticket.tenant_id == tenant_id]
    if where.text:
        conditions.append(_text_condition(where.text))
    if where.statuses:
        conditions.append(Ticket.status.in_(where.statuses))
    if where.priorities:
        conditions.append(Ticket.priority.in_(where.priorities))
    if where.team_id is not None:
        conditions.append(Ticket.team_id == where.team_id)
    if where.unassigned:
        conditions.append(Ticket.assignee_id.is_(None))
    elif where.assignee_id is not None:
        conditions.append(Ticket.assignee_id == where.assignee_id)
    if where.tag is not None:
        conditions.append(Ticket.tags.contains([where.tag]))
    if where.product_id is not None:
        conditions.append(Ticket.product_ids.contains([where.product_id]))
    if where.requester_id is not None:
        conditions.append(Ticket.requester_id == where.requester_id)
    if where.sla == "breached":
        conditions.append(Ticket.breached_at.is_not(None))
    elif where.sla == "due_soon":
        soon = now + DUE_SOON
        conditions.append(
            and_(
                Ticket.breached_at.is_(None),
                Ticket.sla_paused_at.is_(None),
                Ticket.status.in_(("new", "open")),
                or_(
                    and_(
                        Ticket.first_responded_at.is_(None),
                        Ticket.first_response_due_at <= soon,
                    ),
                    Ticket.resolution_due_at <= soon,
                ),
            )
        )
    for column, low, high in (
        (Ticket.created_at, where.created_from, where.created_to),
        (Ticket.updated_at, where.updated_from, where.updated_to),
    ):
        if low is not None:
            conditions.append(column >= low)
        if high is not None:
            conditions.append(column < high)
    return conditions


async def tickets_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    where: TicketFilter,
    *,
    sort: str,
    descending: bool,
    after: Sequence[Any] | None,
    limit: int,
    now: datetime,
) -> list[tuple[Ticket, Contact]]:
    """A keyset page: the key is ``(sort key, id)``."""
    query = keyset(
        select(Ticket, Contact)
        .join(
            Contact, and_(Contact.tenant_id == Ticket.tenant_id, Contact.id == Ticket.requester_id)
        )
        .where(*_conditions(tenant_id, where, now)),
        [sort_expression(sort, descending=descending), Ticket.id],
        after,
        limit=limit,
        descending=descending,
    )
    return [(ticket, contact) for ticket, contact in await session.execute(query)]


def sort_value(ticket: Ticket, sort: str, *, descending: bool) -> Any:
    """The value of ``sort_expression`` for a loaded ticket (for the next cursor)."""
    if sort == "priority":
        return _PRIORITY_ORDER[ticket.priority]
    if sort == "number":
        return ticket.number
    if sort == "resolution_due_at":
        return ticket.resolution_due_at or _undated(descending)
    if sort == "updated_at":
        return ticket.updated_at
    return ticket.created_at


async def mark_breaches(session: AsyncSession, tenant_id: uuid.UUID, now: datetime) -> list[Ticket]:
    """Set ``breached_at`` on every ticket whose running or stopped clock missed its due
    date, once: a concurrent run waits for the row lock, re-checks ``breached_at IS NULL``
    and skips what the first one marked. A clock stops at the first response (or the
    resolution) for the first-response target, at the resolution (or closing) for the
    resolution target, and is held while pending."""
    first_response_missed = Ticket.first_response_due_at < func.coalesce(
        Ticket.first_responded_at,
        Ticket.resolved_at,
        Ticket.closed_at,
        Ticket.sla_paused_at,
        now,
    )
    resolution_missed = Ticket.resolution_due_at < func.coalesce(
        Ticket.resolved_at, Ticket.closed_at, Ticket.sla_paused_at, now
    )
    statement = (
        update(Ticket)
        .where(
            Ticket.tenant_id == tenant_id,
            Ticket.breached_at.is_(None),
            or_(first_response_missed, resolution_missed),
        )
        .values(breached_at=now, version=Ticket.version + 1, updated_at=now)
        .returning(Ticket)
        .execution_options(synchronize_session=False)
    )
    return list((await session.execute(statement)).scalars())


# Links


async def links_of(
    session: AsyncSession, tenant_id: uuid.UUID, ticket_id: uuid.UUID
) -> list[tuple[TicketLink, Ticket]]:
    """The ticket's links either way, each with the ticket at the other end."""
    other_id = case(
        (TicketLink.ticket_id == ticket_id, TicketLink.other_ticket_id),
        else_=TicketLink.ticket_id,
    )
    query = (
        select(TicketLink, Ticket)
        .join(Ticket, and_(Ticket.tenant_id == TicketLink.tenant_id, Ticket.id == other_id))
        .where(
            TicketLink.tenant_id == tenant_id,
            or_(TicketLink.ticket_id == ticket_id, TicketLink.other_ticket_id == ticket_id),
        )
        .order_by(TicketLink.created_at, TicketLink.id)
    )
    return [(link, other) for link, other in await session.execute(query)]


async def link_between(
    session: AsyncSession, tenant_id: uuid.UUID, one: uuid.UUID, other: uuid.UUID
) -> TicketLink | None:
    query = select(TicketLink).where(
        TicketLink.tenant_id == tenant_id,
        or_(
            and_(TicketLink.ticket_id == one, TicketLink.other_ticket_id == other),
            and_(TicketLink.ticket_id == other, TicketLink.other_ticket_id == one),
        ),
    )
    return (await session.execute(query)).scalars().first()


async def link_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, ticket_id: uuid.UUID, link_id: uuid.UUID
) -> TicketLink | None:
    query = select(TicketLink).where(
        TicketLink.tenant_id == tenant_id,
        TicketLink.id == link_id,
        or_(TicketLink.ticket_id == ticket_id, TicketLink.other_ticket_id == ticket_id),
    )
    return (await session.execute(query)).scalar_one_or_none()


# Reservations (RMA)


async def reservations_of(
    session: AsyncSession, tenant_id: uuid.UUID, ticket_id: uuid.UUID
) -> list[TicketReservation]:
    query = (
        select(TicketReservation)
        .where(TicketReservation.tenant_id == tenant_id, TicketReservation.ticket_id == ticket_id)
        .order_by(TicketReservation.created_at, TicketReservation.reservation_id)
    )
    return list((await session.execute(query)).scalars())


async def move_reservations(
    session: AsyncSession, tenant_id: uuid.UUID, source: uuid.UUID, target: uuid.UUID
) -> None:
    await session.execute(
        update(TicketReservation)
        .where(TicketReservation.tenant_id == tenant_id, TicketReservation.ticket_id == source)
        .values(ticket_id=target)
    )


async def tickets_after(
    session: AsyncSession, tenant_id: uuid.UUID, after: uuid.UUID | None, limit: int
) -> list[Ticket]:
    """A page of the tenant's tickets in id order (the search index's rebuild)."""
    query = select(Ticket).where(Ticket.tenant_id == tenant_id).order_by(Ticket.id).limit(limit)
    if after is not None:
        query = query.where(Ticket.id > after)
    return list((await session.execute(query)).scalars())
