"""The demo catalog's product lines: for each family its category path, SKU stem, name
template, dimensions, unit, cost and order-size ranges; and the suppliers. Data only, read
by ``catalog.build_catalog``. The families themselves are in
``families_hardware`` and ``families_supplies``."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

# One option of a product dimension: (SKU part, name part, attribute value).
Option = tuple[str, str, Any]


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

SUPPLIERS: dict[str, str] = {
    "Fasteners": "Boltline Industrial",
    "Tools": "Ironhand Tools",
    "Electrical": "Brightwire Electric",
    "Plumbing": "Aquaflow Supply",
    "Safety": "Guardwell Safety",
    "Packaging": "Boxwell Packaging",
}
