"""A Hypothesis state machine over receipts, issues, transfers, adjustments, batches and
replays, checked against a model after every step: the levels equal the model and the
ledger sums, nothing non-negative goes below zero, and replaying a request with its
Idempotency-Key returns the first response and changes nothing.

Hypothesis drives stateful tests synchronously, so the machine runs in a worker thread
and hands each HTTP call to the session event loop (where the app, its pool and the
client live) with ``run_coroutine_threadsafe``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Coroutine
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from httpx import AsyncClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from quartermaster.core.db import Database
from tests.identity.conftest import Identity
from tests.inventory.conftest import Inventory, mismatches

T = TypeVar("T")

Key = tuple[str, str]  # (product id, location id)

PRODUCTS = ("pcs", "kg")
STRICT = ("main", "bin")  # may not go below zero
LOOSE = "loose"  # allow_negative
LOCATIONS = (*STRICT, LOOSE)


@dataclass
class Harness:
    loop: asyncio.AbstractEventLoop
    client: AsyncClient
    identity: Identity
    database: Database

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=120)


@dataclass(frozen=True)
class Sent:
    key: str
    body: dict[str, Any]
    status: int
    content: bytes


quantities = st.integers(min_value=1, max_value=12)
products = st.sampled_from(PRODUCTS)
locations = st.sampled_from(LOCATIONS)
signs = st.sampled_from((1, -1))


def _amount(product: str, units: int) -> Decimal:
    # Pieces move in whole units; kilograms in quarters (within the unit's 3 decimals).
    return Decimal(units) if product == "pcs" else Decimal(units) / 4


class LedgerMachine(RuleBasedStateMachine):
    harness: Harness

    def __init__(self) -> None:
        super().__init__()
        self.model: dict[Key, Decimal] = defaultdict(Decimal)
        self.sent: list[Sent] = []
        self.ids: dict[str, str] = {}

    @initialize()
    def organization(self) -> None:
        async def setup() -> tuple[Inventory, dict[str, str]]:
            inventory = Inventory(self.harness.client, await self.harness.identity.signup())
            warehouse = await inventory.warehouse("W")
            ids = {
                "main": warehouse["default_location_id"],
                "bin": (await inventory.location(warehouse["id"], "BIN"))["id"],
                "loose": (await inventory.location(warehouse["id"], "L", allow_negative=True))[
                    "id"
                ],
                "pcs": (await inventory.product(sku="PCS"))["id"],
                "kg": (await inventory.product(sku="KG", unit="kg"))["id"],
            }
            return inventory, ids

        self.inventory, self.ids = self.harness.run(setup())

    # Moving stock

    def _line(
        self, kind: str, product: str, quantity: Decimal, source: str | None, target: str | None
    ) -> dict[str, Any]:
        line: dict[str, Any] = {
            "kind": kind,
            "product_id": self.ids[product],
            "quantity": str(quantity),
        }
        if source is not None:
            line["from_location_id"] = self.ids[source]
        if target is not None:
            line["to_location_id"] = self.ids[target]
        if kind == "adjustment":
            line["reason"] = "state machine"
        return line

    def _changes(self, lines: list[dict[str, Any]]) -> dict[Key, Decimal]:
        changes: dict[Key, Decimal] = defaultdict(Decimal)
        for line in lines:
            quantity = Decimal(line["quantity"])
            product = line["product_id"]
            if line["kind"] == "adjustment":
                changes[(product, line["to_location_id"])] += quantity
                continue
            if "from_location_id" in line:
                changes[(product, line["from_location_id"])] -= quantity
            if "to_location_id" in line:
                changes[(product, line["to_location_id"])] += quantity
        return changes

    def _send(self, body: dict[str, Any]) -> None:
        lines = body.get("lines") or [body]
        changes = self._changes(lines)
        strict = {self.ids[name] for name in STRICT}
        refused = any(
            change < 0 and location in strict and self.model[(product, location)] + change < 0
            for (product, location), change in changes.items()
        )
        key = str(uuid.uuid4())
        response = self.harness.run(self.inventory.move(body, key=key))
        if refused:
            assert response.status_code == 409, response.text
            assert response.json()["code"] == "insufficient-stock"
            return
        assert response.status_code == 201, response.text
        for level_key, change in changes.items():
            self.model[level_key] += change
        self.sent.append(Sent(key, body, response.status_code, response.content))

    @rule(product=products, destination=locations, units=quantities)
    def receipt(self, product: str, destination: str, units: int) -> None:
        self._send(self._line("receipt", product, _amount(product, units), None, destination))

    @rule(product=products, source=locations, units=quantities)
    def issue(self, product: str, source: str, units: int) -> None:
        self._send(self._line("issue", product, _amount(product, units), source, None))

    @rule(product=products, source=locations, destination=locations, units=quantities)
    def transfer(self, product: str, source: str, destination: str, units: int) -> None:
        if source == destination:
            return
        amount = _amount(product, units)
        self._send(self._line("transfer", product, amount, source, destination))

    @rule(product=products, location=locations, units=quantities, sign=signs)
    def adjustment(self, product: str, location: str, units: int, sign: int) -> None:
        amount = sign * _amount(product, units)
        self._send(self._line("adjustment", product, amount, None, location))

    @rule(
        lines=st.lists(
            st.tuples(
                st.sampled_from(("receipt", "issue", "transfer")),
                products,
                locations,
                locations,
                quantities,
            ),
            min_size=2,
            max_size=4,
        )
    )
    def batch(self, lines: list[tuple[str, str, str, str, int]]) -> None:
        body_lines = []
        for kind, product, source, target, units in lines:
            amount = _amount(product, units)
            if kind == "receipt":
                body_lines.append(self._line(kind, product, amount, None, target))
            elif kind == "issue":
                body_lines.append(self._line(kind, product, amount, source, None))
            elif source != target:
                body_lines.append(self._line(kind, product, amount, source, target))
        if body_lines:
            self._send({"lines": body_lines, "reference": "batch"})

    @precondition(lambda self: bool(self.sent))
    @rule(data=st.data())
    def replay(self, data: st.DataObject) -> None:
        earlier = data.draw(st.sampled_from(self.sent))
        before = self._state()
        response = self.harness.run(self.inventory.move(earlier.body, key=earlier.key))
        assert response.status_code == earlier.status
        assert response.content == earlier.content
        assert response.headers["Idempotent-Replayed"] == "true"
        assert self._state() == before

    # What must always hold

    def _state(self) -> tuple[dict[Key, Decimal], int]:
        async def read() -> tuple[dict[Key, Decimal], int]:
            levels = await self.inventory.levels()
            history = await self.inventory.get("/stock/movements", limit=500)
            return (
                {
                    (row["product_id"], row["location_id"]): Decimal(row["on_hand"])
                    for row in levels
                },
                len(history.json()["items"]),
            )

        return self.harness.run(read())

    @invariant()
    def levels_match_the_model_and_the_ledger(self) -> None:
        if not self.ids:
            return
        levels, _ = self._state()
        expected = {key: value for key, value in self.model.items() if value != 0}
        assert {key: value for key, value in levels.items() if value != 0} == expected
        tenant = self.inventory.account.tenant_id
        assert self.harness.run(mismatches(self.harness.database, tenant)) == []

    @invariant()
    def nothing_strict_is_negative(self) -> None:
        if not self.ids:
            return
        strict = {self.ids[name] for name in STRICT}
        assert all(v >= 0 for (_, location), v in self.model.items() if location in strict)


async def test_ledger_state_machine(
    client: AsyncClient, identity: Identity, database: Database
) -> None:
    LedgerMachine.harness = Harness(asyncio.get_running_loop(), client, identity, database)
    await asyncio.to_thread(
        run_state_machine_as_test,
        LedgerMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
