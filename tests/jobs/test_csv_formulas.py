"""CSV formula injection: every CSV the app writes neutralises cells a spreadsheet would
run (OWASP: a leading quote before =, +, -, @, tab, CR), plain numbers stay numbers, and
the product import reads its own export back unchanged."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from quartermaster.core.csvtext import csv_bytes, csv_cell_value, neutralised
from tests.catalog.conftest import ok
from tests.conftest import TestServices
from tests.identity.conftest import Account
from tests.inventory.conftest import Inventory
from tests.jobs.conftest import API, Jobs, products, run_queued_jobs

FORMULAS = [
    '=HYPERLINK("http://evil.example","click")',
    "=cmd|' /C calc'!A0",
    "+1+2",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(A1:A2)",
    "\tleading tab",
    "\rleading CR",
    "'=already quoted",
]
DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _assert_safe(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            if cell.startswith(DANGEROUS_STARTS):
                # Only plain numbers may start with a minus sign.
                assert cell.startswith("-"), cell
                assert cell[1:].replace(".", "", 1).isdigit(), cell


@given(st.text())
def test_every_cell_reads_back_as_written(value: str) -> None:
    assert csv_cell_value(neutralised(value)) == value
    assert not neutralised(value).startswith(DANGEROUS_STARTS) or neutralised(value) == value


def test_plain_negative_numbers_stay_numbers() -> None:
    assert _cells(csv_bytes([["-5", "-0.25", "-5 apples", "=1"]]).decode()) == [
        ["-5", "-0.25", "'-5 apples", "'=1"]
    ]


async def test_the_products_export_neutralises_formulas_and_imports_back_unchanged(
    jobs: Jobs, owner: Account, services: TestServices
) -> None:
    catalog = Inventory(jobs.client, owner)
    for index, formula in enumerate(FORMULAS):
        await catalog.product(
            sku=f"F-{index}", name=formula, description=formula, attributes={"note": formula}
        )
    await catalog.product(sku="=SKU", name="sku formula", barcode="@123")
    export = await jobs.client.get(f"{API}/exports/products.csv", headers=jobs.headers)
    assert export.status_code == 200
    rows = _cells(export.text)
    _assert_safe(rows)
    names = {row[0]: row[1] for row in rows[1:]}
    assert names["F-0"] == "'" + FORMULAS[0]
    assert names["F-7"] == "''=already quoted"
    assert "'=SKU" in names

    before = await products(services, owner.tenant_id)
    again = await jobs.import_products(export.content)
    assert again["status"] == "succeeded", again
    assert again["result"]["unchanged"] == len(FORMULAS) + 1, again["result"]
    after = await products(services, owner.tenant_id)
    assert after == before
    assert after["=SKU"]["barcode"] == "@123"


async def test_the_stock_level_exports_neutralise_formulas_and_keep_negative_numbers(
    jobs: Jobs, owner: Account
) -> None:
    stock = Inventory(jobs.client, owner)
    warehouse = await stock.warehouse("MAIN")
    bin_a = await stock.location(warehouse["id"], "A-01", allow_negative=True)
    product = await stock.product(sku="+SKU", name='=HYPERLINK("x")')
    issue = {
        "kind": "issue",
        "product_id": product["id"],
        "from_location_id": bin_a["id"],
        "quantity": "5",
    }
    ok(await stock.move(issue), 201)
    streamed = await jobs.client.get(f"{API}/exports/stock-levels.csv", headers=jobs.headers)
    job = ok(await jobs.client.post(f"{API}/exports/stock-levels", headers=jobs.headers), 202)
    await run_queued_jobs(jobs.settings)
    download = await jobs.result(job["id"])
    for text in (streamed.text, download.text):
        header, row = _cells(text)
        _assert_safe([header, row])
        record = dict(zip(header, row, strict=True))
        assert (record["sku"], record["name"]) == ("'+SKU", '\'=HYPERLINK("x")')
        assert (record["on_hand"], record["available"]) == ("-5", "-5")


async def test_the_movements_export_neutralises_references_reasons_and_notes(
    jobs: Jobs, owner: Account
) -> None:
    stock = Inventory(jobs.client, owner)
    warehouse = await stock.warehouse("MAIN")
    product = await stock.product()
    body = {
        "lines": [
            {
                "kind": "adjustment",
                "product_id": product["id"],
                "to_location_id": warehouse["default_location_id"],
                "quantity": "2",
                "reason": "@reason",
            }
        ],
        "reference": "=cmd|' /C calc'!A0",
        "note": "+note",
    }
    ok(await stock.move(body), 201)
    params = {"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"}
    job = ok(
        await jobs.client.post(f"{API}/exports/movements", headers=jobs.headers, params=params),
        202,
    )
    await run_queued_jobs(jobs.settings)
    header, row = _cells((await jobs.result(job["id"])).text)
    _assert_safe([header, row])
    record = dict(zip(header, row, strict=True))
    assert record["reference"] == "'=cmd|' /C calc'!A0"
    assert (record["reason"], record["note"]) == ("'@reason", "'+note")
