"""The demo organization's service desk: agents, an SLA policy on business hours, two
teams, and ~300 tickets over the history (some by e-mail, some about products, some
breached, many rated), written through the service desk's own code.

Like ``history``, the story is planned first in pure Python (:func:`plan_tickets`:
every ticket's events — opened by API or e-mail, replies, notes, waiting for the
customer, the customer's answers by e-mail, resolution, rating, closing — with their
times, from ``DemoSize.seed``). :func:`seed_demo_desk` then replays all events in time
order, one transaction per day, each through the service the API uses with that event's
time (``now=``), and runs the SLA breach check before each event and at the end of each
day, as the scheduled job would have: so due dates, breaches, CSAT, reports and outbox
events agree as if people had done the work.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from tempfile import gettempdir
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.catalog.public import ProductRef
from quartermaster.core.db import Database
from quartermaster.demo.catalog import DemoSize
from quartermaster.identity.public import Principal, Role, add_demo_members
from quartermaster.servicedesk.files import AttachmentStore
from quartermaster.servicedesk.schemas import (
    AssignmentStrategy,
    CsatAnswer,
    Priority,
    RequesterIn,
    SlaPolicyCreate,
    SlaTarget,
    TeamCreate,
    TicketCreate,
    TicketStatus,
    TransitionIn,
)
from quartermaster.servicedesk.service import csat, inbound, sla, teams, workflow
from quartermaster.servicedesk.service.common import ticket_for_write
from quartermaster.servicedesk.service.conversation import record_comment
from quartermaster.servicedesk.service.indexing import defer_indexing as defer_ticket_indexing
from quartermaster.servicedesk.service.indexing import flush_indexing as flush_ticket_indexing

DEMO_SECRET = "demo-rating-links"  # noqa: S105 - signs links answered inside the seed only
MAIL_DOMAIN = "acme-supplies.example"

AGENTS = (
    ("sam.support@example.com", "Sam Support", Role.STAFF),
    ("riley.returns@example.com", "Riley Returns", Role.STAFF),
    ("jo.helpdesk@example.com", "Jo Helpdesk", Role.STAFF),
    ("max.manager@example.com", "Max Manager", Role.MANAGER),
)

CUSTOMERS = (
    ("Ana Ruiz", "ana.ruiz@buildright.example"),
    ("Ben Okafor", "ben@okafor-haustechnik.example"),
    ("Chloé Martin", "c.martin@atelier-martin.example"),
    ("Dmitri Ivanov", "dmitri@northfab.example"),
    ("Eva Lindqvist", "eva.lindqvist@kobberverk.example"),
    ("Farid Haddad", "farid@haddad-plumbing.example"),
    ("Grace Kim", "grace.kim@seoulsupply.example"),
    ("Hugo Brandt", "h.brandt@brandt-bau.example"),
    ("Ines Costa", "ines@costa-electric.example"),
    ("Jonas Weber", "jonas.weber@werkstatt42.example"),
    ("Kaito Sato", "kaito@sato-tools.example"),
    ("Lena Fischer", "lena.fischer@fischer-montage.example"),
    ("Mateo Rossi", "mateo@rossi-costruzioni.example"),
    ("Nora Berg", "nora@berg-facility.example"),
    ("Omar Said", "omar.said@desertdepot.example"),
    ("Priya Nair", "priya@nair-engineering.example"),
    ("Quinn Doyle", "quinn@doyle-and-sons.example"),
    ("Rosa Jansen", "rosa.jansen@jansen-installatie.example"),
    ("Sven Olsen", "sven@olsen-marine.example"),
    ("Tara Walsh", "tara.walsh@walshworks.example"),
    ("Uma Patel", "uma@patel-hardware.example"),
    ("Victor Dubois", "victor@dubois-menuiserie.example"),
    ("Wen Li", "wen.li@li-trading.example"),
    ("Yusuf Demir", "yusuf@demir-yapi.example"),
    ("Zoe Novak", "zoe.novak@novak-interiors.example"),
)

# (subject, description, about a product, the agent's first reply)
TOPICS = (
    (
        "{product} arrived damaged",
        "The delivery came today and the **{product}** ({sku}) is damaged. Can you send a "
        "replacement?",
        True,
        "Sorry about that! Could you send a photo of the damage and the delivery note?",
    ),
    (
        "Wrong item delivered",
        "We ordered {sku} ({product}) but received something else. Order reference on the "
        "packing slip.",
        True,
        "Thanks for letting us know. We will pick up the wrong item and ship the right one.",
    ),
    (
        "Question about {product}",
        "Is the {product} ({sku}) suitable for outdoor use? Any certifications?",
        True,
        "Yes, it is rated for outdoor use; the data sheet is attached to the product page.",
    ),
    (
        "Invoice does not match the order",
        "Our invoice lists a different quantity than we ordered. Please correct it.",
        False,
        "We are checking the invoice against the order and will send a corrected one.",
    ),
    (
        "Delivery is late",
        "Our order was due on Tuesday and has not arrived. We need it for a job site.",
        False,
        "The shipment left our warehouse yesterday; tracking should update this afternoon.",
    ),
    (
        "Return request for {product}",
        "We have 10 units of {sku} left over from a project. Can we return them?",
        True,
        "Unused items can be returned within 30 days; we have opened a return for you.",
    ),
    (
        "Cannot log in to the order portal",
        "Password reset mails do not arrive. Please help.",
        False,
        "We reset your account; please check your spam folder for the new mail.",
    ),
    (
        "Bulk price for {product}",
        "What would 500 units of {sku} cost with wholesale pricing?",
        True,
        "For 500 units we can offer the wholesale price list; a quote is on its way.",
    ),
)

CUSTOMER_ANSWERS = (
    "Photo attached, the box was crushed.",
    "Here is the delivery note number: DN-{n}.",
    "Thanks, that helps. One more question: how long will it take?",
    "We checked again, the serial number is SN{n}.",
)


@dataclass
class DemoEvent:
    at: datetime
    ticket: int
    kind: str  # open, reply, note, pending, answer, resolve, rate, close
    text: str = ""
    score: int = 0


@dataclass
class PlannedTicket:
    index: int
    subject: str
    description: str
    priority: Priority
    customer: tuple[str, str]
    by_email: bool
    product: int | None
    message_id: str
    events: list[DemoEvent] = field(default_factory=list)


def _business_moment(day: datetime, rng: random.Random) -> datetime:
    """A time on ``day`` (UTC midnight), mostly during (Berlin) office hours."""
    if rng.random() < 0.85:
        minutes = rng.randint(7 * 60, 16 * 60 + 30)  # 08:00 to 17:30 Berlin, roughly
    else:
        minutes = rng.randint(0, 24 * 60 - 1)
    return day + timedelta(minutes=minutes, seconds=rng.randint(0, 59))


def plan_tickets(
    count: int, days: int, products: int, seed: int, start: datetime, end: datetime
) -> list[PlannedTicket]:
    """Every demo ticket and its story, from ``seed`` (times between start and end)."""
    rng = random.Random(f"{seed}:desk")  # noqa: S311 - demo data, not secrets
    weights = [0.35 if (start + timedelta(days=d)).weekday() >= 5 else 1.0 for d in range(days)]
    planned = []
    for index in range(count):
        day = start + timedelta(days=rng.choices(range(days), weights)[0])
        opened = _business_moment(day, rng)
        subject, description, about_product, reply = TOPICS[rng.randrange(len(TOPICS))]
        product = rng.randrange(products) if about_product and products else None
        priority = rng.choices(list(Priority), [0.2, 0.55, 0.18, 0.07])[0]
        customer = CUSTOMERS[rng.randrange(len(CUSTOMERS))]
        ticket = PlannedTicket(
            index=index,
            subject=subject,
            description=description,
            priority=priority,
            customer=customer,
            by_email=rng.random() < 0.4,
            product=product,
            message_id=f"<demo-{seed}-{index}@{customer[1].split('@')[1]}>",
        )
        events = [DemoEvent(opened, index, "open")]
        # First reply: usually within hours, sometimes (breaches) a day or more later.
        delay = rng.choice([0.2, 0.5, 1, 2, 3, 5, 8, 20, 30, 50])
        at = opened + timedelta(hours=delay * rng.uniform(0.6, 1.4))
        if rng.random() < 0.25:
            events.append(DemoEvent(at - timedelta(minutes=7), index, "note", "Checked stock."))
        events.append(DemoEvent(at, index, "reply", reply))
        if rng.random() < 0.35:
            at += timedelta(minutes=rng.randint(5, 60))
            events.append(DemoEvent(at, index, "pending"))
            at += timedelta(hours=rng.uniform(2, 40))
            answer = CUSTOMER_ANSWERS[rng.randrange(len(CUSTOMER_ANSWERS))]
            events.append(DemoEvent(at, index, "answer", answer.format(n=rng.randint(1000, 9999))))
        at += timedelta(hours=rng.uniform(1, 60))
        events.append(DemoEvent(at, index, "resolve", "This should be sorted now."))
        if rng.random() < 0.6:
            score = rng.choices([5, 4, 3, 2, 1], [0.5, 0.28, 0.1, 0.07, 0.05])[0]
            events.append(
                DemoEvent(at + timedelta(hours=rng.uniform(0.5, 30)), index, "rate", score=score)
            )
        if rng.random() < 0.7:
            events.append(DemoEvent(at + timedelta(days=rng.uniform(3, 8)), index, "close"))
        ticket.events = [e for e in events if e.at < end]  # the rest has not happened yet
        planned.append(ticket)
    return planned


@dataclass
class DeskReport:
    agents: int = 0
    tickets: int = 0
    by_email: int = 0
    with_products: int = 0
    breached: int = 0
    rated: int = 0


def _email(planned: PlannedTicket, text: str, at: datetime, reply_to: str | None) -> bytes:
    name, address = planned.customer
    message = EmailMessage()
    message["From"] = f"{name} <{address}>"
    message["To"] = f"support@{MAIL_DOMAIN}"
    message["Date"] = format_datetime(at)
    if reply_to is None:
        message["Subject"] = planned.subject
        message["Message-ID"] = planned.message_id
    else:
        message["Subject"] = f"Re: {planned.subject}"
        message["Message-ID"] = f"<reply-{at.timestamp():.0f}-{planned.message_id[1:]}"
        message["In-Reply-To"] = reply_to
        message["References"] = reply_to
    message.set_content(text)
    return message.as_bytes()


class _Writer:
    """Replays planned events through the service desk's services."""

    def __init__(
        self,
        owner: Principal,
        agents: list[uuid.UUID],
        products: list[ProductRef],
        store: AttachmentStore,
    ) -> None:
        self.owner = owner
        self.agents = agents
        self.products = products
        self.store = store
        self.ids: dict[int, uuid.UUID] = {}

    def _text(self, planned: PlannedTicket, template: str) -> str:
        if planned.product is None:
            return template
        product = self.products[planned.product % len(self.products)]
        return template.format(product=product.name, sku=product.sku)

    async def apply(
        self, session: AsyncSession, planned: PlannedTicket, event: DemoEvent, report: DeskReport
    ) -> None:
        tenant = self.owner.tenant_id
        if event.kind == "open":
            await self._open(session, planned, event, report)
            return
        ticket_id = self.ids.get(event.ticket)
        if ticket_id is None:
            return
        if event.kind in ("reply", "note"):
            ticket = await ticket_for_write(session, tenant, ticket_id)
            if ticket.status == "closed":
                return
            await record_comment(
                session,
                ticket,
                author_kind="agent",
                body=event.text,
                internal=event.kind == "note",
                author_user_id=ticket.assignee_id or self.owner.id,
                now=event.at,
            )
        elif event.kind == "answer":
            raw = _email(planned, event.text, event.at, planned.message_id)
            if planned.by_email:
                await inbound.receive_email(
                    session,
                    tenant,
                    raw,
                    store=self.store,
                    max_attachment_bytes=1,
                    now=event.at,
                )
            else:
                ticket = await ticket_for_write(session, tenant, ticket_id)
                await record_comment(
                    session,
                    ticket,
                    author_kind="requester",
                    body=event.text,
                    contact_id=ticket.requester_id,
                    now=event.at,
                )
        elif event.kind in ("pending", "resolve", "close"):
            to = {"pending": "pending", "resolve": "resolved", "close": "closed"}[event.kind]
            ticket = await ticket_for_write(session, tenant, ticket_id)
            if to in ("pending", "resolved") and ticket.status not in ("new", "open"):
                return
            if to == "closed" and ticket.status != "resolved":
                return
            await workflow.transition(
                session,
                self.owner,
                ticket_id,
                TransitionIn(to=TicketStatus(to), comment=event.text or None),
                now=event.at,
            )
        elif event.kind == "rate":
            latest = await csat.latest_survey_of_ticket(
                session, self.owner, ticket_id, DEMO_SECRET, "http://demo"
            )
            if latest is not None and latest.answered_at is None:
                token = latest.url.rsplit("/", 1)[1]
                await csat.answer_survey(
                    session, DEMO_SECRET, token, CsatAnswer(score=event.score), now=event.at
                )
                report.rated += 1

    async def _open(
        self, session: AsyncSession, planned: PlannedTicket, event: DemoEvent, report: DeskReport
    ) -> None:
        subject = self._text(planned, planned.subject)
        description = self._text(planned, planned.description)
        if planned.by_email:
            planned.subject = subject  # replies quote what was sent
            raw = _email(planned, description, event.at, None)
            result = await inbound.receive_email(
                session,
                self.owner.tenant_id,
                raw,
                store=self.store,
                max_attachment_bytes=1,
                now=event.at,
            )
            if result.ticket_id is None:
                return
            ticket_id = result.ticket_id
            report.by_email += 1
        else:
            name, address = planned.customer
            product_ids = []
            if planned.product is not None and self.products:
                product_ids = [self.products[planned.product % len(self.products)].id]
            created = await workflow.create_ticket(
                session,
                self.owner,
                TicketCreate(
                    subject=subject,
                    description=description,
                    priority=planned.priority,
                    requester=RequesterIn(email=address, name=name),
                    product_ids=product_ids,
                    tags=["demo"] if product_ids else [],
                ),
                now=event.at,
            )
            ticket_id = created.id
            report.with_products += bool(product_ids)
        self.ids[planned.index] = ticket_id
        report.tickets += 1


class DeskProgress(Protocol):
    def start(self, task: str, total: int) -> None: ...

    def advance(self, task: str, amount: int) -> None: ...


async def seed_demo_desk(
    database: Database,
    owner: Principal,
    products: list[ProductRef],
    size: DemoSize,
    now: datetime,
    progress: DeskProgress,
    files_dir: Path | None = None,
) -> DeskReport:
    """Agents, an SLA policy, teams and the planned tickets, one transaction per day."""
    tickets, days, seed = size.tickets, size.days, size.seed
    report = DeskReport()
    tenant = owner.tenant_id
    agent_ids = await add_demo_members(database, owner, list(AGENTS))
    report.agents = len(agent_ids)
    async with database.transaction(tenant) as session:
        policy = await sla.create_policy(
            session,
            owner,
            SlaPolicyCreate(
                name="Business hours",
                time_zone="Europe/Berlin",
                weekly_hours={d: ["08:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
                holidays=[],
                targets={
                    Priority.LOW: SlaTarget(first_response_minutes=480, resolution_minutes=4800),
                    Priority.NORMAL: SlaTarget(first_response_minutes=240, resolution_minutes=2400),
                    Priority.HIGH: SlaTarget(first_response_minutes=60, resolution_minutes=960),
                    Priority.URGENT: SlaTarget(first_response_minutes=30, resolution_minutes=240),
                },
                is_default=True,
            ),
        )
        await teams.create_team(
            session,
            owner,
            TeamCreate(
                name="Customer support",
                assignment_strategy=AssignmentStrategy.ROUND_ROBIN,
                member_ids=[agent_ids[0], agent_ids[2], agent_ids[3]],
                sla_policy_id=policy.id,
                is_default=True,
            ),
        )
        await teams.create_team(
            session,
            owner,
            TeamCreate(
                name="Returns",
                assignment_strategy=AssignmentStrategy.LOAD_BALANCED,
                member_ids=[agent_ids[1], agent_ids[3]],
                sla_policy_id=policy.id,
            ),
        )
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=days)
    plan = plan_tickets(tickets, days, len(products), seed, start, now)
    by_index = {p.index: p for p in plan}
    timeline = sorted((e for p in plan for e in p.events), key=lambda e: (e.at, e.ticket))
    store = AttachmentStore(files_dir or Path(gettempdir()) / "qm-demo")
    writer = _Writer(owner, agent_ids, products, store)
    position = 0
    day = start
    progress.start("tickets", len(plan))
    while day < now:
        day_end = min(day + timedelta(days=1), now)
        opened = 0
        async with database.transaction(tenant) as session:
            defer_ticket_indexing(session)  # each ticket changed today indexed once, set-wise
            while position < len(timeline) and timeline[position].at < day_end:
                event = timeline[position]
                report.breached += await sla.mark_breaches(session, tenant, event.at)
                await writer.apply(session, by_index[event.ticket], event, report)
                opened += event.kind == "open"
                position += 1
            report.breached += await sla.mark_breaches(session, tenant, day_end)
            await flush_ticket_indexing(session, tenant)
        progress.advance("tickets", opened)
        day = day_end
    return report
