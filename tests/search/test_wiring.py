"""Modules feed the index in their writing transactions: a product or ticket is findable
by the next request after it was written, and stops being findable the same way."""

from __future__ import annotations

from httpx import AsyncClient

from quartermaster.core.settings import Settings
from quartermaster.core.urls import API
from tests.catalog.conftest import ok
from tests.identity.conftest import Account, Identity
from tests.jobs.conftest import Jobs, csv_bytes
from tests.servicedesk.conftest import Desk


async def _titles(client: AsyncClient, account: Account, q: str) -> list[str]:
    response = await client.get(f"{API}/search", headers=account.headers, params={"q": q})
    assert response.status_code == 200, response.text
    return [hit["title"] for hit in response.json()["items"]]


async def test_products_are_indexed_as_they_are_created_changed_archived_and_deleted(
    client: AsyncClient, owner: Account
) -> None:
    desk = Desk(client, owner)
    created = await desk.product(
        sku="FAS-HB-M8-040-ZN-88", name="Hex bolt M8", barcode="4006381333931"
    )
    assert await _titles(client, owner, "fas-hb-m8-040-zn-88") == ["Hex bolt M8"]
    assert await _titles(client, owner, "4006381333931") == ["Hex bolt M8"]

    etag = f'"{created["version"]}"'
    changed = ok(
        await desk.patch(
            f"/products/{created['id']}",
            {"name": "Carriage bolt M8", "description": "Galvanised"},
            headers={"If-Match": etag},
        )
    )
    assert await _titles(client, owner, "carriage") == ["Carriage bolt M8"]
    assert await _titles(client, owner, "galvanised") == ["Carriage bolt M8"]
    assert await _titles(client, owner, "hex ") == []

    archived = ok(
        await desk.patch(
            f"/products/{created['id']}",
            {"is_active": False},
            headers={"If-Match": f'"{changed["version"]}"'},
        )
    )
    assert await _titles(client, owner, "carriage archived") == ["Carriage bolt M8"]

    deleted = await desk.delete(
        f"/products/{created['id']}", headers={"If-Match": f'"{archived["version"]}"'}
    )
    assert deleted.status_code == 204
    assert await _titles(client, owner, "carriage") == []


async def test_renaming_a_category_renews_its_products_documents_and_no_others(
    client: AsyncClient, owner: Account
) -> None:
    desk = Desk(client, owner)
    fasteners = await desk.category("Fasteners")
    other = await desk.category("Tools")
    await desk.product(name="Hex bolt M8", category_id=fasteners["id"])
    await desk.product(name="Torque wrench", category_id=other["id"])
    assert await _titles(client, owner, "fasteners") == ["Hex bolt M8"]

    renamed = await desk.patch(f"/categories/{fasteners['id']}", {"name": "Connectors"})
    assert renamed.status_code == 200, renamed.text
    assert await _titles(client, owner, "connectors") == ["Hex bolt M8"]
    assert await _titles(client, owner, "fasteners") == []
    assert await _titles(client, owner, "tools") == ["Torque wrench"]

    moved = await desk.patch(f"/categories/{other['id']}", {"parent_id": fasteners["id"]})
    assert moved.status_code == 200, moved.text  # a move alone changes no document
    assert await _titles(client, owner, "tools") == ["Torque wrench"]


async def test_tickets_are_found_by_number_subject_and_public_words_never_internal_notes(
    client: AsyncClient, identity: Identity, owner: Account
) -> None:
    desk = Desk(client, owner)
    ticket = await desk.ticket(subject="Printer jams", description="Paper jam in tray two")
    number = ticket["number"]
    for query in (f"QM-{number}", f"QM{number}", str(number)):
        assert (await _titles(client, owner, query))[0] == "Printer jams", query

    public = await desk.post(
        f"/tickets/{ticket['id']}/comments", {"body": "Please try the duplex unit"}
    )
    assert public.status_code == 201, public.text
    internal = await desk.post(
        f"/tickets/{ticket['id']}/comments",
        {"body": "Customer is a zebracorn fan", "internal": True},
    )
    assert internal.status_code == 201, internal.text
    assert await _titles(client, owner, "duplex") == ["Printer jams"]
    assert await _titles(client, owner, "zebracorn") == []

    detail = ok(await desk.get(f"/tickets/{ticket['id']}"))
    edited = await desk.patch(
        f"/tickets/{ticket['id']}",
        {"subject": "Scanner offline"},
        headers={"If-Match": f'"{detail["version"]}"'},
    )
    assert edited.status_code == 200, edited.text
    assert await _titles(client, owner, "scanner") == ["Scanner offline"]
    assert await _titles(client, owner, "printer ") == []

    outsider = await identity.signup("Elsewhere")
    assert await _titles(client, outsider, f"QM-{number}") == []


async def test_a_tickets_snippet_shows_its_words_not_its_markdown(
    client: AsyncClient, owner: Account
) -> None:
    desk = Desk(client, owner)
    ticket = await desk.ticket(
        subject="Label printer",
        description="The **platen** is worn: see [photo](https://x.example/p.jpg)",
    )
    reply = await desk.post(
        f"/tickets/{ticket['id']}/comments", {"body": "Order a *platen* kit & roller"}
    )
    assert reply.status_code == 201, reply.text

    response = await client.get(f"{API}/search", headers=owner.headers, params={"q": "platen"})
    (hit,) = ok(response)["items"]
    assert hit["snippet"].startswith(
        "<mark>platen</mark> is worn: see photo\n\nOrder a <mark>platen</mark> kit &amp; roller"
    )
    missing = await client.get(f"{API}/search", headers=owner.headers, params={"q": "p.jpg"})
    assert ok(missing)["items"] == []


async def test_imported_products_are_indexed_and_reimports_update_them(
    client: AsyncClient, owner: Account, settings: Settings
) -> None:
    jobs = Jobs(client, owner, settings)
    header = ["sku", "name", "unit", "barcode"]
    first = await jobs.import_products(
        csv_bytes(
            [
                header,
                ["DRL-1", "Cordless drill", "pcs", "4006381333931"],
                ["SAW-1", "Saw", "pcs", ""],
            ]
        )
    )
    assert first["status"] == "succeeded", first
    assert await _titles(client, owner, "drl-1") == ["Cordless drill"]
    assert await _titles(client, owner, "4006381333931") == ["Cordless drill"]

    again = await jobs.import_products(csv_bytes([header, ["drl-1", "Hammer drill", "pcs", ""]]))
    assert again["status"] == "succeeded", again
    assert await _titles(client, owner, "hammer") == ["Hammer drill"]
    assert await _titles(client, owner, "cordless ") == []
