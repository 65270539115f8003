"""The relevance suite: a small corpus and what people type into it, table-driven.

Used by tests/search/test_relevance.py (every case must hold) and by bench/search.py
(which prints the share of cases whose expected hit is at rank 1 beside its timings).
Documents go in through the SearchBackend seam, so any backend runs the same suite.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from quartermaster.search.public import SearchDocument

NAMESPACE = uuid.UUID("6f1c1d9e-5d0e-4c56-9a55-6c1f3e1b2a01")


def _id(name: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, name)


def _product(title: str, sku: str, barcode: str | None = None, body: str = "") -> SearchDocument:
    id_ = _id(title)
    return SearchDocument(
        type="product",
        id=id_,
        title=title,
        identifiers=[sku, *([barcode] if barcode else [])],
        body=body,
        url=f"/products/{id_}",
        permission="catalog:read",
    )


def _ticket(number: int, subject: str, body: str) -> SearchDocument:
    id_ = _id(subject)
    return SearchDocument(
        type="ticket",
        id=id_,
        title=subject,
        identifiers=[f"QM-{number}", str(number)],
        body=body,
        url=f"/tickets/{id_}",
        permission="tickets:read",
    )


def _article(
    title: str, body: str, *, permission: str = "knowledge:read", public: bool = False
) -> SearchDocument:
    id_ = _id(title)
    return SearchDocument(
        type="article",
        id=id_,
        title=title,
        identifiers=[],
        body=body,
        url=f"/kb/{id_}",
        permission=permission,
        public=public,
    )


CORPUS: list[SearchDocument] = [
    _product(
        "Widget Pro 3000",
        "WID-PRO-3000",
        "4006381333931",
        "Industrial widget with zinc coating for heavy duty use",
    ),
    _product("Blue widget", "WID-BLU-01", body="A small blue widget"),
    _product(
        "Hex bolt M8 x 40 zinc plated",
        "FAS-HB-M8-040-ZN-88",
        "4012345678901",
        "Hex head bolt, zinc plated steel, DIN 933",
    ),
    _product("Roadmap planner notebook", "PAP-RM-01", body="Plan your product roadmap"),
    _product("Road bike tyre", "BIK-TYR-700", body="Puncture resistant tyre 700x25"),
    _product("Café espresso machine", "KIT-ESP-01", body="Crème brûlée torch not included"),
    _product("Cordless drill battery", "TOO-BAT-18V", body="Lithium-ion batteries for drills"),
    _product("Safety gloves", "SAF-GLO-L", body="Cut resistant gloves, size L"),
    _product("Packing tape", "PAC-TAP-50", body="Brown packing tape, 50 mm wide"),
    _product("<script>alert(1)</script> gadget", "XSS-001", body=""),
    _product("Thermal label printer", "LAB-PRN-4", body="Prints shipping labels"),
    _ticket(
        1042,
        "Printer jams on every job",
        "The office printer jams when printing double-sided pages",
    ),
    _ticket(1043, "Refund for a damaged widget", "The customer received a damaged widget"),
    _ticket(77, "Cannot log in", "Password reset e-mail never arrives"),
    _article("Returns policy", "You can return any product within 30 days of delivery."),
    _article("How to reset the printer", "Turn the printer off, wait ten seconds, turn it on."),
    _article(
        "Warranty terms (draft)", "The warranty lasts two years.", permission="knowledge:write"
    ),
    _article("Shipping times", "Orders ship within two working days.", public=True),
]

TITLES = {document.id: document.title for document in CORPUS}


@dataclass(frozen=True)
class Case:
    query: str
    first: str | None = None  # the title expected at rank 1
    found: tuple[str, ...] = ()  # titles expected among the hits
    absent: tuple[str, ...] = ()  # titles that must not be hits
    empty: bool = False  # no hit at all
    permissions: frozenset[str] = field(
        default_factory=lambda: frozenset(
            {"catalog:read", "tickets:read", "knowledge:read", "knowledge:write"}
        )
    )

    @property
    def id(self) -> str:
        return self.query


VIEWER = frozenset({"catalog:read", "tickets:read", "knowledge:read"})
CATALOG_ONLY = frozenset({"catalog:read"})

CASES: list[Case] = [
    # prefixes: the word being typed
    Case("road", found=("Roadmap planner notebook", "Road bike tyre")),
    Case("roadm", first="Roadmap planner notebook"),
    Case("saf", first="Safety gloves"),
    Case("espres", first="Café espresso machine"),
    # typos
    Case("widgit", found=("Blue widget", "Widget Pro 3000")),
    Case("widgit pro", first="Widget Pro 3000"),
    Case("glovs", first="Safety gloves"),
    Case("printr jams", first="Printer jams on every job"),
    # identifiers, exact, first
    Case("QM-1042", first="Printer jams on every job"),
    Case("QM1042", first="Printer jams on every job"),
    Case("qm-1042", first="Printer jams on every job"),
    Case("1042", first="Printer jams on every job"),
    Case("fas-hb-m8-040-zn-88", first="Hex bolt M8 x 40 zinc plated"),
    Case("FAS-HB-M8-040-ZN-88", first="Hex bolt M8 x 40 zinc plated"),
    Case("fashbm8040zn88", first="Hex bolt M8 x 40 zinc plated"),
    Case("4006381333931", first="Widget Pro 3000"),
    Case("wid-pro-3000", first="Widget Pro 3000"),
    Case("pac-tap-50", first="Packing tape"),
    # websearch syntax
    Case('"packing tape"', first="Packing tape"),
    Case('"tape packing"', absent=("Packing tape",)),
    Case("widget -blue", found=("Widget Pro 3000",), absent=("Blue widget",)),
    Case("printer OR gloves", found=("Printer jams on every job", "Safety gloves")),
    # accents, stemming
    Case("cafe", first="Café espresso machine"),
    Case("café", first="Café espresso machine"),
    Case("creme brulee", first="Café espresso machine"),
    Case("batteries", first="Cordless drill battery"),
    Case("drills", first="Cordless drill battery"),
    Case("return", first="Returns policy"),
    # ranking: a title match before a body match
    Case("hex bolt", first="Hex bolt M8 x 40 zinc plated"),
    Case("zinc bolt", first="Hex bolt M8 x 40 zinc plated"),
    Case("zinc", found=("Hex bolt M8 x 40 zinc plated", "Widget Pro 3000")),
    Case("refund", first="Refund for a damaged widget"),
    Case("reset printer", first="How to reset the printer"),
    Case("tyre", first="Road bike tyre"),
    Case("label printer", first="Thermal label printer"),
    # nothing to find
    Case("xyzzy", empty=True),
    Case("the ", empty=True),  # a stop word, finished
    Case("the", first="Thermal label printer"),  # or the start of a word
    # permissions: what the reader may not see never appears
    Case("warranty", first="Warranty terms (draft)"),
    Case("warranty", empty=True, permissions=VIEWER),
    Case(
        "printer",
        found=("Thermal label printer",),
        absent=("Printer jams on every job", "How to reset the printer"),
        permissions=CATALOG_ONLY,
    ),
    Case("QM-1042", absent=("Printer jams on every job",), permissions=CATALOG_ONLY),
]


def ranked_first(case: Case, titles: list[str]) -> bool:
    """Whether a case's expected hit is at rank 1 (cases without one: whether it holds)."""
    if case.first is not None:
        return bool(titles) and titles[0] == case.first
    return holds(case, titles)


def holds(case: Case, titles: list[str]) -> bool:
    if case.empty and titles:
        return False
    if case.first is not None and (not titles or titles[0] != case.first):
        return False
    return all(t in titles for t in case.found) and not any(t in titles for t in case.absent)
