"""A ticket's status and what each change means.

```
new ──▶ open ◀──▶ pending
 │       │           │
 └───────┴──▶ resolved ──▶ closed      (reopen: resolved ──▶ open)
 new, open and pending may also close directly ("closed unresolved")
```

- to ``pending``: the SLA clocks are held (``sla.pause``); leaving it resumes them.
- to ``resolved``: the resolution clock stops; a CSAT rating link is created.
- ``resolved`` → ``open`` (reopen): a new resolution clock starts; the ticket keeps an
  available assignee, else the team's strategy assigns it again.
- to ``closed``: final. Closed without having been resolved, the stock reserved for the
  ticket (RMA) is released through inventory's public API in the same transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.identity.public import Principal
from quartermaster.inventory.public import release_stock
from quartermaster.servicedesk.errors import InvalidTransition
from quartermaster.servicedesk.models import Ticket
from quartermaster.servicedesk.repository import teams as team_rows
from quartermaster.servicedesk.repository import tickets as ticket_rows
from quartermaster.servicedesk.service import csat, notifications, sla
from quartermaster.servicedesk.service.teams import is_available, pick_assignee

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("open", "pending", "resolved", "closed"),
    "open": ("pending", "resolved", "closed"),
    "pending": ("open", "resolved", "closed"),
    "resolved": ("open", "closed"),
    "closed": (),
}


def check_transition(current: str, wanted: str) -> None:
    allowed = TRANSITIONS[current]
    if wanted not in allowed:
        raise InvalidTransition(current, wanted, allowed)


async def change_status(
    session: AsyncSession,
    ticket: Ticket,
    to: str,
    now: datetime,
    principal: Principal | None = None,
) -> None:
    """Move a locked ticket to ``to`` (which ``check_transition`` allowed), applying the
    rules above. ``principal`` acts for the stock released on an unresolved close."""
    tenant_id = ticket.tenant_id
    policy = await sla.policy_for(session, tenant_id, ticket.sla_policy_id)
    if ticket.status == "pending":
        sla.resume(ticket, policy, now)
    if to == "pending":
        sla.pause(ticket, now)
    elif to == "resolved":
        ticket.resolved_at = now
        survey = await csat.create_survey(session, ticket, now)
        await notifications.mail_rating_link(session, ticket, survey)
    elif to == "open" and ticket.status == "resolved":
        sla.reopen(ticket, policy, now)
        if ticket.team_id is not None and not await is_available(
            session, tenant_id, ticket.assignee_id
        ):
            team = await team_rows.team_by_id(session, tenant_id, ticket.team_id)
            if team is not None and team.assignment_strategy != "manual":
                ticket.assignee_id = await pick_assignee(session, team, now)
    elif to == "closed":
        ticket.closed_at = now
        if ticket.resolved_at is None and principal is not None:
            for row in await ticket_rows.reservations_of(session, tenant_id, ticket.id):
                await release_stock(session, principal, row.reservation_id)
    ticket.status = to


async def reopen_or_resume(session: AsyncSession, ticket: Ticket, now: datetime) -> None:
    """The requester wrote again: a pending or resolved ticket goes back to ``open``."""
    if ticket.status in ("pending", "resolved"):
        await change_status(session, ticket, "open", now)
