"""Any cursor the server did not issue for a list is a 400 invalid-cursor: cursors are
signed. Hand-made ones holding "\\u0000" or "\\ud800" in a text sort key used to be 500s."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Awaitable, Callable

import pytest

from quartermaster.core.pagination import (
    InvalidCursor,
    PageParams,
    cursor_key,
    decode_cursor,
    encode_cursor,
)
from tests.catalog.conftest import ok
from tests.identity.conftest import Identity
from tests.inventory.conftest import Inventory

Seed = Callable[[Inventory], Awaitable[None]]


async def _products(inventory: Inventory) -> None:
    await inventory.product()
    await inventory.product()


async def _categories(inventory: Inventory) -> None:
    await inventory.category("Tools")
    await inventory.category("Fasteners")


async def _price_lists(inventory: Inventory) -> None:
    await inventory.price_list("Retail")
    await inventory.price_list("Wholesale")


async def _warehouses(inventory: Inventory) -> None:
    await inventory.warehouse("A")
    await inventory.warehouse("B")


async def _stock(inventory: Inventory) -> None:
    warehouse = await inventory.warehouse("A")
    for _ in range(2):
        product = await inventory.product()
        await inventory.receive(product["id"], warehouse["default_location_id"], "1")


async def _nothing(inventory: Inventory) -> None:
    return None


async def _invitations(inventory: Inventory) -> None:
    for email in ("second@example.org", "third@example.org"):
        ok(await inventory.post("/invitations", {"email": email, "role": "viewer"}), 201)


LISTS: dict[str, tuple[str, dict[str, str], Seed]] = {
    "products by sku": ("/products", {}, _products),
    "products by name": ("/products", {"sort": "name"}, _products),
    "units": ("/units", {}, _nothing),
    "categories": ("/categories", {}, _categories),
    "price lists": ("/price-lists", {}, _price_lists),
    "warehouses": ("/warehouses", {}, _warehouses),
    "locations": ("/locations", {}, _warehouses),
    "levels": ("/stock/levels", {}, _stock),
    "level totals": ("/stock/levels", {"group_by": "product"}, _stock),
    "movements": ("/stock/movements", {}, _stock),
    "invitations": ("/invitations", {}, _invitations),
}


def _hand_made(values: list[object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _forged(values: list[object]) -> str:
    return _hand_made(values) + "." + _hand_made(["not a signature"])


async def _second_member(inventory: Inventory, identity: Identity) -> None:
    await identity.member(inventory.account, "viewer")


@pytest.mark.parametrize("name", [*LISTS, "members"])
async def test_only_the_cursors_a_list_issued_are_accepted(
    inventory: Inventory, identity: Identity, name: str
) -> None:
    if name == "members":
        path, params = "/users", {}
        await _second_member(inventory, identity)
    else:
        path, params, seed = LISTS[name]
        await seed(inventory)
    first = ok(await inventory.get(path, limit=1, **params))
    issued = first["next_cursor"]
    assert issued is not None
    second = ok(await inventory.get(path, limit=1, cursor=issued, **params))
    assert second["items"] != first["items"]

    payload, signature = issued.split(".")
    values = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    text_keys = [["\u0000" if isinstance(v, str) else v for v in values]]
    text_keys.append(["\ud800" if isinstance(v, str) else v for v in values])
    refused = [
        *(_hand_made(v) for v in text_keys),  # the old, unsigned format
        *(_forged(v) for v in text_keys),
        _hand_made([*values[:-1], f"z{values[-1]}"]) + "." + signature,  # others' signature
        issued[:-2] + ("AA" if not issued.endswith("AA") else "BB"),
        issued + "=",
        issued.replace(".", "!."),
        ".",
        "x" * 3000,
    ]
    # Values changed but signed for the same list by someone without the key.
    refused.append(encode_cursor(text_keys[0], key=cursor_key("not the secret"), scope=path))
    for cursor in refused:
        response = await inventory.get(path, limit=1, cursor=cursor, **params)
        assert response.status_code in (400, 422), (cursor, response.text)
        if response.status_code == 400:
            assert response.json()["code"] == "invalid-cursor"


async def test_a_cursor_from_one_list_is_refused_by_another(inventory: Inventory) -> None:
    await _warehouses(inventory)
    await _price_lists(inventory)
    cursor = ok(await inventory.get("/warehouses", limit=1))["next_cursor"]
    response = await inventory.get("/price-lists", limit=1, cursor=cursor)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid-cursor"


def test_decoding_checks_the_json_type_of_each_value() -> None:
    key = cursor_key("k" * 40)
    cursor = encode_cursor([1, None, True], key=key, scope="/x")
    assert decode_cursor(cursor, int, (str, None), bool, key=key, scope="/x") == [1, None, True]
    for kinds in [(str, None, bool), (int, str, bool), (int, None, int), (int, None)]:
        with pytest.raises(InvalidCursor):
            decode_cursor(cursor, *kinds, key=key, scope="/x")
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor, int, (str, None), bool, key=key, scope="/y")


def test_in_process_pages_round_trip_their_own_cursors() -> None:
    page = PageParams(limit=1, cursor=None)
    cursor = page.encode(["sku", str(uuid.uuid4())])
    assert PageParams(limit=1, cursor=cursor).decode(str, str)[0] == "sku"
