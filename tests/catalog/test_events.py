"""Catalog changes write outbox events in their own transaction, and rejections none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.catalog.conftest import Catalog, ok, outbox
from tests.conftest import TestServices
from tests.identity.conftest import Account


async def test_product_lifecycle_events_carry_the_read_model(
    catalog: Catalog, owner: Account, services: TestServices
) -> None:
    product = await catalog.product(sku="EV-1")
    updated = ok(await catalog.patch(f"/products/{product['id']}", {"name": "Renamed"}))
    archived = ok(await catalog.patch(f"/products/{product['id']}", {"is_active": False}))
    reactivated = ok(await catalog.patch(f"/products/{product['id']}", {"is_active": True}))
    assert (await catalog.delete(f"/products/{product['id']}")).status_code == 204

    events = await outbox(services, owner.tenant_id)
    assert events == [
        ("catalog.product.created", product),
        ("catalog.product.updated", updated),
        ("catalog.product.archived", archived),
        ("catalog.product.updated", reactivated),
        ("catalog.product.deleted", {"id": product["id"], "sku": "EV-1"}),
    ]


async def test_price_changed_event(
    catalog: Catalog, owner: Account, services: TestServices
) -> None:
    product = await catalog.product()
    retail = await catalog.price_list("Retail", "SEK")
    when = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    await catalog.price(product["id"], retail["id"], "99.5", when.isoformat())
    events = await outbox(services, owner.tenant_id)
    assert events[-1][0] == "catalog.price.changed"
    payload = events[-1][1]
    assert payload["product_id"] == product["id"]
    assert payload["price_list_id"] == retail["id"]
    assert payload["amount"] == "99.5"
    assert payload["currency"] == "SEK"
    assert datetime.fromisoformat(payload["effective_from"]) == when


async def test_rejected_requests_write_no_event(
    catalog: Catalog, owner: Account, services: TestServices
) -> None:
    product = await catalog.product(sku="TAKEN", barcode="111")
    retail = await catalog.price_list("Retail")
    before = await outbox(services, owner.tenant_id)
    rejected = [
        await catalog.post("/products", {"sku": "taken", "name": "dup"}),
        await catalog.post("/products", {"sku": "NEW", "name": "dup", "barcode": "111"}),
        await catalog.patch(f"/products/{product['id']}", {"name": "x"}, {"If-Match": '"9"'}),
        await catalog.patch(f"/products/{product['id']}", {"is_active": False, "bogus": 1}),
        await catalog.post(
            f"/products/{product['id']}/prices", {"price_list_id": retail["id"], "amount": "-5"}
        ),
    ]
    assert [r.status_code for r in rejected] == [409, 409, 412, 422, 422]
    assert await outbox(services, owner.tenant_id) == before
    assert [t for t, _ in before] == ["catalog.product.created"]
