"""A Hypothesis state machine over receipts, issues, transfers, adjustments, batches,
reservations, fulfilments, releases, offline counts and replays, checked against a model
after every step: the levels (on_hand and reserved) equal the model and the ledger sums,
reserved equals the sum of the active reservations, available (on_hand - reserved) never
goes below zero where negative stock is not allowed, and replaying a request with its
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
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from httpx import AsyncClient, Response
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
from tests.inventory.conftest import API, Inventory, mismatches

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
    path: str
    key: str
    body: dict[str, Any]
    status: int
    content: bytes


@dataclass
class Held:
    """A reservation as the model knows it."""

    key: Key
    quantity: Decimal
    status: str = "active"
    fulfilled: Decimal = Decimal(0)

    @property
    def open(self) -> Decimal:
        return self.quantity - self.fulfilled


@dataclass(frozen=True)
class Batch:
    """One ledger batch the model expects: when it was recorded and what it moved."""

    recorded_at: datetime
    changes: dict[Key, Decimal]


@dataclass(frozen=True)
class State:
    """What a replay must leave as it was."""

    levels: dict[Key, tuple[Decimal, Decimal]]
    movements: int
    reservations: dict[str, str]


quantities = st.integers(min_value=1, max_value=12)
counted = st.integers(min_value=0, max_value=12)
products = st.sampled_from(PRODUCTS)
locations = st.sampled_from(LOCATIONS)
signs = st.sampled_from((1, -1))


def _amount(product: str, units: int) -> Decimal:
    # Pieces move in whole units; kilograms in quarters (within the unit's 3 decimals).
    return Decimal(units) if product == "pcs" else Decimal(units) / 4


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class LedgerMachine(RuleBasedStateMachine):
    harness: Harness

    def __init__(self) -> None:
        super().__init__()
        self.model: dict[Key, Decimal] = defaultdict(Decimal)  # expected on_hand
        self.held: dict[str, Held] = {}  # reservation id -> reservation
        self.history: list[Batch] = []  # every ledger batch, in order
        self.sent: list[Sent] = []
        self.ids: dict[str, str] = {}
        self.start = datetime.now(UTC)

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
        self.start = datetime.now(UTC)  # before any movement: the ledger is empty as of now

    # The model

    def reserved(self) -> dict[Key, Decimal]:
        reserved: dict[Key, Decimal] = defaultdict(Decimal)
        for held in self.held.values():
            if held.status == "active":
                reserved[held.key] += held.open
        return reserved

    def _refused(
        self, on_hand: dict[Key, Decimal], reserved: dict[Key, Decimal] | None = None
    ) -> bool:
        """Whether the server must answer 409 insufficient-stock: a net decrease of
        available beyond what is available at a location that does not allow negative."""
        reserved = reserved or {}
        strict = {self.ids[name] for name in STRICT}
        now_reserved = self.reserved()
        for key in {*on_hand, *reserved}:
            change = on_hand.get(key, Decimal(0)) - reserved.get(key, Decimal(0))
            available = self.model[key] - now_reserved[key]
            if change < 0 and key[1] in strict and available + change < 0:
                return True
        return False

    def _apply(self, recorded_at: str, changes: dict[Key, Decimal]) -> None:
        for key, change in changes.items():
            self.model[key] += change
        self.history.append(Batch(_time(recorded_at), dict(changes)))

    def _as_of(self, location: str, product: str, when: datetime) -> Decimal:
        key = (product, location)
        return sum(
            (
                batch.changes.get(key, Decimal(0))
                for batch in self.history
                if batch.recorded_at <= when
            ),
            Decimal(0),
        )

    def _request(
        self, method: str, path: str, body: dict[str, Any] | None = None, key: str | None = None
    ) -> Response:
        headers = dict(self.inventory.headers)
        if key is not None:
            headers["Idempotency-Key"] = key
        return self.harness.run(
            self.inventory.client.request(method, API + path, headers=headers, json=body)
        )

    def _refusal(self, response: Response) -> None:
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "insufficient-stock"

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
        refused = self._refused(changes)
        key = str(uuid.uuid4())
        response = self._request("POST", "/stock/movements", body, key)
        if refused:
            self._refusal(response)
            return
        assert response.status_code == 201, response.text
        self._apply(response.json()["recorded_at"], changes)
        self.sent.append(
            Sent("/stock/movements", key, body, response.status_code, response.content)
        )

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

    # Reservations

    @rule(product=products, location=locations, units=quantities)
    def reserve(self, product: str, location: str, units: int) -> None:
        amount = _amount(product, units)
        key = (self.ids[product], self.ids[location])
        body = {
            "product_id": key[0],
            "location_id": key[1],
            "quantity": str(amount),
            "reference": "state machine",
        }
        refused = self._refused({}, {key: amount})
        idempotency_key = str(uuid.uuid4())
        response = self._request("POST", "/stock/reservations", body, idempotency_key)
        if refused:
            self._refusal(response)
            return
        assert response.status_code == 201, response.text
        result = response.json()
        assert result["status"] == "active"
        self.held[result["id"]] = Held(key, amount)
        self._check_level(result["level"])
        self.sent.append(Sent("/stock/reservations", idempotency_key, body, 201, response.content))

    def _check_level(self, level: dict[str, Any]) -> None:
        key = (level["product_id"], level["location_id"])
        on_hand, reserved = Decimal(level["on_hand"]), Decimal(level["reserved"])
        assert (on_hand, reserved) == (self.model[key], self.reserved()[key])
        assert Decimal(level["available"]) == on_hand - reserved

    def _active(self) -> list[str]:
        return sorted(id_ for id_, held in self.held.items() if held.status == "active")

    def _finished(self) -> list[str]:
        return sorted(id_ for id_, held in self.held.items() if held.status != "active")

    @precondition(lambda self: bool(self._active()))
    @rule(data=st.data(), part=st.booleans())
    def fulfil(self, data: st.DataObject, part: bool) -> None:
        reservation_id = data.draw(st.sampled_from(self._active()))
        held = self.held[reservation_id]
        # All that is open (no body), or a part of it: the rest stays reserved.
        quantity = held.open
        body = None
        if part:
            step = Decimal(1) if held.key[0] == self.ids["pcs"] else Decimal("0.25")
            quantity = step * data.draw(st.integers(1, int(held.open / step)))
            body = {"quantity": str(quantity)}
        response = self._request("POST", f"/stock/reservations/{reservation_id}/fulfil", body)
        # on_hand and reserved both go down: available does not change, never refused.
        assert response.status_code == 200, response.text
        result = response.json()
        held.fulfilled += quantity
        held.status = "fulfilled" if held.open == 0 else "active"
        assert result["status"] == held.status
        assert Decimal(result["open_quantity"]) == (held.open if held.status == "active" else 0)
        assert result["batch_id"] is not None
        # The level is written in the ledger batch's transaction, at its recorded_at.
        self._apply(result["level"]["updated_at"], {held.key: -quantity})
        self._check_level(result["level"])

    @precondition(lambda self: bool(self._active()))
    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        reservation_id = data.draw(st.sampled_from(self._active()))
        response = self._request("DELETE", f"/stock/reservations/{reservation_id}")
        assert response.status_code == 200, response.text
        result = response.json()
        assert result["status"] == "released"
        assert result["batch_id"] is None
        self.held[reservation_id].status = "released"
        self._check_level(result["level"])

    @precondition(lambda self: bool(self._finished()))
    @rule(data=st.data(), fulfil=st.booleans())
    def finish_again(self, data: st.DataObject, fulfil: bool) -> None:
        reservation_id = data.draw(st.sampled_from(self._finished()))
        before = self._state()
        if fulfil:
            response = self._request("POST", f"/stock/reservations/{reservation_id}/fulfil")
        else:
            response = self._request("DELETE", f"/stock/reservations/{reservation_id}")
        assert response.status_code == 409, response.text
        problem = response.json()
        assert problem["code"] == "reservation-not-active"
        assert f"is {self.held[reservation_id].status};" in problem["detail"]
        assert self._state() == before

    # Offline counts

    @rule(
        data=st.data(),
        location=locations,
        lines=st.lists(
            st.tuples(products, counted), min_size=1, max_size=2, unique_by=lambda t: t[0]
        ),
        past=st.booleans(),
        just_before=st.booleans(),
    )
    def count(
        self,
        data: st.DataObject,
        location: str,
        lines: list[tuple[str, int]],
        past: bool,
        just_before: bool,
    ) -> None:
        if past:
            # A scanner synced late: counted at a recorded time (or just before it).
            when = data.draw(st.sampled_from([self.start, *(b.recorded_at for b in self.history)]))
            if just_before:
                when -= timedelta(microseconds=1)
        else:
            when = datetime.now(UTC)
        location_id = self.ids[location]
        body = {
            "location_id": location_id,
            "counted_at": when.isoformat(),
            "lines": [
                {"product_id": self.ids[product], "counted_quantity": str(_amount(product, units))}
                for product, units in lines
            ],
            "reference": "count",
        }
        expected: dict[str, tuple[Decimal, Decimal]] = {}
        changes: dict[Key, Decimal] = {}
        for product, units in lines:
            product_id = self.ids[product]
            as_of = self._as_of(location_id, product_id, when)
            adjustment = _amount(product, units) - as_of
            expected[product_id] = (as_of, adjustment)
            if adjustment != 0:
                changes[(product_id, location_id)] = adjustment
        refused = self._refused(changes)
        key = str(uuid.uuid4())
        response = self._request("POST", "/stock/counts", body, key)
        if refused:
            self._refusal(response)
            return
        assert response.status_code == 200, response.text
        result = response.json()
        assert {
            line["product_id"]: (Decimal(line["on_hand_as_of"]), Decimal(line["adjustment"]))
            for line in result["lines"]
        } == expected
        assert (result["batch_id"] is None) == (not changes)
        if changes:
            self._apply(result["recorded_at"], changes)
        for level in result["levels"]:
            self._check_level(level)
        self.sent.append(Sent("/stock/counts", key, body, 200, response.content))

    # Replays

    @precondition(lambda self: bool(self.sent))
    @rule(data=st.data())
    def replay(self, data: st.DataObject) -> None:
        earlier = data.draw(st.sampled_from(self.sent))
        before = self._state()
        response = self._request("POST", earlier.path, earlier.body, earlier.key)
        assert response.status_code == earlier.status
        assert response.content == earlier.content
        assert response.headers["Idempotent-Replayed"] == "true"
        assert self._state() == before

    # What must always hold

    def _state(self) -> State:
        async def read() -> State:
            levels = await self.inventory.levels()
            history = await self.inventory.get("/stock/movements", limit=500)
            reservations = await self.inventory.get("/stock/reservations", limit=500)
            assert history.json()["next_cursor"] is None
            assert reservations.json()["next_cursor"] is None
            return State(
                {
                    (row["product_id"], row["location_id"]): (
                        Decimal(row["on_hand"]),
                        Decimal(row["reserved"]),
                    )
                    for row in levels
                },
                len(history.json()["items"]),
                {row["id"]: row["status"] for row in reservations.json()["items"]},
            )

        return self.harness.run(read())

    @invariant()
    def levels_match_the_model_and_the_ledger(self) -> None:
        if not self.ids:
            return

        async def read() -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Any]]:
            levels = await self.inventory.levels()
            active = (
                await self.inventory.get("/stock/reservations", status="active", limit=500)
            ).json()
            assert active["next_cursor"] is None
            tenant = self.inventory.account.tenant_id
            return levels, active["items"], await mismatches(self.harness.database, tenant)

        levels, active, ledger_mismatches = self.harness.run(read())
        assert ledger_mismatches == []
        reserved = self.reserved()
        expected = {
            key: (self.model[key], reserved[key])
            for key in {*self.model, *reserved}
            if (self.model[key], reserved[key]) != (0, 0)
        }
        found = {
            (row["product_id"], row["location_id"]): (
                Decimal(row["on_hand"]),
                Decimal(row["reserved"]),
            )
            for row in levels
        }
        assert {key: value for key, value in found.items() if value != (0, 0)} == expected
        # reserved at each (product, location) is the sum of its active reservations' open
        # quantities (quantity - fulfilled_quantity)
        by_key: dict[Key, Decimal] = defaultdict(Decimal)
        for row in active:
            open_quantity = Decimal(row["open_quantity"])
            assert open_quantity == Decimal(row["quantity"]) - Decimal(row["fulfilled_quantity"])
            by_key[(row["product_id"], row["location_id"])] += open_quantity
        assert {row["id"] for row in active} == set(self._active())
        assert {key: value for key, value in by_key.items() if value} == {
            key: value[1] for key, value in found.items() if value[1]
        }
        # available = on_hand - reserved, never below zero where negative is not allowed
        strict = {self.ids[name] for name in STRICT}
        for row in levels:
            available = Decimal(row["available"])
            assert available == Decimal(row["on_hand"]) - Decimal(row["reserved"])
            if row["location_id"] in strict:
                assert available >= 0, row

    @invariant()
    def nothing_strict_is_negative(self) -> None:
        if not self.ids:
            return
        strict = {self.ids[name] for name in STRICT}
        reserved = self.reserved()
        for key, on_hand in self.model.items():
            if key[1] in strict:
                assert on_hand - reserved[key] >= 0, key


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
