"""The demo knowledge base: ~60 articles in a few collections, written through the
Knowledge service like any author's (so revisions, rendering, events and the search index
agree): how-tos for each product line of the demo catalog, the returns policy, warranty
and shipping, internal support playbooks, a few drafts, and articles with several
revisions (edited, published, corrected). Pure data plus one transaction."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.db import Database
from quartermaster.identity.public import Principal
from quartermaster.knowledge.public import (
    ArticleCreate,
    ArticleRead,
    ArticleStatus,
    ArticleUpdate,
    CollectionCreate,
    Visibility,
    create_article,
    create_collection,
    defer_indexing,
    flush_indexing,
    update_article,
)

# The demo catalog's product lines (demo_families_*.py): top level → lines.
PRODUCT_LINES: dict[str, tuple[str, ...]] = {
    "Fasteners": (
        "Wood screws", "Machine screws", "Drywall screws", "Self-drilling screws",
        "Threaded rod", "Hex bolts", "Carriage bolts", "Nuts", "Washers", "Anchors",
        "Nails", "Rivets",
    ),
    "Tools": (
        "Hammers", "Screwdrivers", "Spanners", "Pliers", "Sockets", "Power tools",
        "Drill bits", "Screwdriver bits", "Abrasives", "Measuring",
    ),
    "Electrical": (
        "Installation cable", "Single-core wire", "Conduit", "Connectors", "Cable ties",
        "Lighting", "Protection", "Switches & sockets",
    ),
    "Plumbing": (
        "Pipes", "Press fittings", "Brass fittings", "Pipe clips", "Valves",
        "Sealing & chemicals",
    ),
    "Packaging": ("Boxes", "Tapes", "Labels", "Mailers", "Films & fill"),
    "Safety": (
        "Gloves", "Footwear", "Head & eye protection", "Hi-vis clothing",
        "First aid & hearing",
    ),
}  # fmt: skip

TIPS = {
    "Fasteners": (
        "Match the material to the environment: zinc-plated for dry indoor work, "
        "hot-dip galvanised or A2/A4 stainless outdoors and near the sea.",
        "Pre-drill hardwood and edges to avoid splitting; use a washer under soft material.",
        "Check the load table before you choose a diameter, and never mix grades in one joint.",
    ),
    "Tools": (
        "Use the right size: a worn or undersized bit rounds the head of the screw.",
        "Keep cutting edges clean and dry; store tools in their case.",
        "Wear eye protection when striking, drilling or grinding.",
    ),
    "Electrical": (
        "Switch off and lock out the circuit, then prove it dead with a tester.",
        "Size the cable for the load and the length of the run (voltage drop).",
        "Installations must be checked by a qualified electrician where local rules say so.",
    ),
    "Plumbing": (
        "Shut off the water and relieve the pressure before you cut into a line.",
        "Deburr and calibrate pipe ends before pressing; mark the insertion depth.",
        "Pressure-test every new joint before you close the wall.",
    ),
    "Packaging": (
        "Choose the box for the weight, not only the size: the grade is printed on the flap.",
        "Fill voids so the contents cannot move; a shaken box is a damaged box.",
        "Put the label on the largest flat face, away from seams and tape.",
    ),
    "Safety": (
        "Check the EN standard and size on the product page before ordering for a team.",
        "Replace protective equipment after an impact or when it shows wear.",
        "Keep a record of what was issued to whom, with the date.",
    ),
}

POLICIES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    (
        "Returns & warranty",
        "Returns policy",
        "You can return any unused item within **30 days** of delivery for a full refund.\n\n"
        "1. Open a ticket or write to support with your order number.\n"
        "2. We send you a return label (RMA number) within one business day.\n"
        "3. Pack the items in their original packaging and drop the parcel off.\n\n"
        "Refunds are paid to the original payment method within 5 business days of the "
        "parcel reaching our warehouse. Cut-to-length cable, opened chemicals and personal "
        "protective equipment that was worn cannot be returned.",
        ("returns", "rma"),
    ),
    (
        "Returns & warranty",
        "Warranty terms",
        "Tools and power tools carry a **2-year warranty** from the invoice date; "
        "fasteners and fittings are guaranteed to meet the standard printed on the pack.\n\n"
        "The warranty covers defects in material and workmanship. It does not cover wear "
        "parts (bits, blades, brushes), misuse, or repairs by third parties.\n\n"
        "To claim, open a ticket with the serial number, a photo and the invoice number.",
        ("warranty",),
    ),
    (
        "Returns & warranty",
        "Damaged or wrong items",
        "If a delivery arrives damaged or holds the wrong items, tell us within **7 days**.\n\n"
        "- Take photos of the parcel and the items before you unpack everything.\n"
        "- Keep the packaging until we have answered.\n\n"
        "We send the right items at once and collect the others at our cost.",
        ("returns", "delivery"),
    ),
    (
        "Returns & warranty",
        "Refund timelines",
        "| Payment method | Refund arrives |\n|---|---|\n| Card | 3-5 business days |\n"
        "| Invoice | credited to the next statement |\n| Bank transfer | 2-3 business days |",
        ("returns", "refunds"),
    ),
    (
        "Orders & delivery",
        "Shipping options and costs",
        "Orders placed by **14:00** on a business day leave the warehouse the same day.\n\n"
        "| Service | Time | Cost |\n|---|---|---|\n| Standard | 2-3 days | free over 150 € |\n"
        "| Express | next day | 14.90 € |\n| Pallet | 3-5 days | on quote |",
        ("shipping", "delivery"),
    ),
    (
        "Orders & delivery",
        "Tracking a delivery",
        "Every shipment gets a tracking link by e-mail once it leaves the warehouse. "
        "Partial deliveries get one link per parcel.",
        ("shipping", "tracking"),
    ),
    (
        "Orders & delivery",
        "Ordering in bulk",
        "Boxes of fasteners are priced per box; larger quantities get the bulk price list "
        "automatically. Ask for a quote above 50 boxes of one item.",
        ("orders", "pricing"),
    ),
    (
        "Orders & delivery",
        "Changing or cancelling an order",
        "An order can be changed or cancelled until it is picked. Open a ticket with the "
        "order number as soon as possible; once shipped, the returns policy applies.",
        ("orders",),
    ),
    (
        "Getting started",
        "How to reach support",
        "Open a ticket from the help centre or write to our support address. We answer "
        "within four business hours (Monday to Friday, 8:00-18:00 CET).",
        ("support",),
    ),
    (
        "Getting started",
        "Creating an account",
        "Business customers can open an account for invoice payment and price lists. "
        "Register with your VAT number; we confirm within one business day.",
        ("account",),
    ),
)

PLAYBOOKS: tuple[tuple[str, str], ...] = (
    (
        "Handling a warranty claim",
        "1. Check the invoice date (2 years for tools).\n2. Ask for the serial number and "
        "a photo.\n3. Reserve a replacement from stock on the ticket (RMA).\n"
        "4. Escalate power tools over 300 € to the manager.",
    ),
    (
        "Escalation matrix",
        "| Issue | Team | Within |\n|---|---|---|\n| Damaged delivery | Returns | 1 day |\n"
        "| Wrong price | Customer support | 4 hours |\n| Safety concern | Manager | at once |",
    ),
    (
        "Refund approval limits",
        "Agents approve refunds up to 250 €; managers above. Never refund before the "
        "returned goods are booked in.",
    ),
    (
        "Canned replies",
        "**Delivery delay**: We are sorry your order is late. The carrier reports …\n\n"
        "**Out of stock**: The item is back in stock on … — shall we reserve it for you?",
    ),
    (
        "Supplier contacts",
        "Fasteners: order desk, weekdays 7-16. Power tools: service centre, RMA form "
        "on their portal. Keep supplier prices out of customer replies.",
    ),
)


@dataclass
class KnowledgeReport:
    collections: int = 0
    articles: int = 0
    published: int = 0
    internal: int = 0
    drafts: int = 0
    revisions: int = 0


def _how_to(line: str, top: str, rng: random.Random) -> str:
    tips = list(TIPS[top])
    rng.shuffle(tips)
    steps = "\n".join(f"{n}. {tip}" for n, tip in enumerate(tips, 1))
    return (
        f"This guide helps you choose and use **{line.lower()}** from our {top.lower()} range.\n\n"
        f"## Choosing\n\nEach product page lists the sizes, material and finish; the SKU "
        f"names them in the same order, so you can find the right one by typing it.\n\n"
        f"## Good practice\n\n{steps}\n\n"
        f"## Still unsure?\n\nOpen a ticket with what you are building and we suggest "
        f"the right {line.lower()} for it."
    )


class _Author:
    def __init__(self, principal: Principal) -> None:
        self.principal = principal
        self.report = KnowledgeReport()

    async def write(
        self,
        session: AsyncSession,
        title: str,
        body: str,
        collection_id: uuid.UUID,
        *,
        tags: tuple[str, ...] = (),
        visibility: Visibility = Visibility.PUBLIC,
        publish: bool = True,
        now: datetime,
    ) -> ArticleRead:
        article = await create_article(
            session,
            self.principal,
            ArticleCreate(
                title=title,
                body=body,
                collection_id=collection_id,
                tags=list(tags),
                visibility=visibility,
                note="First version",
            ),
            now=now,
        )
        self.report.articles += 1
        self.report.revisions += 1
        if visibility is Visibility.INTERNAL:
            self.report.internal += 1
        if publish:
            article = await self.save(
                session, article, ArticleUpdate(status=ArticleStatus.PUBLISHED)
            )
            self.report.published += 1
        else:
            self.report.drafts += 1
        return article

    async def save(
        self, session: AsyncSession, article: ArticleRead, change: ArticleUpdate
    ) -> ArticleRead:
        saved = await update_article(
            session, self.principal, article.id, change, f'"{article.revision}"'
        )
        self.report.revisions += saved.revision - article.revision
        return saved


async def seed_demo_knowledge(
    database: Database, owner: Principal, now: datetime, seed: int = 7
) -> KnowledgeReport:
    """The demo organization's knowledge base, in one transaction."""
    rng = random.Random(f"{seed}:knowledge")  # noqa: S311 - demo data, not secrets
    author = _Author(owner)
    async with database.transaction(owner.tenant_id) as session:
        defer_indexing(session)  # each article indexed once, as it ends, below
        roots: dict[str, uuid.UUID] = {}
        for position, (name, description) in enumerate(
            (
                ("Getting started", "Accounts, support hours and how to reach us"),
                ("Product guides", "Choosing and using what we sell"),
                ("Orders & delivery", "Shipping, tracking and bulk orders"),
                ("Returns & warranty", "Returns, refunds and warranty claims"),
                ("Support playbooks", "For the support team only"),
            )
        ):
            created = await create_collection(
                session,
                owner,
                CollectionCreate(name=name, description=description, position=position),
            )
            roots[name] = created.id
        lines: dict[str, uuid.UUID] = {}
        for position, top in enumerate(PRODUCT_LINES):
            created = await create_collection(
                session,
                owner,
                CollectionCreate(
                    name=top,
                    parent_id=roots["Product guides"],
                    description=f"How-tos for our {top.lower()}",
                    position=position,
                ),
            )
            lines[top] = created.id
        author.report.collections = len(roots) + len(lines)

        start = now - timedelta(days=60)
        written = 0

        def moment() -> datetime:
            return start + timedelta(hours=written * 20 + rng.randint(0, 12))

        for collection, title, body, tags in POLICIES:
            article = await author.write(
                session, title, body, roots[collection], tags=tags, now=moment()
            )
            written += 1
            if title in ("Returns policy", "Shipping options and costs", "Warranty terms"):
                # Corrected and clarified after publication: several revisions.
                article = await author.save(
                    session,
                    article,
                    ArticleUpdate(
                        body=article.body + "\n\nQuestions? Open a ticket, we are glad to help.",
                        note="Point to the help desk",
                    ),
                )
                await author.save(
                    session,
                    article,
                    ArticleUpdate(tags=[*article.tags, "policy"], note="Tagged as policy"),
                )
        for top, names in PRODUCT_LINES.items():
            for index, line in enumerate(names):
                draft = index == len(names) - 1 and top in ("Tools", "Electrical", "Plumbing")
                article = await author.write(
                    session,
                    f"Choosing and using {line.lower()}",
                    _how_to(line, top, rng),
                    lines[top],
                    tags=(top.lower().replace(" ", "-"), "how-to"),
                    publish=not draft,
                    now=moment(),
                )
                written += 1
                if index == 0:
                    await author.save(
                        session,
                        article,
                        ArticleUpdate(
                            title=f"{line}: choosing and using them",
                            note="Clearer title",
                        ),
                    )
        for title, body in PLAYBOOKS:
            await author.write(
                session,
                title,
                body,
                roots["Support playbooks"],
                tags=("playbook",),
                visibility=Visibility.INTERNAL,
                now=moment(),
            )
            written += 1
        await author.write(
            session,
            "Holiday opening hours (draft)",
            "Between 24 December and 1 January we are open 9:00-13:00 on business days.",
            roots["Getting started"],
            publish=False,
            now=moment(),
        )
        await flush_indexing(session, owner.tenant_id)
    return author.report
