"""The demo organization's stock history, simulated day by day in Python (no I/O):
opening stock, purchase orders, depot transfers, sales orders, write-offs and cycle counts,
with levels tracked per warehouse so that no movement would ever be refused, and a chosen
few products left at or below their reorder point at the end. `seed.py` writes it through
the ledger writer."""

from __future__ import annotations

import math
import random
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from quartermaster.demo.catalog import DemoCatalog, DemoSize, ProductSpec

# (code, name, address, aisles, racks per aisle, levels per rack); MAIN is index 0.
WAREHOUSES = (
    ("MAIN", "Main warehouse", "12 Harbour Road, Northport", "ABCD", 4, 3),
    ("EAST", "East depot", "3 Mill Lane, Eastfield", "AB", 3, 3),
    ("WEST", "West depot", "88 Quarry Street, Westbury", "AB", 3, 3),
)
MAIN = 0
# Share of the sales orders each warehouse ships.
ORDER_SHARE = (0.5, 0.25, 0.25)
CUSTOMERS = (
    "Baker & Sons Joinery",
    "Northport Marine Services",
    "Greenfield Property Maintenance",
    "Hill Street Builders",
    "Riverside Electrical",
    "Oakwood Kitchens",
    "City Facilities Management",
    "Summit Roofing",
    "Brightstone Plumbing & Heating",
    "Harbour Logistics",
    "Parkside School (maintenance)",
    "Redline Fabrication",
    "Westbury Garden Centre",
    "Eastfield Council Depot",
    "Millbrook Construction",
    "Atlas Shopfitting",
    "Lakeside Campsite",
    "Kestrel Scaffolding",
)
SHRINK_REASONS = (
    "Damaged in handling",
    "Cycle count correction",
    "Damaged packaging, written off",
    "Shrinkage",
    "Water damage",
)
GAIN_REASONS = ("Cycle count correction", "Found during stocktake")
LOW_STOCK_SHARE = 0.05  # products left at or below their reorder point at the end
ADJUSTMENT_SHARE = 0.02  # of the daily lines
END_RESERVE = 0.01  # of the movements, kept for the last evening's top-ups


@dataclass(frozen=True)
class Line:
    kind: str  # receipt | issue | transfer | adjustment
    product: int
    source: int | None  # warehouse index the stock leaves
    target: int | None  # warehouse index the stock enters
    quantity: Decimal
    unit_cost: Decimal | None = None
    reason: str | None = None


@dataclass
class Batch:
    """One document (purchase order, sales order, transfer, adjustment): one ledger batch."""

    reference: str
    note: str | None
    lines: list[Line] = field(default_factory=list)
    at: datetime | None = None


@dataclass
class _Order:
    arrives: int  # day index
    quantity: Decimal
    number: int


def _quantize(value: float, step: Decimal) -> Decimal:
    return Decimal(max(0, math.floor(value / float(step)))) * step


class StockHistory:
    """The stock history of the demo organization, day by day: opening stock on the first
    morning, then purchase orders delivered after a lead time when the main warehouse
    falls to the reorder point, morning transfers that refill the depots, sales orders all
    day (Pareto-ish demand; never more than is there), and the odd adjustment. Each day's
    number of lines is steered so that the whole history has about ``size.movements``."""

    def __init__(
        self, catalog: DemoCatalog, size: DemoSize, rng: random.Random, first_day: datetime
    ) -> None:
        self.products = catalog.products
        self.size = size
        self.rng = rng
        self.first_day = first_day
        count = len(self.products)
        by_popularity = sorted(range(count), key=lambda i: -self.products[i].popularity)
        popular = set(by_popularity[: math.ceil(count * 0.3)])
        self.stocked: list[list[int]] = [list(range(count))]
        for _ in WAREHOUSES[1:]:
            extra = {i for i in range(count) if rng.random() < 0.05}
            self.stocked.append(sorted(popular | extra))
        self.cumulative: list[list[float]] = []
        for stocked in self.stocked:
            total, cumulative = 0.0, []
            for i in stocked:
                total += self.products[i].popularity
                cumulative.append(total)
            self.cumulative.append(cumulative)
        self.stock: dict[tuple[int, int], Decimal] = {}
        self.pending: dict[int, _Order] = {}
        # (supplier, day ordered) -> (day it arrives, PO number): one PO per supplier and day
        self.purchase_orders: dict[tuple[str, int], tuple[int, int]] = {}
        candidates = [i for i in range(count) if self.products[i].reorder_point > 0]
        wanted = max(1, round(count * LOW_STOCK_SHARE)) if candidates else 0
        self.low_stock = set(rng.sample(candidates, min(wanted, len(candidates))))
        self.lines = 0
        self.numbers = {"PO": 4500, "SO": 10000, "TR": 7000, "ADJ": 9000}
        lead = max(1, min(7, size.days // 5))
        self.lead_times = (max(1, lead // 3), lead)
        self.window_start = size.days - max(1, min(10, size.days // 4))

    def pairs(self) -> Iterator[tuple[int, int]]:
        for warehouse, stocked in enumerate(self.stocked):
            for product in stocked:
                yield product, warehouse

    def _number(self, prefix: str) -> str:
        self.numbers[prefix] += 1
        return f"{prefix}-{self.numbers[prefix]}"

    def _cost(self, product: ProductSpec, day: int) -> Decimal:
        """Supplier prices drift over the period (-5 % to +12 % per product) and vary per
        delivery, so the moving-average cost has something to average."""
        trend = zlib.crc32(product.sku.encode()) / 2**32 * 0.17 - 0.05
        drift = 1 + trend * day / self.size.days
        value = float(product.cost) * drift * self.rng.uniform(0.96, 1.04)
        return Decimal(str(value)).quantize(Decimal("0.0001") if value < 1 else Decimal("0.01"))

    def _at(self, day: int, hour: float) -> datetime:
        return self.first_day + timedelta(days=day, hours=hour)

    def _stamp(self, batches: list[Batch], day: int, start: float, end: float) -> None:
        """Times in [start, end) hours of ``day``, increasing in the order written."""
        hours = sorted(self.rng.uniform(start, end) for _ in batches)
        for batch, hour in zip(batches, hours, strict=True):
            batch.at = self._at(day, hour).replace(microsecond=0)

    def _move(self, line: Line) -> None:
        if line.source is not None:
            key = (line.product, line.source)
            self.stock[key] -= line.quantity
            assert self.stock[key] >= 0, (line, self.stock[key])
        if line.target is not None:
            key = (line.product, line.target)
            self.stock[key] = self.stock.get(key, Decimal(0)) + line.quantity

    def _post(self, batch: Batch) -> Batch:
        for line in batch.lines:
            self._move(line)
        self.lines += len(batch.lines)
        return batch

    def _reorder(self, product: int, day: int) -> None:
        """The main warehouse orders when it reaches the reorder point (one open order per
        product); products meant to end low are not reordered in the last days."""
        spec = self.products[product]
        available = self.stock[(product, MAIN)]
        if spec.reorder_point <= 0 or available > spec.reorder_point or product in self.pending:
            return
        if product in self.low_stock and day >= self.window_start - self.lead_times[1]:
            return
        quantity = spec.reorder_quantity + max(Decimal(0), spec.reorder_point - available)
        if (spec.supplier, day) not in self.purchase_orders:
            self.numbers["PO"] += 1
            arrives = day + self.rng.randint(*self.lead_times)
            self.purchase_orders[(spec.supplier, day)] = (arrives, self.numbers["PO"])
        arrives, number = self.purchase_orders[(spec.supplier, day)]
        self.pending[product] = _Order(arrives, quantity, number)

    def opening(self) -> list[Batch]:
        """Opening stock: order-up-to levels with some spread, in receipts per supplier."""
        batches: dict[tuple[str, int], Batch] = {}
        for product, warehouse in self.pairs():
            spec = self.products[product]
            share = self.rng.uniform(0.5, 1.0) if warehouse == MAIN else self.rng.uniform(0.3, 0.5)
            quantity = max(spec.step, spec.reorder_point + spec.reorder_quantity * Decimal(share))
            quantity = _quantize(float(quantity), spec.step)
            key = (spec.supplier, warehouse)
            if key not in batches:
                batches[key] = Batch(
                    self._number("PO"),
                    f"Opening stock from {spec.supplier} ({WAREHOUSES[warehouse][0]})",
                )
            batches[key].lines.append(
                Line("receipt", product, None, warehouse, quantity, self._cost(spec, 0))
            )
        result = [self._post(batch) for batch in batches.values()]
        self._stamp(result, 0, 5.0, 6.0)
        return result

    def day(self, day: int) -> list[Batch]:
        """One day: deliveries (07:00), depot transfers (07:30), then sales orders and
        adjustments (08:00-17:45), and on the last day the evening top-ups."""
        batches: list[Batch] = []
        budget = (self.size.movements * (1 - END_RESERVE) - self.lines) / (self.size.days - day)
        nominal = self.size.movements / self.size.days
        deliveries = self._deliveries(day, lambda order: order.arrives <= day)
        self._stamp(deliveries, day, 7.0, 7.5)
        transfers = self._transfers(day)
        self._stamp(transfers, day, 7.5, 8.0)
        batches += deliveries + transfers
        used = sum(len(batch.lines) for batch in batches)
        issue_lines = max(round(budget * (1 - ADJUSTMENT_SHARE)) - used, round(nominal * 0.3))
        daytime = self._sales(day, issue_lines)
        self._stamp(daytime, day, 8.0, 17.75)
        batches += daytime
        if day == self.size.days - 1:
            evening = self._closing(day)
            self._stamp(evening, day, 18.0, 19.0)
            batches += evening
        return batches

    def _deliveries(self, day: int, due: Callable[[_Order], bool]) -> list[Batch]:
        batches: dict[int, Batch] = {}
        for product, order in sorted(self.pending.items()):
            if not due(order):
                continue
            del self.pending[product]
            spec = self.products[product]
            if order.number not in batches:
                batches[order.number] = Batch(f"PO-{order.number}", f"Supplier: {spec.supplier}")
            batches[order.number].lines.append(
                Line("receipt", product, None, MAIN, order.quantity, self._cost(spec, day))
            )
        return [self._post(batch) for _, batch in sorted(batches.items())]

    def _transfers(self, day: int) -> list[Batch]:
        """Depots are refilled from the main warehouse when they near the reorder point."""
        batches = []
        for warehouse in range(1, len(WAREHOUSES)):
            batch = Batch(self._number("TR"), f"Replenishment MAIN to {WAREHOUSES[warehouse][0]}")
            for product in self.stocked[warehouse]:
                spec = self.products[product]
                available = self.stock[(product, warehouse)]
                if available > spec.reorder_point + spec.reorder_quantity * Decimal("0.15"):
                    continue
                wanted = spec.reorder_point + spec.reorder_quantity / 2 - available
                quantity = _quantize(float(min(wanted, self.stock[(product, MAIN)])), spec.step)
                if quantity > 0:
                    batch.lines.append(Line("transfer", product, MAIN, warehouse, quantity))
                    self._move(batch.lines[-1])
                    self._reorder(product, day)
            if batch.lines:
                self.lines += len(batch.lines)
                batches.append(batch)
        return batches

    def _pick(self, warehouse: int) -> int:
        stocked = self.stocked[warehouse]
        cumulative = self.cumulative[warehouse]
        return self.rng.choices(stocked, cum_weights=cumulative, k=1)[0]

    def _sales(self, day: int, issue_lines: int) -> list[Batch]:
        """Sales orders of 1-15 lines (mean ~4) until ``issue_lines``, with a damaged item
        written off now and then and one cycle count during the day."""
        batches: list[Batch] = []
        made = attempts = 0
        count_at: int | None = self.rng.randrange(max(1, issue_lines))
        while made < issue_lines and attempts < issue_lines * 5 + 20:
            if self.rng.random() < ADJUSTMENT_SHARE:
                write_off = self._write_off(day)
                if write_off is not None:
                    batches.append(write_off)
            if count_at is not None and made >= count_at:
                count_at = None
                counted = self._cycle_count(day, round(issue_lines * ADJUSTMENT_SHARE))
                if counted is not None:
                    batches.append(counted)
            warehouse = self.rng.choices(range(len(WAREHOUSES)), weights=ORDER_SHARE)[0]
            wanted = min(issue_lines - made, 15, 1 + int(self.rng.expovariate(1 / 3)))
            customer = self.rng.choice(CUSTOMERS)
            batch = Batch(self._number("SO"), f"Customer: {customer}")
            seen: set[int] = set()
            for _ in range(wanted):
                attempts += 1
                product = self._pick(warehouse)
                if product in seen:
                    continue
                seen.add(product)
                spec = self.products[product]
                available = self.stock[(product, warehouse)]
                desired = spec.line_quantity * self.rng.lognormvariate(0, 0.5)
                quantity = min(available, max(spec.step, _quantize(desired, spec.step)))
                if quantity <= 0:
                    continue  # out of stock here: the customer waits
                batch.lines.append(Line("issue", product, warehouse, None, quantity))
                self._move(batch.lines[-1])
                if warehouse == MAIN:
                    self._reorder(product, day)
            if batch.lines:
                self.lines += len(batch.lines)
                made += len(batch.lines)
                batches.append(batch)
        return batches

    def _counted_warehouse(self) -> int:
        return self.rng.choices(range(len(WAREHOUSES)), weights=ORDER_SHARE)[0]

    def _cycle_count(self, day: int, lines: int) -> Batch | None:
        """A cycle count of one aisle: the differences found, as adjustments."""
        warehouse = self._counted_warehouse()
        aisles = WAREHOUSES[warehouse][3]
        index = self.rng.randrange(len(aisles))
        # Bins are handed out in stocked order, aisle by aisle (demo._write_catalog).
        stocked = self.stocked[warehouse]
        in_aisle = stocked[
            index * len(stocked) // len(aisles) : (index + 1) * len(stocked) // len(aisles)
        ]
        note = f"Cycle count {WAREHOUSES[warehouse][0]} aisle {aisles[index]}"
        batch = Batch(self._number("ADJ"), note)
        for _ in range(max(1, lines) if in_aisle else 0):
            line = self._adjustment_line(warehouse, in_aisle)
            if line is not None and all(line.product != other.product for other in batch.lines):
                batch.lines.append(line)
                self._move(line)
        if not batch.lines:
            return None
        self.lines += len(batch.lines)
        if warehouse == MAIN:
            for line in batch.lines:
                self._reorder(line.product, day)
        return batch

    def _write_off(self, day: int) -> Batch | None:
        warehouse = self._counted_warehouse()
        line = self._adjustment_line(warehouse, self.stocked[warehouse], shrink_only=True)
        if line is None:
            return None
        batch = self._post(Batch(self._number("ADJ"), None, [line]))
        if warehouse == MAIN:
            self._reorder(line.product, day)
        return batch

    def _adjustment_line(
        self, warehouse: int, candidates: list[int], *, shrink_only: bool = False
    ) -> Line | None:
        product = self.rng.choice(candidates)
        spec = self.products[product]
        available = self.stock[(product, warehouse)]
        if shrink_only or self.rng.random() < 0.7:
            share = self.rng.uniform(0.01, 0.08)
            quantity = min(
                available, max(spec.step, _quantize(float(available) * share, spec.step))
            )
            if quantity <= 0:
                return None
            reason = self.rng.choice(SHRINK_REASONS[:1] if shrink_only else SHRINK_REASONS)
            return Line("adjustment", product, warehouse, None, quantity, reason=reason)
        quantity = max(spec.step, _quantize(spec.line_quantity * 0.3, spec.step))
        reason = self.rng.choice(GAIN_REASONS)
        return Line("adjustment", product, None, warehouse, quantity, reason=reason)

    def _closing(self, day: int) -> list[Batch]:
        """The last evening: the chosen low-stock products ship a large order down to (or
        below) their reorder point; every other product is topped up above it by its
        pending delivery, a depot transfer or a direct delivery, so exactly the chosen few
        end with open low-stock alerts."""
        batches: list[Batch] = []
        big = Batch(self._number("SO"), f"Customer: {self.rng.choice(CUSTOMERS)} (project)")
        for product in sorted(self.low_stock):
            spec = self.products[product]
            available = self.stock[(product, MAIN)]
            target = _quantize(float(spec.reorder_point) * self.rng.uniform(0.1, 0.9), spec.step)
            if available > target:
                big.lines.append(Line("issue", product, MAIN, None, available - target))
        if big.lines:
            batches.append(self._post(big))
        batches += self._deliveries(day, lambda order: True)
        direct: dict[str, Batch] = {}
        for warehouse in range(len(WAREHOUSES)):
            transfer = Batch(self._number("TR"), f"Top-up MAIN to {WAREHOUSES[warehouse][0]}")
            for product in self.stocked[warehouse]:
                spec = self.products[product]
                available = self.stock[(product, warehouse)]
                if product in self.low_stock or available > spec.reorder_point:
                    continue
                if spec.reorder_point <= 0:
                    continue
                quantity = spec.reorder_point + spec.reorder_quantity / 2 - available
                quantity = max(spec.step, _quantize(float(quantity), spec.step))
                main = self.stock[(product, MAIN)]
                if warehouse != MAIN and main - quantity > spec.reorder_point:
                    transfer.lines.append(Line("transfer", product, MAIN, warehouse, quantity))
                    self._move(transfer.lines[-1])
                    continue
                if spec.supplier not in direct:
                    direct[spec.supplier] = Batch(
                        self._number("PO"), f"Supplier: {spec.supplier} (express delivery)"
                    )
                line = Line("receipt", product, None, warehouse, quantity, self._cost(spec, day))
                direct[spec.supplier].lines.append(line)
                self._move(line)
            if transfer.lines:
                self.lines += len(transfer.lines)
                batches.append(transfer)
        for batch in direct.values():
            self.lines += len(batch.lines)
            batches.append(batch)
        return batches

    def reservations(self, count: int) -> list[tuple[int, int, Decimal, str]]:
        """Open orders holding stock now: (product, warehouse, quantity, reference), only
        where the stock stays above the reorder point."""
        pairs = [
            (product, warehouse)
            for product, warehouse in self.pairs()
            if product not in self.low_stock
        ]
        chosen: list[tuple[int, int, Decimal, str]] = []
        for product, warehouse in self.rng.sample(pairs, min(len(pairs), count * 4)):
            spec = self.products[product]
            quantity = max(spec.step, _quantize(spec.line_quantity, spec.step))
            if self.stock[(product, warehouse)] - quantity > spec.reorder_point:
                chosen.append((product, warehouse, quantity, self._number("SO")))
            if len(chosen) == count:
                break
        return chosen
