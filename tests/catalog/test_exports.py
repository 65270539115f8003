"""GET /api/v1/exports/products.csv: every product of the tenant, streamed."""

from __future__ import annotations

import csv
import io
import uuid

from httpx import AsyncClient

from quartermaster.catalog.service.exports import PRODUCT_COLUMNS, product_csv
from quartermaster.core.db import Database
from quartermaster.core.settings import Settings
from tests.builders import problem
from tests.catalog.conftest import Catalog
from tests.identity.conftest import Identity


def parse(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8"))))


async def test_exports_every_product_with_its_category_path(
    catalog: Catalog, client: AsyncClient
) -> None:
    tools = await catalog.category("Tools")
    drills = await catalog.category("Drills", parent_id=tools["id"])
    await catalog.product(
        sku="B-2", name='Drill "Pro", 18V', category_id=drills["id"], barcode="4006381333931"
    )
    await catalog.product(sku="a-1", name="Box of screws", unit="box", attributes={"size": "M4"})
    archived = await catalog.product(sku="C-3", name="Old drill")
    await catalog.patch(f"/products/{archived['id']}", {"is_active": False})

    response = await client.get("/api/v1/exports/products.csv", headers=catalog.headers)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="products.csv"' in response.headers["content-disposition"]
    rows = parse(response.content)
    assert list(rows[0].keys()) == list(PRODUCT_COLUMNS)
    assert [r["sku"] for r in rows] == ["a-1", "B-2", "C-3"]  # case-insensitive SKU order
    by_sku = {r["sku"]: r for r in rows}
    assert by_sku["B-2"]["name"] == 'Drill "Pro", 18V'  # quoting survives the round trip
    assert by_sku["B-2"]["category"] == "Tools / Drills"
    assert by_sku["B-2"]["barcode"] == "4006381333931"
    assert by_sku["a-1"]["unit"] == "box"
    assert by_sku["a-1"]["attributes"] == '{"size": "M4"}'
    assert by_sku["a-1"]["category"] == ""
    assert by_sku["C-3"]["is_active"] == "false"


async def test_exports_only_the_callers_tenant(
    catalog: Catalog, identity: Identity, client: AsyncClient
) -> None:
    await catalog.product(sku="MINE-1", name="Mine")
    other = await identity.signup("Other Org")
    other_catalog = Catalog(client, other)
    await other_catalog.product(sku="THEIRS-1", name="Theirs")

    mine = parse(
        (await client.get("/api/v1/exports/products.csv", headers=catalog.headers)).content
    )
    theirs = parse(
        (await client.get("/api/v1/exports/products.csv", headers=other.headers)).content
    )

    assert [r["sku"] for r in mine] == ["MINE-1"]
    assert [r["sku"] for r in theirs] == ["THEIRS-1"]


async def test_export_needs_authentication(client: AsyncClient) -> None:
    problem(await client.get("/api/v1/exports/products.csv"), 401, "unauthenticated")


async def test_a_viewer_may_export(
    catalog: Catalog, identity: Identity, client: AsyncClient
) -> None:
    await catalog.product(sku="V-1", name="Visible")
    viewer = await identity.member(catalog.account, "viewer")
    response = await client.get("/api/v1/exports/products.csv", headers=viewer.headers)
    assert response.status_code == 200
    assert [r["sku"] for r in parse(response.content)] == ["V-1"]


async def test_the_export_streams_in_batches_not_one_buffer(
    catalog: Catalog, settings: Settings
) -> None:
    for n in range(5):
        await catalog.product(sku=f"S-{n}", name=f"Streamed {n}")
    database = Database(str(settings.database_url))
    try:
        chunks = [
            chunk
            async for chunk in product_csv(database, uuid.UUID(catalog.account.tenant_id), batch=2)
        ]
    finally:
        await database.dispose()
    # Header, then ceil(5 / 2) batches: rows are written as the cursor yields them.
    assert len(chunks) == 1 + 3
    assert len(parse(b"".join(chunks))) == 5
