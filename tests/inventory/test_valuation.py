"""The moving-average unit cost: kept by the ledger writer on receipts with a unit cost,
folded in ledger order, at full precision, and serialized per product under concurrency."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from quartermaster.core.clock import utcnow
from quartermaster.core.db import Database
from quartermaster.identity.public import Principal, Role
from quartermaster.inventory.schemas import MovementRequest
from quartermaster.inventory.service.movements import record_movements
from quartermaster.inventory.service.valuation import moving_average
from tests.catalog.conftest import ok
from tests.conftest import TestServices, plain
from tests.identity.conftest import Account
from tests.inventory.conftest import Inventory, mismatches


async def average_cost(services: TestServices, tenant_id: str, product_id: str) -> Decimal | None:
    """The stored average, exactly, as the application role sees it."""
    connection = await asyncpg.connect(plain(services.app_url))
    try:
        async with connection.transaction():
            await connection.execute("SELECT set_config('app.tenant_id', $1, true)", tenant_id)
            value = await connection.fetchval(
                "SELECT average_cost FROM product_costs WHERE product_id = $1",
                uuid.UUID(product_id),
            )
    finally:
        await connection.close()
    return value if value is None else Decimal(value)


def receipt(product: str, location: str, quantity: str, cost: str | None = None) -> dict[str, Any]:
    line = {
        "kind": "receipt",
        "product_id": product,
        "to_location_id": location,
        "quantity": quantity,
    }
    if cost is not None:
        line["unit_cost"] = cost
    return line


def issue(product: str, location: str, quantity: str) -> dict[str, Any]:
    return {
        "kind": "issue",
        "product_id": product,
        "from_location_id": location,
        "quantity": quantity,
    }


def transfer(product: str, source: str, target: str, quantity: str) -> dict[str, Any]:
    return {
        "kind": "transfer",
        "product_id": product,
        "from_location_id": source,
        "to_location_id": target,
        "quantity": quantity,
    }


class Costs:
    """One product at two warehouses, and a way to move it and read its average."""

    def __init__(self, inventory: Inventory, services: TestServices) -> None:
        self.inventory = inventory
        self.services = services
        self.product = ""
        self.a = self.b = ""

    async def setup(self) -> Costs:
        self.a = (await self.inventory.warehouse("A"))["default_location_id"]
        self.b = (await self.inventory.warehouse("B"))["default_location_id"]
        self.product = (await self.inventory.product(sku="BOLT"))["id"]
        return self

    async def move(self, *lines: dict[str, Any], status: int = 201) -> dict[str, Any]:
        body = lines[0] if len(lines) == 1 else {"lines": list(lines)}
        return ok(await self.inventory.move(body), status)

    async def receive(self, quantity: str, cost: str | None = None, at: str | None = None) -> None:
        await self.move(receipt(self.product, at or self.a, quantity, cost))

    async def average(self) -> Decimal | None:
        return await average_cost(self.services, self.inventory.account.tenant_id, self.product)


@pytest.fixture
async def costs(inventory: Inventory, services: TestServices) -> Costs:
    return await Costs(inventory, services).setup()


class TestMovingAverage:
    async def test_two_receipts_average_by_quantity(self, costs: Costs) -> None:
        await costs.receive("10", "2.00")
        assert await costs.average() == Decimal("2.00")
        await costs.receive("10", "4.00")
        assert await costs.average() == Decimal(3)

    async def test_issues_do_not_change_the_cost_but_shrink_what_the_next_receipt_meets(
        self, costs: Costs
    ) -> None:
        await costs.receive("10", "2")
        await costs.receive("10", "4")
        await costs.move(issue(costs.product, costs.a, "5"))
        assert await costs.average() == Decimal(3)
        await costs.receive("5", "6")  # (15 x 3 + 5 x 6) / 20
        assert await costs.average() == Decimal("3.75")

    async def test_a_receipt_after_the_stock_ran_out_starts_again_at_its_cost(
        self, costs: Costs
    ) -> None:
        await costs.receive("10", "2")
        await costs.move(issue(costs.product, costs.a, "10"))
        await costs.receive("5", "7")
        assert await costs.average() == Decimal(7)

    async def test_a_receipt_into_negative_stock_takes_its_own_cost(
        self, costs: Costs, inventory: Inventory
    ) -> None:
        warehouse = (await inventory.get(f"/locations/{costs.a}")).json()["warehouse_id"]
        loose = (await inventory.location(warehouse, "LOOSE", allow_negative=True))["id"]
        await costs.receive("10", "2", at=costs.b)
        await costs.move(issue(costs.product, loose, "15"))  # the organization holds -5
        await costs.receive("10", "4", at=loose)
        assert await costs.average() == Decimal(4)

    async def test_stock_in_every_warehouse_counts(self, costs: Costs) -> None:
        await costs.receive("10", "2", at=costs.a)
        await costs.receive("30", "6", at=costs.b)  # (10 x 2 + 30 x 6) / 40
        assert await costs.average() == Decimal(5)

    async def test_transfers_move_value_without_changing_it(self, costs: Costs) -> None:
        await costs.receive("10", "2", at=costs.a)
        await costs.move(transfer(costs.product, costs.a, costs.b, "4"))
        assert await costs.average() == Decimal(2)
        await costs.receive("10", "5", at=costs.b)  # 10 held in all: (10 x 2 + 10 x 5) / 20
        assert await costs.average() == Decimal("3.5")

    async def test_receipts_without_a_cost_leave_it_but_count_as_stock_at_it(
        self, costs: Costs
    ) -> None:
        await costs.receive("10")
        assert await costs.average() is None  # nothing to value yet
        await costs.receive("10", "4")
        assert await costs.average() == Decimal(4)
        await costs.receive("20")
        assert await costs.average() == Decimal(4)
        await costs.receive("40", "1")  # (40 x 4 + 40 x 1) / 80
        assert await costs.average() == Decimal("2.5")

    async def test_counts_and_adjustments_change_stock_not_cost(
        self, costs: Costs, inventory: Inventory
    ) -> None:
        await costs.receive("10", "2")
        adjustment = {
            "kind": "adjustment",
            "product_id": costs.product,
            "to_location_id": costs.a,
            "quantity": "5",
            "reason": "found",
        }
        await costs.move(adjustment)
        count = {
            "location_id": costs.a,
            "counted_at": utcnow().isoformat(),
            "lines": [{"product_id": costs.product, "counted_quantity": "20"}],
        }
        ok(await inventory.post("/stock/counts", count))
        assert await costs.average() == Decimal(2)
        await costs.receive("20", "5")  # 20 held: (20 x 2 + 20 x 5) / 40
        assert await costs.average() == Decimal("3.5")

    async def test_full_precision_is_kept(self, costs: Costs) -> None:
        await costs.receive("1", "1")
        await costs.receive("2", "2")
        assert await costs.average() == Decimal(5) / Decimal(3)  # 1.666…667, 28 digits


class TestBatches:
    async def test_two_receipts_of_one_product_fold_in_line_order(self, costs: Costs) -> None:
        await costs.move(
            receipt(costs.product, costs.a, "10", "2"), receipt(costs.product, costs.b, "30", "4")
        )
        assert await costs.average() == Decimal("3.5")  # (10 x 2 + 30 x 4) / 40

    async def test_a_line_before_a_receipt_counts_before_it(self, costs: Costs) -> None:
        await costs.receive("10", "2")
        await costs.move(
            issue(costs.product, costs.a, "5"), receipt(costs.product, costs.a, "5", "4")
        )
        # 5 left at 2 when the receipt comes: (5 x 2 + 5 x 4) / 10, not (10 x 2 + 5 x 4) / 15
        assert await costs.average() == Decimal(3)

    async def test_a_line_after_a_receipt_does_not_count_before_it(self, costs: Costs) -> None:
        await costs.receive("10", "2")
        await costs.move(
            receipt(costs.product, costs.a, "10", "4"), issue(costs.product, costs.a, "15")
        )
        assert await costs.average() == Decimal(3)

    async def test_receipts_of_other_products_in_a_batch_do_not_mix(
        self, costs: Costs, inventory: Inventory, services: TestServices
    ) -> None:
        nut = (await inventory.product(sku="NUT"))["id"]
        await costs.move(
            receipt(nut, costs.a, "1", "100"),
            receipt(costs.product, costs.a, "10", "2"),
            receipt(nut, costs.b, "3", "20"),
        )
        assert await costs.average() == Decimal(2)
        assert await average_cost(services, inventory.account.tenant_id, nut) == Decimal(40)

    async def test_a_refused_batch_changes_no_cost(self, costs: Costs) -> None:
        await costs.receive("10", "2")
        refused = await costs.move(
            receipt(costs.product, costs.a, "10", "50"),
            issue(costs.product, costs.b, "1"),  # nothing at B
            status=409,
        )
        assert refused["code"] == "insufficient-stock"
        assert await costs.average() == Decimal(2)

    async def test_a_replayed_request_does_not_fold_twice(
        self, costs: Costs, inventory: Inventory
    ) -> None:
        await costs.receive("10", "2")
        body = receipt(costs.product, costs.a, "10", "4")
        ok(await inventory.move(body, key="po-7"), 201)
        replay = await inventory.move(body, key="po-7")
        assert replay.headers["Idempotent-Replayed"] == "true"
        assert await costs.average() == Decimal(3)


class TestConcurrency:
    """Two transactions receive the same product at different warehouses (so their level
    locks do not meet): the second waits on the cost row and then folds onto the first."""

    @staticmethod
    def principal(account: Account) -> Principal:
        return Principal(
            kind="user",
            id=uuid.UUID(account.user_id),
            tenant_id=uuid.UUID(account.tenant_id),
            role=Role.OWNER,
            label=account.email,
        )

    @staticmethod
    async def waits_for_a_lock(services: TestServices, pid: int) -> None:
        connection = await asyncpg.connect(plain(services.owner_url))
        try:
            for _ in range(2000):  # a state to reach, not a duration to assert
                if await connection.fetchval(
                    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = $1 AND NOT granted)", pid
                ):
                    return
                await asyncio.sleep(0.005)
            raise AssertionError("the second transaction never waited for a lock")
        finally:
            await connection.close()

    async def _race(self, costs: Costs, database: Database, first: str, second: str) -> None:
        account = costs.inventory.account
        tenant, principal = uuid.UUID(account.tenant_id), self.principal(account)
        one = MovementRequest.model_validate(receipt(costs.product, costs.a, "10", first))
        two = MovementRequest.model_validate(receipt(costs.product, costs.b, "30", second))
        async with database.transaction(tenant) as session_one:
            await record_movements(session_one, principal, one)

            async def the_other() -> None:
                async with database.transaction(tenant) as session_two:
                    pid = await session_two.scalar(text("SELECT pg_backend_pid()"))
                    started.set_result(pid)
                    await record_movements(session_two, principal, two)

            started: asyncio.Future[int] = asyncio.get_running_loop().create_future()
            other = asyncio.create_task(the_other())
            await self.waits_for_a_lock(costs.services, await started)
            assert not other.done()
        await asyncio.wait_for(other, timeout=60)

    async def test_concurrent_first_receipts_are_both_folded(
        self, costs: Costs, database: Database
    ) -> None:
        await self._race(costs, database, "2", "6")
        assert await costs.average() == Decimal(5)  # (10 x 2 + 30 x 6) / 40, in either order
        assert await mismatches(database, costs.inventory.account.tenant_id) == []

    async def test_concurrent_receipts_onto_an_existing_cost_are_both_folded(
        self, costs: Costs, database: Database
    ) -> None:
        await costs.receive("40", "1", at=costs.a)
        await self._race(costs, database, "2", "6")
        # 40 @ 1, then 10 @ 2 → 60 / 50, then 30 @ 6 → (50 x 1.2 + 180) / 80
        assert await costs.average() == Decimal(3)

    async def test_a_receipt_reads_the_cost_only_once_the_holder_of_its_lock_is_done(
        self, costs: Costs, database: Database
    ) -> None:
        """Another writer between locking the cost row and writing it: the receipt must wait
        and fold onto what that writer wrote, not onto the value it would have read."""
        await costs.receive("10", "1", at=costs.a)
        account = costs.inventory.account
        holder = await asyncpg.connect(plain(costs.services.app_url))
        try:
            async with holder.transaction():
                await holder.execute(
                    "SELECT set_config('app.tenant_id', $1, true)", account.tenant_id
                )
                await holder.execute(
                    "SELECT 1 FROM product_costs WHERE product_id = $1 FOR UPDATE",
                    uuid.UUID(costs.product),
                )
                request = MovementRequest.model_validate(receipt(costs.product, costs.b, "10", "3"))
                started: asyncio.Future[int] = asyncio.get_running_loop().create_future()

                async def the_receipt() -> None:
                    async with database.transaction(uuid.UUID(account.tenant_id)) as session:
                        started.set_result(await session.scalar(text("SELECT pg_backend_pid()")))
                        await record_movements(session, self.principal(account), request)

                waiting = asyncio.create_task(the_receipt())
                await self.waits_for_a_lock(costs.services, await started)
                await holder.execute(
                    "UPDATE product_costs SET average_cost = 5 WHERE product_id = $1",
                    uuid.UUID(costs.product),
                )
            await asyncio.wait_for(waiting, timeout=60)
        finally:
            await holder.close()
        assert await costs.average() == Decimal(4)  # (10 x 5 + 10 x 3) / 20, not (10 + 30) / 20


class TestTheFormula:
    @given(
        average=st.decimals(min_value=0, max_value=10_000, places=4),
        on_hand=st.decimals(min_value=-1000, max_value=1000, places=3),
        quantity=st.decimals(min_value="0.001", max_value=1000, places=3),
        cost=st.decimals(min_value=0, max_value=10_000, places=4),
    )
    def test_the_average_lies_between_the_old_one_and_the_new_cost(
        self, average: Decimal, on_hand: Decimal, quantity: Decimal, cost: Decimal
    ) -> None:
        new = moving_average(average, on_hand, quantity, cost)
        if on_hand <= 0:
            assert new == cost
        else:
            low, high = sorted((average, cost))
            assert low - Decimal("1e-20") <= new <= high + Decimal("1e-20")
            # Value is conserved: what was held plus what came in is what is held now.
            held = on_hand * average + quantity * cost
            assert abs(new * (on_hand + quantity) - held) < Decimal("1e-18")

    def test_without_an_average_the_cost_is_taken(self) -> None:
        assert moving_average(None, Decimal(10), Decimal(1), Decimal("9.5")) == Decimal("9.5")
