"""Merging tickets, linking them, and the RMA stock link: a replacement reserved through
inventory in the ticket's transaction, rolled back with it, released when the ticket is
closed unresolved."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.builders import nothing_written, problem, tenant_tables
from tests.catalog.conftest import ok
from tests.conftest import TestServices
from tests.identity.conftest import Identity
from tests.servicedesk.conftest import DESK_TABLES, Desk, tenant_rows


class TestMerge:
    async def test_comments_move_and_the_source_closes_as_merged(self, desk: Desk) -> None:
        source = await desk.ticket(subject="Printer broken", tags=["printer"])
        target = await desk.ticket(subject="Printer still broken", tags=["urgent"])
        await desk.comment(source["id"], "Reply on the duplicate")
        await desk.comment(source["id"], "A note", internal=True)
        merged = ok(await desk.post(f"/tickets/{source['id']}/merge", {"into": target["id"]}))
        assert merged["id"] == target["id"]
        assert merged["tags"] == ["printer", "urgent"]
        closed = await desk.get_ticket(source["id"])
        assert closed["status"] == "closed"
        assert closed["merged_into_id"] == target["id"]
        bodies = [c["body"] for c in await desk.items(f"/tickets/{target['id']}/comments")]
        assert bodies == [
            "It **broke**.",  # the source's description, as the requester's message
            "Reply on the duplicate",
            "A note",
            f"{source['key']} was merged into this ticket.",
        ]
        left = await desk.items(f"/tickets/{source['id']}/comments")
        assert [c["body"] for c in left] == [f"Merged into {target['key']}."]

    async def test_merges_that_make_no_sense_are_refused(
        self, desk: Desk, services: TestServices
    ) -> None:
        one = await desk.ticket()
        closed = await desk.ticket()
        await desk.moved(closed["id"], "closed")
        async with nothing_written(services, desk.account.tenant_id, DESK_TABLES):
            itself = await desk.post(f"/tickets/{one['id']}/merge", {"into": one["id"]})
            into_closed = await desk.post(f"/tickets/{one['id']}/merge", {"into": closed["id"]})
            unknown = await desk.post(
                f"/tickets/{one['id']}/merge", {"into": "00000000-0000-0000-0000-000000000001"}
            )
        assert "merged into itself" in problem(itself, 422, "invalid-fields")["detail"]
        assert "is closed" in problem(into_closed, 409, "merge-refused")["detail"]
        assert "into: No ticket" in problem(unknown, 422, "invalid-fields")["detail"]


class TestLinks:
    async def test_links_show_on_both_tickets_and_can_be_removed(self, desk: Desk) -> None:
        one, two = await desk.ticket(), await desk.ticket()
        linked = ok(
            await desk.post(
                f"/tickets/{one['id']}/links",
                {"other_ticket_id": two["id"], "kind": "duplicates"},
            ),
            201,
        )
        (link,) = linked["links"]
        assert (link["other_key"], link["direction"], link["kind"]) == (
            two["key"],
            "outgoing",
            "duplicates",
        )
        (back,) = (await desk.get_ticket(two["id"]))["links"]
        assert (back["other_ticket_id"], back["direction"]) == (one["id"], "incoming")
        again = await desk.post(f"/tickets/{two['id']}/links", {"other_ticket_id": one["id"]})
        problem(again, 409, "link-exists")
        itself = await desk.post(f"/tickets/{one['id']}/links", {"other_ticket_id": one["id"]})
        problem(itself, 422, "invalid-fields")
        removed = await desk.delete(f"/tickets/{two['id']}/links/{link['id']}")
        assert removed.status_code == 204
        assert (await desk.get_ticket(one["id"]))["links"] == []


async def _stock(desk: Desk, quantity: str = "5") -> tuple[dict[str, Any], str]:
    warehouse = await desk.warehouse("MAIN")
    location: str = warehouse["default_location_id"]
    product = await desk.product(sku="PUMP-1")
    await desk.receive(product["id"], location, quantity)
    return product, location


class TestRma:
    async def test_a_reservation_is_made_shown_on_the_ticket_and_holds_stock(
        self, desk: Desk
    ) -> None:
        product, location = await _stock(desk)
        ticket = await desk.ticket()
        response = await desk.post(
            f"/tickets/{ticket['id']}/reserve",
            {"product_id": product["id"], "location_id": location, "quantity": "2"},
        )
        assert response.status_code == 201, response.text
        (held,) = response.json()["reservations"]
        assert (
            response.headers["Location"] == f"/api/v1/stock/reservations/{held['reservation_id']}"
        )
        assert (held["status"], Decimal(held["quantity"])) == ("active", Decimal(2))
        assert held["reference"] == f"{ticket['key']} RMA"
        assert response.json()["product_ids"] == [product["id"]]
        level = (await desk.levels(product_id=product["id"]))[0]
        assert (Decimal(level["reserved"]), Decimal(level["available"])) == (2, 3)

    async def test_a_refused_reservation_rolls_the_whole_ticket_back(
        self, desk: Desk, services: TestServices
    ) -> None:
        product, location = await _stock(desk, "3")
        first = await desk.ticket()
        response = await desk.open(
            reservations=[
                {"product_id": product["id"], "location_id": location, "quantity": "2"},
                {"product_id": product["id"], "location_id": location, "quantity": "2"},
            ]
        )
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "insufficient-stock"
        # Nothing of it stayed: no ticket, no reservation, no stock held, no number used.
        tickets = await tenant_rows(services, desk.account.tenant_id, "SELECT id FROM tickets")
        assert [str(row["id"]) for row in tickets] == [first["id"]]
        reservations = await tenant_rows(
            services, desk.account.tenant_id, "SELECT id FROM reservations"
        )
        assert reservations == []
        level = (await desk.levels(product_id=product["id"]))[0]
        assert Decimal(level["reserved"]) == 0
        assert (await desk.ticket())["number"] == first["number"] + 1

    async def test_closing_unresolved_releases_closing_resolved_keeps(self, desk: Desk) -> None:
        product, location = await _stock(desk)
        body = {"product_id": product["id"], "location_id": location, "quantity": "1"}
        dropped = await desk.ticket(reservations=[body])
        shipped = await desk.ticket(reservations=[body])
        await desk.moved(dropped["id"], "closed")
        await desk.moved(shipped["id"], "resolved")
        await desk.moved(shipped["id"], "closed")
        assert (await desk.get_ticket(dropped["id"]))["reservations"][0]["status"] == "released"
        assert (await desk.get_ticket(shipped["id"]))["reservations"][0]["status"] == "active"
        level = (await desk.levels(product_id=product["id"]))[0]
        assert Decimal(level["reserved"]) == 1

    async def test_reserving_needs_reservations_write_and_a_known_product(
        self, desk: Desk, identity: Identity, services: TestServices
    ) -> None:
        product, location = await _stock(desk)
        ticket = await desk.ticket()
        tables = ("reservations", "ticket_reservations", "stock_levels", "outbox_events")
        before = await tenant_tables(services, desk.account.tenant_id, tables)
        viewer = desk.as_(await identity.member(desk.account, "viewer"))
        body = {"product_id": product["id"], "location_id": location, "quantity": "1"}
        reserve = f"/tickets/{ticket['id']}/reserve"
        problem(await viewer.post(reserve, body), 403, "permission-denied")
        unknown = {**body, "product_id": "00000000-0000-0000-0000-000000000001"}
        problem(await desk.post(reserve, unknown), 422, "invalid-movement")
        for quantity in ("0", "-1", "NaN", "1e400"):
            problem(
                await desk.post(reserve, {**body, "quantity": quantity}), 422, "validation-failed"
            )
        assert await tenant_tables(services, desk.account.tenant_id, tables) == before


class TestRmaIdempotencyKey:
    """``POST /tickets/{id}/reserve`` takes an ``Idempotency-Key`` like inventory's
    reservations: a retried request reserves once."""

    async def test_a_replay_returns_the_first_answer_and_reserves_nothing_more(
        self, desk: Desk, services: TestServices
    ) -> None:
        product, location = await _stock(desk)
        ticket = await desk.ticket()
        body = {"product_id": product["id"], "location_id": location, "quantity": "2"}
        reserve = f"/tickets/{ticket['id']}/reserve"
        first = await desk.post(reserve, body, {"Idempotency-Key": "rma-1"})
        assert first.status_code == 201, first.text
        assert "Idempotent-Replayed" not in first.headers
        before = await tenant_tables(
            services, desk.account.tenant_id, ("reservations", "ticket_reservations", "tickets")
        )

        again = await desk.post(reserve, body, {"Idempotency-Key": "rma-1"})
        assert again.status_code == 201, again.text
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()
        for header in ("Location", "ETag"):
            assert again.headers[header] == first.headers[header]
        assert (
            await tenant_tables(
                services,
                desk.account.tenant_id,
                ("reservations", "ticket_reservations", "tickets"),
            )
            == before
        )
        assert len((await desk.get_ticket(ticket["id"]))["reservations"]) == 1
        level = (await desk.levels(product_id=product["id"]))[0]
        assert Decimal(level["reserved"]) == 2

        # Without a key, the same body is a second reservation.
        ok(await desk.post(reserve, body), 201)
        assert len((await desk.get_ticket(ticket["id"]))["reservations"]) == 2

    async def test_the_same_key_for_another_request_is_refused_and_changes_nothing(
        self, desk: Desk, services: TestServices
    ) -> None:
        product, location = await _stock(desk)
        ticket, other = await desk.ticket(), await desk.ticket()
        body = {"product_id": product["id"], "location_id": location, "quantity": "1"}
        key = {"Idempotency-Key": "rma-2"}
        ok(await desk.post(f"/tickets/{ticket['id']}/reserve", body, key), 201)
        tables = ("reservations", "ticket_reservations", "stock_levels", "outbox_events")
        before = await tenant_tables(services, desk.account.tenant_id, tables)

        another_body = {**body, "quantity": "3"}
        response = await desk.post(f"/tickets/{ticket['id']}/reserve", another_body, key)
        problem(response, 409, "idempotency-key-reused")
        another_ticket = await desk.post(f"/tickets/{other['id']}/reserve", body, key)
        problem(another_ticket, 409, "idempotency-key-reused")
        assert await tenant_tables(services, desk.account.tenant_id, tables) == before

    async def test_a_refused_reservation_keeps_no_key_so_a_retry_can_succeed(
        self, desk: Desk
    ) -> None:
        product, location = await _stock(desk, "1")
        ticket = await desk.ticket()
        body = {"product_id": product["id"], "location_id": location, "quantity": "3"}
        reserve = f"/tickets/{ticket['id']}/reserve"
        key = {"Idempotency-Key": "rma-3"}
        problem(await desk.post(reserve, body, key), 409, "insufficient-stock")
        await desk.receive(product["id"], location, "5")
        retried = await desk.post(reserve, body, key)
        assert retried.status_code == 201, retried.text
        assert "Idempotent-Replayed" not in retried.headers

    async def test_keys_are_scoped_per_tenant(self, desk: Desk, identity: Identity) -> None:
        product, location = await _stock(desk)
        ticket = await desk.ticket()
        key = {"Idempotency-Key": "shared-key"}
        body = {"product_id": product["id"], "location_id": location, "quantity": "1"}
        ok(await desk.post(f"/tickets/{ticket['id']}/reserve", body, key), 201)

        beta = desk.as_(await identity.signup("Beta"))
        their_product, their_location = await _stock(beta)
        their_ticket = await beta.ticket()
        their_body = {"product_id": their_product["id"], "location_id": their_location}
        response = await beta.post(
            f"/tickets/{their_ticket['id']}/reserve", {**their_body, "quantity": "1"}, key
        )
        assert response.status_code == 201, response.text
        assert "Idempotent-Replayed" not in response.headers
        assert response.json()["id"] == their_ticket["id"]
        # Another tenant's ticket id with the same key is not found, not a replay.
        response = await beta.post(
            f"/tickets/{ticket['id']}/reserve",
            {**their_body, "quantity": "1"},
            {"Idempotency-Key": "b-2"},
        )
        problem(response, 404, "ticket-not-found")


class TestCreationIdempotencyKey:
    """``POST /tickets`` takes an ``Idempotency-Key``: a creation retried after a lost
    answer (with its stock reservations) opens one ticket, one number, one acknowledgement."""

    TABLES = (
        "tickets",
        "ticket_counters",
        "ticket_reservations",
        "reservations",
        "contacts",
        "mail_messages",
        "outbox_events",
        "search_documents",
    )

    async def test_a_replay_returns_the_first_ticket_and_opens_nothing_more(
        self, desk: Desk, services: TestServices
    ) -> None:
        product, location = await _stock(desk)
        reservation = {"product_id": product["id"], "location_id": location, "quantity": "2"}
        key = {"Idempotency-Key": "phone-call-7"}
        body = {
            "subject": "Pump leaks",
            "requester": {"email": "ann@example.net", "name": "Ann"},
            "product_ids": [product["id"]],
            "reservations": [reservation],
        }
        created = await desk.post("/tickets", body, key)
        assert created.status_code == 201, created.text
        assert "Idempotent-Replayed" not in created.headers
        assert created.headers["Location"].endswith(f"/tickets/{created.json()['id']}")
        async with nothing_written(services, desk.account.tenant_id, self.TABLES):
            again = await desk.post("/tickets", body, key)
        assert again.status_code == 201, again.text
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == created.json()
        for header in ("Location", "ETag"):
            assert again.headers[header] == created.headers[header]
        level = (await desk.levels(product_id=product["id"]))[0]
        assert Decimal(level["reserved"]) == 2

        # Without a key the same body is another ticket, with the next number.
        another = ok(await desk.post("/tickets", body), 201)
        assert another["number"] == created.json()["number"] + 1

    async def test_the_same_key_with_another_body_is_refused_and_changes_nothing(
        self, desk: Desk, services: TestServices
    ) -> None:
        key = {"Idempotency-Key": "phone-call-8"}
        body = {"subject": "Pump leaks", "requester": {"email": "ann@example.net"}}
        ok(await desk.post("/tickets", body, key), 201)
        async with nothing_written(services, desk.account.tenant_id, self.TABLES):
            changed = await desk.post("/tickets", {**body, "subject": "Pump leaks badly"}, key)
        problem(changed, 409, "idempotency-key-reused")

    async def test_a_refused_creation_keeps_no_key_so_a_retry_can_succeed(
        self, desk: Desk, services: TestServices
    ) -> None:
        product, location = await _stock(desk, "1")
        key = {"Idempotency-Key": "phone-call-9"}
        reservation = {"product_id": product["id"], "location_id": location, "quantity": "3"}
        body = {
            "subject": "Pump leaks",
            "requester": {"email": "ann@example.net"},
            "reservations": [reservation],
        }
        async with nothing_written(services, desk.account.tenant_id, self.TABLES):
            problem(await desk.post("/tickets", body, key), 409, "insufficient-stock")
        await desk.receive(product["id"], location, "5")
        retried = await desk.post("/tickets", body, key)
        assert retried.status_code == 201, retried.text
        assert "Idempotent-Replayed" not in retried.headers
