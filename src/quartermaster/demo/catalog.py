"""The demo organization's catalog, generated deterministically from a seed: a category
tree, products with plausible SKUs, names, units, EAN-13 barcodes, attributes, costs,
prices and demand profiles. Pure Python: nothing here touches the database (`seed.py`
writes it through the services)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from quartermaster.demo.families import SUPPLIERS, Family, Option
from quartermaster.demo.families_hardware import HARDWARE
from quartermaster.demo.families_supplies import SUPPLIES

FAMILIES: tuple[Family, ...] = (*HARDWARE, *SUPPLIES)

DEFAULT_SEED = 1123


@dataclass(frozen=True)
class DemoSize:
    """How much demo data `qm seed-demo` writes; the seed makes it reproducible."""

    products: int = 2000
    movements: int = 20_000  # ledger lines, approximately
    days: int = 90  # of history, ending yesterday
    seed: int = DEFAULT_SEED
    tickets: int = 300  # service desk tickets over the same days


CENT = Decimal("0.01")
TENTH_CENT = Decimal("0.0001")

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
