"""The demo organization's catalog, generated deterministically from a seed: a category
tree, products with plausible SKUs, names, units, EAN-13 barcodes, attributes, costs,
prices and demand profiles. Pure Python: nothing here touches the database (`demo.py`
writes it through the services)."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

DEFAULT_SEED = 1123


@dataclass(frozen=True)
class DemoSize:
    """How much demo data `qm seed-demo` writes; the seed makes it reproducible."""

    products: int = 2000
    movements: int = 20_000  # ledger lines, approximately
    days: int = 90  # of history, ending yesterday
    seed: int = DEFAULT_SEED


# One option of a product dimension: (SKU part, name part, attribute value).
Option = tuple[str, str, Any]

CENT = Decimal("0.01")
TENTH_CENT = Decimal("0.0001")


def options(values: Sequence[Any], sku: str = "{}", name: str = "{}") -> list[Option]:
    """Options from plain values, e.g. options([6, 8], sku="M{}", name="M{}")."""
    return [(sku.format(value), name.format(value), value) for value in values]


def labelled(*pairs: tuple[str, str]) -> list[Option]:
    """Options whose SKU code and label differ, e.g. ("ZN", "zinc plated")."""
    return [(code, label, label) for code, label in pairs]


@dataclass(frozen=True)
class Family:
    """A product line: every combination of its dimensions is one possible product."""

    path: tuple[str, ...]  # category path, root first
    code: str  # SKU stem
    name: str  # str.format template over the dimensions' name parts, in order
    dims: tuple[tuple[str, list[Option]], ...]  # (attribute name, options)
    unit: str = "pcs"
    weight: float = 1.0  # share of the catalog relative to the other families
    cost: tuple[float, float] = (1.0, 10.0)  # unit cost range (EUR); bigger variants cost more
    line: tuple[float, float] = (1, 10)  # typical quantity of one order line
    blurb: str | None = None  # description sentence
    attributes: dict[str, Any] = field(default_factory=dict)  # shared by every variant

    def combinations(self) -> list[tuple[tuple[int, ...], tuple[Option, ...]]]:
        indexed = [list(enumerate(opts)) for _, opts in self.dims]
        return [
            (tuple(i for i, _ in combo), tuple(o for _, o in combo))
            for combo in itertools.product(*indexed)
        ]


FINISHES = labelled(
    ("ZN", "zinc plated"),
    ("HDG", "hot-dip galvanised"),
    ("A2", "stainless A2"),
    ("A4", "stainless A4"),
)
METRIC = [3, 4, 5, 6, 8, 10, 12, 16, 20, 24]
BRANDS = labelled(("VX", "Voltex"), ("KM", "Kraftmann"), ("PL", "ProLine"))
SIZES = labelled(("S", "S"), ("M", "M"), ("L", "L"), ("XL", "XL"), ("2XL", "XXL"), ("3XL", "3XL"))

FAMILIES: tuple[Family, ...] = (
    # Fasteners
    Family(
        ("Fasteners", "Screws", "Wood screws"),
        "FAS-WS",
        "Wood screw {} x {} mm, {}, {}",
        (
            ("diameter_mm", options([3.0, 3.5, 4.0, 4.5, 5.0, 6.0], sku="{:.1f}")),
            ("length_mm", options([16, 20, 25, 30, 35, 40, 45, 50, 60, 70, 80, 100], sku="{:03d}")),
            ("head", labelled(("CS", "countersunk"), ("PN", "pan head"))),
            ("finish", labelled(("ZN", "zinc plated"), ("YZ", "yellow zinc"), ("A2", "A2"))),
        ),
        weight=9,
        cost=(0.02, 0.14),
        line=(25, 400),
        blurb="Pozidriv PZ2 wood screw with a sharp point for softwood and chipboard.",
        attributes={"drive": "PZ2"},
    ),
    Family(
        ("Fasteners", "Screws", "Machine screws"),
        "FAS-MS",
        "Machine screw M{} x {} mm, {}, {}",
        (
            ("thread", options([3, 4, 5, 6, 8], sku="M{}")),
            ("length_mm", options([6, 8, 10, 12, 16, 20, 25, 30, 35, 40], sku="{:03d}")),
            ("head", labelled(("ISO7380", "button head"), ("DIN912", "socket cap"))),
            ("finish", labelled(("ZN", "zinc plated"), ("A2", "stainless A2"))),
        ),
        weight=6,
        cost=(0.03, 0.35),
        line=(20, 250),
        blurb="Metric machine screw with a hex socket drive.",
    ),
    Family(
        ("Fasteners", "Screws", "Drywall screws"),
        "FAS-DW",
        "Drywall screw {} x {} mm, {}",
        (
            ("diameter_mm", options([3.5, 3.9, 4.2], sku="{:.1f}")),
            ("length_mm", options([25, 35, 45, 55, 65], sku="{:03d}")),
            ("thread", labelled(("FT", "fine thread"), ("CT", "coarse thread"))),
        ),
        weight=2,
        cost=(0.01, 0.05),
        line=(100, 1000),
        blurb="Phosphated bugle-head screw for plasterboard on metal or timber studs.",
    ),
    Family(
        ("Fasteners", "Screws", "Self-drilling screws"),
        "FAS-SD",
        "Self-drilling screw {} x {} mm, {}",
        (
            ("diameter_mm", options([3.5, 4.2, 4.8, 5.5], sku="{:.1f}")),
            ("length_mm", options([13, 16, 19, 25, 32, 38], sku="{:03d}")),
            (
                "head",
                labelled(("HW", "hex washer head"), ("PN", "pan head"), ("CS", "countersunk")),
            ),
        ),
        weight=3,
        cost=(0.02, 0.12),
        line=(50, 500),
        blurb="Drill point screw for sheet metal up to 3 mm, no pilot hole needed.",
    ),
    Family(
        ("Fasteners", "Bolts", "Threaded rod"),
        "FAS-TR",
        "Threaded rod M{} x {} mm, {}",
        (
            ("thread", options([6, 8, 10, 12, 16, 20, 24], sku="M{}")),
            ("length_mm", options([1000, 2000], sku="{}")),
            ("finish", FINISHES),
        ),
        weight=2,
        cost=(0.9, 14.0),
        line=(2, 25),
        attributes={"standard": "DIN 976-1"},
    ),
    Family(
        ("Fasteners", "Bolts", "Hex bolts"),
        "FAS-HB",
        "Hex bolt M{} x {} mm, {}, grade {}",
        (
            ("thread", options([6, 8, 10, 12, 16, 20], sku="M{}")),
            ("length_mm", options([16, 20, 25, 30, 40, 50, 60, 80, 100, 120], sku="{:03d}")),
            ("finish", FINISHES),
            ("grade", labelled(("88", "8.8"), ("109", "10.9"))),
        ),
        weight=9,
        cost=(0.08, 1.9),
        line=(10, 200),
        blurb="Hexagon head bolt to DIN 933, fully threaded.",
        attributes={"standard": "DIN 933"},
    ),
    Family(
        ("Fasteners", "Bolts", "Carriage bolts"),
        "FAS-CB",
        "Carriage bolt M{} x {} mm, {}",
        (
            ("thread", options([6, 8, 10, 12], sku="M{}")),
            ("length_mm", options([40, 50, 60, 80, 100, 120], sku="{:03d}")),
            ("finish", FINISHES),
        ),
        weight=3,
        cost=(0.12, 1.2),
        line=(10, 100),
        blurb="Cup square bolt to DIN 603 for timber connections.",
        attributes={"standard": "DIN 603"},
    ),
    Family(
        ("Fasteners", "Nuts & washers", "Nuts"),
        "FAS-NU",
        "{} M{}, {}",
        (
            (
                "type",
                labelled(
                    ("HEX", "Hex nut DIN 934"),
                    ("NYL", "Nyloc nut DIN 985"),
                    ("FLG", "Flange nut DIN 6923"),
                    ("CAP", "Dome nut DIN 1587"),
                ),
            ),
            ("thread", options(METRIC, sku="M{}")),
            ("finish", FINISHES),
        ),
        weight=5,
        cost=(0.01, 0.6),
        line=(25, 500),
    ),
    Family(
        ("Fasteners", "Nuts & washers", "Washers"),
        "FAS-WA",
        "{} M{}, {}",
        (
            (
                "type",
                labelled(
                    ("FLT", "Flat washer DIN 125"),
                    ("SPR", "Spring washer DIN 127"),
                    ("PNY", "Penny washer DIN 9021"),
                ),
            ),
            ("thread", options(METRIC, sku="M{}")),
            ("finish", FINISHES),
        ),
        weight=4,
        cost=(0.005, 0.25),
        line=(50, 1000),
    ),
    Family(
        ("Fasteners", "Anchors"),
        "FAS-AN",
        "{} {} mm",
        (
            (
                "type",
                labelled(
                    ("NY", "Nylon wall plug"),
                    ("UNI", "Universal plug"),
                    ("CAV", "Cavity anchor"),
                    ("WDG", "Wedge anchor"),
                ),
            ),
            ("diameter_mm", options([5, 6, 8, 10, 12, 14], sku="{:02d}")),
        ),
        weight=2,
        cost=(0.02, 0.9),
        line=(25, 300),
    ),
    Family(
        ("Fasteners", "Nails"),
        "FAS-NL",
        "Wire nails {} mm, {} (per kg)",
        (
            (
                "size_mm",
                labelled(
                    ("2040", "2.0 x 40"),
                    ("2555", "2.5 x 55"),
                    ("2865", "2.8 x 65"),
                    ("3180", "3.1 x 80"),
                    ("3490", "3.4 x 90"),
                    ("42120", "4.2 x 120"),
                ),
            ),
            ("type", labelled(("BR", "bright"), ("GV", "galvanised"), ("RS", "ring shank"))),
        ),
        unit="kg",
        weight=1,
        cost=(2.4, 6.5),
        line=(0.5, 10),
        blurb="Round wire nails, sold loose by weight.",
    ),
    Family(
        ("Fasteners", "Rivets"),
        "FAS-RV",
        "Blind rivet {} x {} mm, {}",
        (
            ("diameter_mm", options([3.2, 4.0, 4.8], sku="{:.1f}")),
            ("length_mm", options([6, 8, 10, 12, 16], sku="{:02d}")),
            ("material", labelled(("ALS", "aluminium/steel"), ("SS", "steel/steel"), ("A2", "A2"))),
        ),
        weight=2,
        cost=(0.01, 0.09),
        line=(50, 500),
    ),
    # Tools
    Family(
        ("Tools", "Hand tools", "Hammers"),
        "TLS-HM",
        "{} {} g, {} handle",
        (
            (
                "type",
                labelled(("CLW", "Claw hammer"), ("ENG", "Engineer's hammer"), ("MLT", "Mallet")),
            ),
            ("weight_g", options([300, 450, 600, 800, 1000], sku="{:04d}")),
            ("handle", labelled(("FG", "fibreglass"), ("WD", "hickory"))),
        ),
        weight=1,
        cost=(6.0, 28.0),
        line=(1, 4),
    ),
    Family(
        ("Tools", "Hand tools", "Screwdrivers"),
        "TLS-SD",
        "Screwdriver {}, {}",
        (
            (
                "tip",
                options(
                    [
                        "PH0",
                        "PH1",
                        "PH2",
                        "PH3",
                        "PZ1",
                        "PZ2",
                        "PZ3",
                        "SL3",
                        "SL4",
                        "SL5.5",
                        "SL6.5",
                        "SL8",
                        "TX10",
                        "TX20",
                        "TX25",
                        "TX30",
                    ]
                ),
            ),
            ("type", labelled(("STD", "standard"), ("VDE", "insulated VDE 1000 V"))),
        ),
        weight=1.5,
        cost=(2.5, 9.0),
        line=(1, 6),
    ),
    Family(
        ("Tools", "Hand tools", "Spanners"),
        "TLS-SP",
        "{} spanner {} mm",
        (
            (
                "type",
                labelled(("CMB", "Combination"), ("RAT", "Ratcheting"), ("OPN", "Open-ended")),
            ),
            ("size_mm", options([*range(6, 25), 27, 30, 32], sku="{:02d}")),
        ),
        weight=2,
        cost=(3.0, 22.0),
        line=(1, 5),
    ),
    Family(
        ("Tools", "Hand tools", "Pliers"),
        "TLS-PL",
        "{} {} mm",
        (
            (
                "type",
                labelled(
                    ("CMB", "Combination pliers"),
                    ("LN", "Long nose pliers"),
                    ("SC", "Side cutters"),
                    ("WP", "Water pump pliers"),
                    ("LK", "Locking pliers"),
                ),
            ),
            ("length_mm", options([160, 180, 200, 250], sku="{}")),
        ),
        weight=1,
        cost=(6.0, 24.0),
        line=(1, 4),
    ),
    Family(
        ("Tools", "Power tools"),
        "TLS-PT",
        "{} {} {}, {}",
        (
            ("brand", BRANDS),
            (
                "tool",
                labelled(
                    ("DD", "drill driver"),
                    ("CD", "combi drill"),
                    ("SDS", "SDS-plus hammer"),
                    ("AG", "angle grinder 125 mm"),
                    ("JS", "jigsaw"),
                    ("CS", "circular saw 165 mm"),
                    ("RS", "reciprocating saw"),
                    ("ID", "impact driver"),
                ),
            ),
            ("voltage", labelled(("12V", "12 V"), ("18V", "18 V"))),
            ("kit", labelled(("B", "bare tool"), ("K2", "kit with 2 x 4.0 Ah"))),
        ),
        weight=2,
        cost=(45.0, 260.0),
        line=(1, 3),
        blurb="Cordless power tool; batteries fit every tool of the brand's system.",
    ),
    Family(
        ("Tools", "Accessories", "Drill bits"),
        "TLS-DB",
        "{} drill bit {} mm",
        (
            (
                "type",
                labelled(("HSS", "HSS metal"), ("MAS", "Masonry"), ("WD", "Wood"), ("SDS", "SDS")),
            ),
            (
                "diameter_mm",
                options([3, 4, 5, 5.5, 6, 6.5, 7, 8, 9, 10, 11, 12, 13, 14, 16], sku="{}"),
            ),
        ),
        weight=2,
        cost=(0.6, 7.5),
        line=(2, 20),
    ),
    Family(
        ("Tools", "Accessories", "Screwdriver bits"),
        "TLS-BT",
        "Screwdriver bit {}, {} mm",
        (
            (
                "tip",
                options(
                    [
                        *("PH1", "PH2", "PH3", "PZ1", "PZ2", "PZ3"),
                        *("TX10", "TX15", "TX20", "TX25", "TX30", "TX40"),
                        *("H3", "H4", "H5", "H6", "H8"),
                    ]
                ),
            ),
            ("length_mm", options([25, 50, 90], sku="{:03d}")),
        ),
        weight=2,
        cost=(0.5, 3.5),
        line=(5, 50),
    ),
    Family(
        ("Tools", "Hand tools", "Sockets"),
        "TLS-SK",
        '1/2" {} socket {} mm',
        (
            ("type", labelled(("STD", "standard"), ("DP", "deep"), ("IMP", "impact"))),
            ("size_mm", options([*range(8, 28), 30, 32], sku="{:02d}")),
        ),
        weight=1.5,
        cost=(2.0, 11.0),
        line=(1, 6),
    ),
    Family(
        ("Tools", "Accessories", "Abrasives"),
        "TLS-AB",
        "{} {} mm",
        (
            (
                "type",
                labelled(
                    ("CM", "Cutting disc metal 1.0"),
                    ("CS", "Cutting disc stone"),
                    ("F40", "Flap disc P40"),
                    ("F80", "Flap disc P80"),
                    ("DIA", "Diamond blade"),
                ),
            ),
            ("diameter_mm", options([115, 125, 230], sku="{}")),
        ),
        weight=1,
        cost=(0.8, 35.0),
        line=(5, 50),
    ),
    Family(
        ("Tools", "Measuring"),
        "TLS-ME",
        "{} {}",
        (
            ("brand", BRANDS),
            (
                "product",
                labelled(
                    ("TM3", "tape measure 3 m"),
                    ("TM5", "tape measure 5 m"),
                    ("TM8", "tape measure 8 m"),
                    ("SL60", "spirit level 60 cm"),
                    ("SL100", "spirit level 100 cm"),
                    ("SL180", "spirit level 180 cm"),
                    ("FR2", "folding rule 2 m"),
                    ("LD50", "laser distance meter 50 m"),
                    ("CLL", "cross-line laser"),
                ),
            ),
        ),
        weight=0.6,
        cost=(4.0, 95.0),
        line=(1, 5),
    ),
    # Electrical
    Family(
        ("Electrical", "Cables & wire", "Installation cable"),
        "ELE-CB",
        "{} {} mm² (per m)",
        (
            ("type", labelled(("NYMJ", "NYM-J"), ("NYYJ", "NYY-J"), ("H07RN", "H07RN-F"))),
            (
                "cores",
                labelled(
                    ("3X15", "3 x 1.5"),
                    ("3X25", "3 x 2.5"),
                    ("5X15", "5 x 1.5"),
                    ("5X25", "5 x 2.5"),
                    ("5X4", "5 x 4"),
                    ("5X6", "5 x 6"),
                    ("5X10", "5 x 10"),
                ),
            ),
        ),
        unit="m",
        weight=2,
        cost=(0.55, 4.8),
        line=(5, 100),
        blurb="Cut to length from the drum.",
    ),
    Family(
        ("Electrical", "Cables & wire", "Single-core wire"),
        "ELE-WR",
        "H07V-K {} mm², {} (per m)",
        (
            ("cross_section_mm2", options([1.5, 2.5, 4, 6, 10, 16], sku="{}")),
            (
                "colour",
                labelled(
                    ("BU", "blue"),
                    ("BN", "brown"),
                    ("BK", "black"),
                    ("GY", "grey"),
                    ("GNYE", "green-yellow"),
                ),
            ),
        ),
        unit="m",
        weight=1.5,
        cost=(0.15, 1.6),
        line=(5, 100),
    ),
    Family(
        ("Electrical", "Switches & sockets"),
        "ELE-SW",
        "{} {}, {}",
        (
            ("series", labelled(("CL", "Classic"), ("FL", "Flatline"), ("MD", "Modena"))),
            (
                "function",
                labelled(
                    ("1W", "1-way switch"),
                    ("2W", "2-way switch"),
                    ("DBL", "double switch"),
                    ("DIM", "LED dimmer"),
                    ("SKT", "socket"),
                    ("2SKT", "double socket"),
                    ("USB", "socket with USB-C"),
                ),
            ),
            ("colour", labelled(("WH", "white"), ("AN", "anthracite"), ("AL", "aluminium"))),
        ),
        weight=2,
        cost=(2.2, 28.0),
        line=(2, 20),
    ),
    Family(
        ("Electrical", "Lighting"),
        "ELE-LED",
        "LED lamp {} {} W, {}",
        (
            ("base", options(["E27", "E14", "GU10", "GU5.3"], sku="{}")),
            ("power_w", options([4.9, 6, 8.5, 11, 13], sku="{}W")),
            (
                "colour_temperature",
                labelled(("27K", "2700 K"), ("30K", "3000 K"), ("40K", "4000 K")),
            ),
        ),
        weight=1.5,
        cost=(1.4, 6.0),
        line=(4, 40),
    ),
    Family(
        ("Electrical", "Protection"),
        "ELE-CBR",
        "Circuit breaker {}{} A, {}",
        (
            ("curve", options(["B", "C"])),
            ("current_a", options([6, 10, 13, 16, 20, 25, 32], sku="{:02d}")),
            ("poles", labelled(("1P", "1-pole"), ("2P", "2-pole"), ("3P", "3-pole"))),
        ),
        weight=1.5,
        cost=(3.5, 24.0),
        line=(2, 24),
        attributes={"breaking_capacity": "6 kA"},
    ),
    Family(
        ("Electrical", "Protection"),
        "ELE-RCD",
        "Residual current device {} A, {} mA, type {}",
        (
            ("current_a", options([25, 40, 63], sku="{}")),
            ("sensitivity_ma", options([30, 100, 300], sku="{:03d}")),
            ("type", options(["A", "F", "B"])),
        ),
        weight=0.8,
        cost=(22.0, 160.0),
        line=(1, 6),
        attributes={"poles": 4},
    ),
    Family(
        ("Electrical", "Cables & wire", "Conduit"),
        "ELE-CD",
        "{} conduit {} mm (per m)",
        (
            ("type", labelled(("FLX", "Flexible"), ("PVC", "Rigid PVC"), ("STL", "Steel"))),
            ("diameter_mm", options([16, 20, 25, 32, 40], sku="{}")),
        ),
        unit="m",
        weight=0.8,
        cost=(0.3, 4.0),
        line=(5, 50),
    ),
    Family(
        ("Electrical", "Connectors"),
        "ELE-CN",
        "{} {}",
        (
            (
                "type",
                labelled(
                    ("LVR", "Lever connector"),
                    ("PSH", "Push-in connector"),
                    ("TB", "Terminal block"),
                ),
            ),
            ("ways", options([2, 3, 5, 8], sku="{}W", name="{}-way")),
        ),
        weight=1,
        cost=(0.12, 1.1),
        line=(25, 300),
    ),
    Family(
        ("Electrical", "Connectors", "Cable ties"),
        "ELE-CT",
        "Cable tie {} x {} mm, {}",
        (
            ("length_mm", options([100, 150, 200, 300, 370], sku="{:03d}")),
            ("width_mm", options([2.5, 3.6, 4.8, 7.6], sku="{}")),
            ("colour", labelled(("BK", "black UV-resistant"), ("NT", "natural"))),
        ),
        weight=1,
        cost=(0.01, 0.12),
        line=(100, 1000),
    ),
    # Plumbing
    Family(
        ("Plumbing", "Pipes"),
        "PLB-PP",
        "{} pipe {} mm (per m)",
        (
            ("material", labelled(("CU", "Copper"), ("PEX", "PEX-AL-PEX"), ("PVC", "PVC-U drain"))),
            ("diameter_mm", options([15, 18, 22, 28, 35, 40, 50], sku="{:03d}")),
        ),
        unit="m",
        weight=1.5,
        cost=(1.2, 14.0),
        line=(2, 30),
    ),
    Family(
        ("Plumbing", "Fittings", "Press fittings"),
        "PLB-PF",
        "Press fitting {} {} mm, {}",
        (
            (
                "type",
                labelled(
                    ("E90", "elbow 90°"),
                    ("E45", "elbow 45°"),
                    ("TEE", "tee"),
                    ("CPL", "coupling"),
                    ("RED", "reducer"),
                    ("CAP", "end cap"),
                ),
            ),
            ("diameter_mm", options([12, 15, 18, 22, 28, 35], sku="{:02d}")),
            (
                "material",
                labelled(("CU", "copper"), ("SS", "stainless steel"), ("CS", "carbon steel")),
            ),
        ),
        weight=3,
        cost=(0.9, 16.0),
        line=(5, 60),
    ),
    Family(
        ("Plumbing", "Fittings", "Brass fittings"),
        "PLB-BF",
        "Brass {} {}",
        (
            (
                "type",
                labelled(
                    ("NIP", "nipple"),
                    ("SKT", "socket"),
                    ("ELB", "elbow"),
                    ("TEE", "tee"),
                    ("RB", "reducing bush"),
                    ("PLG", "plug"),
                ),
            ),
            (
                "thread",
                labelled(
                    ("38", '3/8"'), ("12", '1/2"'), ("34", '3/4"'), ("1", '1"'), ("114", '1 1/4"')
                ),
            ),
        ),
        weight=1.5,
        cost=(0.9, 9.0),
        line=(5, 50),
    ),
    Family(
        ("Plumbing", "Fittings", "Pipe clips"),
        "PLB-PC",
        "{} {} mm",
        (
            (
                "type",
                labelled(
                    ("SGL", "Pipe clip"),
                    ("DBL", "Double pipe clip"),
                    ("RBR", "Rubber-lined pipe clamp"),
                ),
            ),
            ("diameter_mm", options([12, 15, 18, 22, 28, 35, 42, 54], sku="{:02d}")),
        ),
        weight=1,
        cost=(0.15, 2.8),
        line=(10, 100),
    ),
    Family(
        ("Plumbing", "Valves"),
        "PLB-VL",
        "{} {}",
        (
            (
                "type",
                labelled(
                    ("BV", "Ball valve"),
                    ("GV", "Gate valve"),
                    ("CV", "Check valve"),
                    ("AV", "Angle valve"),
                ),
            ),
            ("size", labelled(("38", '3/8"'), ("12", '1/2"'), ("34", '3/4"'), ("1", '1"'))),
        ),
        weight=1,
        cost=(3.0, 26.0),
        line=(2, 20),
    ),
    Family(
        ("Plumbing", "Sealing & chemicals"),
        "PLB-CH",
        "{} (per l)",
        (
            (
                "product",
                labelled(
                    ("DRN", "Drain cleaner"),
                    ("DSC", "Descaler"),
                    ("GLY", "Heating antifreeze glycol"),
                    ("LKS", "Heating leak sealer"),
                    ("CUT", "Cutting oil"),
                    ("HLP46", "Hydraulic oil HLP 46"),
                ),
            ),
        ),
        unit="l",
        weight=0.4,
        cost=(1.8, 7.5),
        line=(1, 20),
        blurb="Sold by the litre, dispensed from 20 l canisters.",
    ),
    Family(
        ("Plumbing", "Sealing & chemicals"),
        "PLB-SL",
        "{} {}",
        (
            (
                "product",
                labelled(
                    ("SIL", "Sanitary silicone 310 ml"),
                    ("ACR", "Acrylic sealant 310 ml"),
                    ("PTFE", "PTFE thread tape 12 m"),
                ),
            ),
            (
                "colour",
                labelled(("WH", "white"), ("TR", "transparent"), ("GY", "grey"), ("BG", "beige")),
            ),
        ),
        weight=0.5,
        cost=(0.6, 5.5),
        line=(4, 40),
    ),
    # Safety
    Family(
        ("Safety", "Gloves"),
        "SAF-GL",
        "{}, size {}",
        (
            (
                "type",
                labelled(
                    ("NIT", "Nitrile-coated work gloves"),
                    ("LTH", "Leather rigger gloves"),
                    ("CUT", "Cut-resistant gloves level C"),
                    ("WIN", "Thermal winter gloves"),
                    ("CHM", "Chemical-resistant gloves"),
                ),
            ),
            ("size", options([6, 7, 8, 9, 10, 11])),
        ),
        weight=2,
        cost=(0.9, 8.5),
        line=(6, 60),
        attributes={"standard": "EN 388"},
    ),
    Family(
        ("Safety", "Head & eye protection"),
        "SAF-HE",
        "{}, {}",
        (
            (
                "type",
                labelled(
                    ("HLM", "Safety helmet"),
                    ("HLV", "Vented safety helmet"),
                    ("GLS", "Safety glasses"),
                    ("GOG", "Safety goggles"),
                ),
            ),
            (
                "colour",
                labelled(("WH", "white"), ("YE", "yellow"), ("RD", "red"), ("BU", "blue")),
            ),
        ),
        weight=1,
        cost=(2.5, 18.0),
        line=(2, 20),
    ),
    Family(
        ("Safety", "Hi-vis clothing"),
        "SAF-HV",
        "Hi-vis {}, {}, size {}",
        (
            (
                "item",
                labelled(
                    ("VST", "vest"), ("JKT", "jacket"), ("TRS", "trousers"), ("TSH", "T-shirt")
                ),
            ),
            ("colour", labelled(("YE", "yellow"), ("OR", "orange"))),
            ("size", SIZES),
        ),
        weight=2,
        cost=(2.0, 38.0),
        line=(2, 25),
        attributes={"standard": "EN ISO 20471"},
    ),
    Family(
        ("Safety", "Footwear"),
        "SAF-BT",
        "Safety boot {}, size {}",
        (
            ("model", labelled(("S1P", "S1P low"), ("S3", "S3 mid"), ("S3W", "S3 winter"))),
            ("size_eu", options(list(range(36, 49)))),
        ),
        weight=1.5,
        cost=(28.0, 75.0),
        line=(1, 4),
    ),
    Family(
        ("Safety", "First aid & hearing"),
        "SAF-FA",
        "{}",
        (
            (
                "product",
                labelled(
                    ("EP200", "Ear plugs, box of 200 pairs"),
                    ("EM30", "Ear muffs SNR 30 dB"),
                    ("EM35", "Ear muffs SNR 35 dB"),
                    ("FAK13157", "First aid kit DIN 13157"),
                    ("FAK13169", "First aid kit DIN 13169"),
                    ("EW500", "Eye wash bottle 500 ml"),
                    ("PLD", "Plaster dispenser"),
                ),
            ),
        ),
        weight=0.3,
        cost=(2.0, 45.0),
        line=(1, 10),
    ),
    # Packaging
    Family(
        ("Packaging", "Boxes"),
        "PKG-BX",
        "Cardboard box {} mm, {}",
        (
            (
                "size_mm",
                labelled(
                    ("201510", "200 x 150 x 100"),
                    ("302015", "300 x 200 x 150"),
                    ("403020", "400 x 300 x 200"),
                    ("504030", "500 x 400 x 300"),
                    ("604040", "600 x 400 x 400"),
                    ("806040", "800 x 600 x 400"),
                    ("1208080", "1200 x 800 x 800"),
                ),
            ),
            ("wall", labelled(("SW", "single wall"), ("DW", "double wall"), ("TW", "triple wall"))),
        ),
        weight=1.5,
        cost=(0.25, 2.4),
        line=(20, 250),
    ),
    Family(
        ("Packaging", "Tapes"),
        "PKG-TP",
        "Packing tape {}, {} mm x 66 m, {}",
        (
            (
                "type",
                labelled(
                    ("PPA", "PP acrylic"),
                    ("PPH", "PP hot melt"),
                    ("PAP", "paper"),
                    ("PVC", "PVC low-noise"),
                ),
            ),
            ("width_mm", options([48, 50, 75], sku="{}")),
            ("colour", labelled(("BN", "brown"), ("TR", "clear"))),
        ),
        weight=1,
        cost=(0.7, 3.2),
        line=(6, 72),
    ),
    Family(
        ("Packaging", "Films & fill"),
        "PKG-FL",
        "{} {} mm (per m)",
        (
            (
                "product",
                labelled(
                    ("BUB10", "Bubble wrap 10 mm"),
                    ("BUB30", "Bubble wrap 30 mm"),
                    ("FOAM", "Foam sheet 2 mm"),
                ),
            ),
            ("width_mm", options([500, 750, 1000, 1500], sku="{}")),
        ),
        unit="m",
        weight=0.5,
        cost=(0.1, 0.9),
        line=(10, 150),
    ),
    Family(
        ("Packaging", "Films & fill"),
        "PKG-VF",
        "{} void fill (per kg)",
        (("material", labelled(("PAP", "Paper"), ("LF", "Loose-fill"), ("AIR", "Air-cushion"))),),
        unit="kg",
        weight=0.2,
        cost=(2.0, 6.0),
        line=(1, 15),
    ),
    Family(
        ("Packaging", "Mailers"),
        "PKG-ML",
        "{} {}",
        (
            (
                "type",
                labelled(
                    ("PAD", "Padded envelope"), ("BAG", "Mailing bag"), ("CBM", "Cardboard mailer")
                ),
            ),
            ("size", options(["A5", "A4", "A3", "C4"])),
        ),
        weight=0.5,
        cost=(0.08, 0.9),
        line=(25, 250),
    ),
    Family(
        ("Packaging", "Labels"),
        "PKG-LB",
        "{} labels {} mm, roll of 1000",
        (
            (
                "type",
                labelled(
                    ("TD", "Direct thermal"), ("TT", "Thermal transfer"), ("FRG", "'Fragile'")
                ),
            ),
            (
                "size_mm",
                labelled(("5025", "50 x 25"), ("10050", "100 x 50"), ("100150", "100 x 150")),
            ),
        ),
        weight=0.5,
        cost=(3.0, 14.0),
        line=(1, 12),
    ),
)

SUPPLIERS: dict[str, str] = {
    "Fasteners": "Boltline Industrial",
    "Tools": "Ironhand Tools",
    "Electrical": "Brightwire Electric",
    "Plumbing": "Aquaflow Supply",
    "Safety": "Guardwell Safety",
    "Packaging": "Boxwell Packaging",
}

UNIT_DECIMALS = {"pcs": 0, "box": 0, "g": 0, "kg": 3, "m": 3, "l": 3}


@dataclass(frozen=True)
class ProductSpec:
    """One demo product and how it sells."""

    sku: str
    name: str
    description: str | None
    category: tuple[str, ...]
    unit: str
    barcode: str | None
    attributes: dict[str, Any]
    cost: Decimal  # base unit cost
    retail: Decimal
    wholesale: Decimal
    popularity: float  # relative share of order lines
    line_quantity: float  # typical quantity of one order line
    reorder_point: Decimal
    reorder_quantity: Decimal
    supplier: str

    @property
    def step(self) -> Decimal:
        """The smallest quantity the demo moves: whole units, or 0.1 m / kg / l."""
        return Decimal(1) if UNIT_DECIMALS.get(self.unit, 0) == 0 else Decimal("0.1")


@dataclass(frozen=True)
class DemoCatalog:
    categories: list[tuple[str, ...]]  # every category path, parents before children
    products: list[ProductSpec]


def max_products() -> int:
    return sum(len(family.combinations()) for family in FAMILIES)


def ean13(first12: str) -> str:
    """The EAN-13 of 12 digits: append the check digit (weights 1, 3 from the left)."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return first12 + str((10 - total % 10) % 10)


def money(value: float) -> Decimal:
    """A price as shops write them: tenths of a cent below 1, cents below 10, .49/.90/.99
    endings above."""
    if value < 1:
        return max(Decimal("0.001"), Decimal(str(value)).quantize(Decimal("0.001"), ROUND_HALF_UP))
    if value < 10:
        return Decimal(str(value)).quantize(CENT, ROUND_HALF_UP)
    whole = math.floor(value)
    fraction = value - whole
    ending = "0.49" if fraction < 0.45 else "0.90" if fraction < 0.85 else "0.99"
    return Decimal(whole) + Decimal(ending)


def unit_cost(value: float) -> Decimal:
    """Costs keep four decimals below one euro (screws cost fractions of a cent)."""
    return Decimal(str(value)).quantize(TENTH_CENT if value < 1 else CENT, ROUND_HALF_UP)


def round_up(value: float, step: Decimal) -> Decimal:
    return Decimal(math.ceil(value / float(step))) * step


def _allocate(total: int, sizes: list[int], weights: list[float]) -> list[int]:
    """Split ``total`` products over families by weight, never more than a family has."""
    counts = [0] * len(sizes)
    remaining = min(total, sum(sizes))
    while remaining > 0:
        open_ = [i for i, size in enumerate(sizes) if counts[i] < size]
        weight = sum(weights[i] for i in open_)
        shares = {i: remaining * weights[i] / weight for i in open_}
        placed = 0
        for i in open_:
            take = min(sizes[i] - counts[i], math.floor(shares[i]))
            counts[i] += take
            placed += take
        if placed == 0:  # fewer left than families: the heaviest open ones get one each
            for i in sorted(open_, key=lambda i: -shares[i])[:remaining]:
                counts[i] += 1
                placed += 1
        remaining -= placed
    return counts


def build_catalog(count: int, rng: random.Random, *, lines_per_day: float) -> DemoCatalog:
    """``count`` products (at most max_products()) spread over the families by weight,
    each with a demand profile; ``lines_per_day`` (the expected issue lines of the whole
    organization per day) sizes reorder points and quantities."""
    categories: dict[tuple[str, ...], None] = {}
    for family in FAMILIES:
        for depth in range(1, len(family.path) + 1):
            categories.setdefault(family.path[:depth])
    combos = [family.combinations() for family in FAMILIES]
    counts = _allocate(count, [len(c) for c in combos], [f.weight for f in FAMILIES])
    chosen: list[tuple[Family, tuple[int, ...], tuple[Option, ...]]] = []
    for family, family_combos, n in zip(FAMILIES, combos, counts, strict=True):
        for index in sorted(rng.sample(range(len(family_combos)), n)):
            chosen.append((family, *family_combos[index]))

    # Pareto-ish demand: popularity ~ 1 / rank over a random ranking (Zipf, s = 1).
    ranks = list(range(1, len(chosen) + 1))
    rng.shuffle(ranks)
    harmonic = sum(1 / r for r in ranks)
    barcodes: set[str] = set()
    products = []
    for (family, positions, picked), rank in zip(chosen, ranks, strict=True):
        size_rank = sum(
            p / max(1, len(opts) - 1) for p, (_, opts) in zip(positions, family.dims, strict=True)
        ) / len(positions)
        low, high = family.cost
        cost = low + (high - low) * (0.75 * size_rank + 0.25 * rng.random())
        retail = money(cost * rng.uniform(1.7, 2.5))
        wholesale = min(retail, money(float(retail) * rng.uniform(0.78, 0.88)))
        barcode = None
        if rng.random() < 0.88:
            while barcode is None or barcode in barcodes:
                barcode = ean13("40" + "".join(str(rng.randrange(10)) for _ in range(10)))
            barcodes.add(barcode)
        step = Decimal(1) if UNIT_DECIMALS[family.unit] == 0 else Decimal("0.1")
        line_low, line_high = family.line
        line_quantity = math.exp(rng.uniform(math.log(line_low), math.log(line_high)))
        popularity = 1 / rank / harmonic
        daily = lines_per_day * popularity * line_quantity
        if rng.random() < 0.04:  # made to order: no reorder point, never alerts
            reorder_point = Decimal(0)
        else:
            reorder_point = round_up(max(daily * 6, line_quantity * 0.6), step)
        reorder_quantity = round_up(max(daily * 21, line_quantity * 2.5), step)
        attributes = {
            name: option[2] for (name, _), option in zip(family.dims, picked, strict=True)
        }
        name = family.name.format(*(option[1] for option in picked))
        products.append(
            ProductSpec(
                sku="-".join([family.code, *(option[0] for option in picked)]),
                name=name[0].upper() + name[1:],
                description=f"{name}. {family.blurb}" if family.blurb else None,
                category=family.path,
                unit=family.unit,
                barcode=barcode,
                attributes={**family.attributes, **attributes},
                cost=unit_cost(cost),
                retail=retail,
                wholesale=wholesale,
                popularity=popularity,
                line_quantity=line_quantity,
                reorder_point=reorder_point,
                reorder_quantity=reorder_quantity,
                supplier=SUPPLIERS[family.path[0]],
            )
        )
    return DemoCatalog(categories=list(categories), products=products)
