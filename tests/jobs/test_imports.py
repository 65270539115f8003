"""Product import: upsert by SKU from the products export's columns, row errors reported,
malformed files changing nothing, dry runs writing nothing."""

from __future__ import annotations

from decimal import Decimal

from quartermaster.catalog.service.exports import PRODUCT_COLUMNS
from tests.builders import problem
from tests.catalog.conftest import ok
from tests.conftest import TestServices
from tests.identity.conftest import Account
from tests.jobs.conftest import API, Jobs, csv_bytes, products, tenant_rows

HEADER = ["sku", "name", "unit", "category", "barcode", "reorder_point", "attributes"]


class TestHappyPath:
    async def test_import_creates_products_with_categories_and_reports_counts(
        self, jobs: Jobs, owner: Account, services: TestServices
    ) -> None:
        content = csv_bytes(
            [
                HEADER,
                ["DRL-1", "Drill", "pcs", "Tools / Drills", "4006381333931", "5", '{"v": 18}'],
                ["SAW-1", "Saw", "pcs", "Tools", "", "0", ""],
                ["ROPE-1", "Rope", "m", "", "", "2.5", "{}"],
            ]
        )
        response = await jobs.upload(content)
        job = ok(response, 202)
        assert response.headers["Location"] == f"{API}/jobs/{job['id']}"
        assert job["status"] == "queued"
        assert job["kind"] == "product_import"
        assert job["params"]["file_name"] == "products.csv"

        from tests.jobs.conftest import run_queued_jobs

        await run_queued_jobs(jobs.settings)
        done = await jobs.job(job["id"])
        assert done["status"] == "succeeded", done
        assert done["progress"] == 100
        assert done["attempts"] == 1
        result = done["result"]
        assert (result["created"], result["updated"], result["skipped"]) == (3, 0, 0)
        assert result["errors"] == []
        assert sorted(result["categories_created"]) == ["Tools", "Tools / Drills"]

        found = await products(services, owner.tenant_id)
        assert set(found) == {"DRL-1", "SAW-1", "ROPE-1"}
        assert found["DRL-1"]["barcode"] == "4006381333931"
        assert found["DRL-1"]["reorder_point"] == Decimal(5)
        assert found["ROPE-1"]["unit_code"] == "m"
        assert found["ROPE-1"]["category_id"] is None
        categories = await tenant_rows(
            services, owner.tenant_id, "SELECT id, parent_id, name FROM categories"
        )
        by_name = {row["name"]: row for row in categories}
        assert by_name["Drills"]["parent_id"] == by_name["Tools"]["id"]
        assert found["DRL-1"]["category_id"] == by_name["Drills"]["id"]


async def _run(jobs: Jobs, rows: list[list[str]], *, dry_run: bool = False) -> dict[str, object]:
    return await jobs.import_products(csv_bytes(rows), dry_run=dry_run)


class TestRowErrors:
    async def test_rows_with_errors_are_skipped_and_reported_with_row_column_and_message(
        self, jobs: Jobs, owner: Account, services: TestServices
    ) -> None:
        ok(
            await jobs.client.post(
                f"{API}/products",
                headers=jobs.headers,
                json={"sku": "HELD", "name": "Holder", "barcode": "111"},
            ),
            201,
        )
        job = await _run(
            jobs,
            [
                HEADER,
                ["GOOD-1", "Good", "pcs", "", "", "1", ""],  # row 2
                ["", "No SKU", "pcs", "", "", "", ""],  # row 3
                ["BAD-UNIT", "Bad unit", "furlong", "", "", "", ""],  # row 4
                ["BAD-DEC", "Too precise", "pcs", "", "", "1.5", ""],  # row 5
                ["BAD-NUM", "Not a number", "pcs", "", "", "lots", ""],  # row 6
                ["BAD-JSON", "Bad attributes", "pcs", "", "", "", "{oops"],  # row 7
                ["BAD-BARCODE", "Taken barcode", "pcs", "", "111", "", ""],  # row 8
                ["GOOD-1", "Again", "pcs", "", "", "", ""],  # row 9
                ["NO-NAME", "", "pcs", "", "", "", ""],  # row 10
                ["SHORT", "Too few fields"],  # row 11
                ["GOOD-2", "Good too", "kg", "", "", "0.125", '{"a": [1, 2]}'],  # row 12
            ],
        )
        assert job["status"] == "succeeded", job
        result = job["result"]
        assert isinstance(result, dict)
        assert (result["created"], result["skipped"]) == (2, 9)
        errors = {(e["row"], e["column"]): e["message"] for e in result["errors"]}
        assert set(errors) == {
            (3, "sku"),
            (4, "unit"),
            (5, "reorder_point"),
            (6, "reorder_point"),
            (7, "attributes"),
            (8, "barcode"),
            (9, "sku"),
            (10, "name"),
            (11, None),
        }
        assert "furlong" in errors[(4, "unit")]
        assert "decimal places" in errors[(5, "reorder_point")]
        assert "JSON" in errors[(7, "attributes")]
        assert "row 2" in errors[(9, "sku")]
        assert "2 fields" in errors[(11, None)]
        assert result["error_count"] == 9
        assert result["errors_truncated"] is False
        found = await products(services, owner.tenant_id)
        assert set(found) == {"HELD", "GOOD-1", "GOOD-2"}
        assert found["GOOD-1"]["name"] == "Good"  # the repeated row 9 changed nothing
        assert found["GOOD-2"]["attributes"] == '{"a": [1, 2]}' or found["GOOD-2"][
            "attributes"
        ] == {"a": [1, 2]}


class TestBarcodeTypes:
    async def test_rows_are_checked_against_the_barcode_type_they_leave(
        self, jobs: Jobs, owner: Account, services: TestServices
    ) -> None:
        ok(
            await jobs.client.post(
                f"{API}/products",
                headers=jobs.headers,
                json={
                    "sku": "EAN-HELD",
                    "name": "Held",
                    "barcode": "4006381333931",
                    "barcode_type": "ean13",
                },
            ),
            201,
        )
        typed = await _run(
            jobs,
            [
                ["sku", "name", "barcode", "barcode_type"],
                ["GOOD", "Good", "96385074", "ean8"],
                ["BAD", "Bad", "123", "ean13"],
                ["FREE", "Free", "12", ""],  # empty: other, any code
            ],
        )
        assert typed["status"] == "succeeded", typed
        result = typed["result"]
        assert (result["created"], result["skipped"]) == (2, 1)
        assert [(e["row"], e["column"]) for e in result["errors"]] == [(3, "barcode")]
        assert "is not an EAN-13" in result["errors"][0]["message"]

        # Without a barcode_type column, the product's own type (ean13) decides.
        untyped = await _run(jobs, [["sku", "barcode"], ["EAN-HELD", "4006381333932"]])
        assert [(e["row"], e["column"]) for e in untyped["result"]["errors"]] == [(2, "barcode")]

        found = await products(services, owner.tenant_id)
        assert (found["GOOD"]["barcode"], found["GOOD"]["barcode_type"]) == ("96385074", "ean8")
        assert found["FREE"]["barcode_type"] == "other"
        assert "BAD" not in found
        assert found["EAN-HELD"]["barcode"] == "4006381333931"


class TestMalformedFiles:
    async def _assert_failed_and_nothing_written(
        self, jobs: Jobs, owner: Account, services: TestServices, content: bytes, expect: str
    ) -> None:
        job = await jobs.import_products(content)
        assert job["status"] == "failed", job
        assert expect in job["error"], job["error"]
        assert await products(services, owner.tenant_id) == {}
        assert await tenant_rows(services, owner.tenant_id, "SELECT id FROM categories") == []

    async def test_a_file_that_is_not_utf8_fails_naming_the_line_and_changes_nothing(
        self, jobs: Jobs, owner: Account, services: TestServices
    ) -> None:
        good = csv_bytes([["sku", "name", "category"]] + [[f"S{i}", "N", "C"] for i in range(120)])
        # Latin-1 "é" deep in the file, after rows that would have been imported.
        content = good + "S-LAST,Caf\xe9,C\r\n".encode("latin-1")
        await self._assert_failed_and_nothing_written(
            jobs, owner, services, content, "not UTF-8 text: byte 0xe9 on line 122"
        )

    async def test_a_file_without_the_sku_column_fails(
        self, jobs: Jobs, owner: Account, services: TestServices
    ) -> None:
        content = csv_bytes([["name", "unit"], ["Drill", "pcs"]])
        await self._assert_failed_and_nothing_written(
            jobs, owner, services, content, "no 'sku' column"
        )

    async def test_unknown_columns_fail_and_name_the_accepted_ones(
        self, jobs: Jobs, owner: Account, services: TestServices
    ) -> None:
        content = csv_bytes([["sku", "name", "reorder_pont"], ["A", "B", "1"]])
        await self._assert_failed_and_nothing_written(
            jobs, owner, services, content, "Unknown column(s) 'reorder_pont'"
        )

    async def test_a_semicolon_separated_file_gets_a_hint(
        self, jobs: Jobs, owner: Account, services: TestServices
    ) -> None:
        await self._assert_failed_and_nothing_written(
            jobs, owner, services, b"sku;name\r\nA;B\r\n", "use commas"
        )

    async def test_a_binary_file_fails(
        self, jobs: Jobs, owner: Account, services: TestServices
    ) -> None:
        content = b"sku,name\r\nA,B\r\n" + bytes(range(256)) * 4
        await self._assert_failed_and_nothing_written(jobs, owner, services, content, "binary")

    async def test_an_xlsx_workbook_fails_with_advice(
        self, jobs: Jobs, owner: Account, services: TestServices
    ) -> None:
        content = b"PK\x03\x04" + b"\x14\x00\x06\x00" + b"[Content_Types].xml" * 20
        await self._assert_failed_and_nothing_written(
            jobs, owner, services, content, "ZIP archive (an XLSX workbook?)"
        )

    async def test_an_empty_file_fails(
        self, jobs: Jobs, owner: Account, services: TestServices
    ) -> None:
        await self._assert_failed_and_nothing_written(jobs, owner, services, b"", "empty")

    async def test_broken_csv_quoting_fails(
        self, jobs: Jobs, owner: Account, services: TestServices
    ) -> None:
        content = b'sku,name\r\nA,"B\r\nC,D"x\r\n'
        await self._assert_failed_and_nothing_written(
            jobs, owner, services, content, "not valid CSV"
        )


class TestDryRun:
    async def test_a_dry_run_reports_what_would_happen_and_writes_nothing(
        self, jobs: Jobs, owner: Account, services: TestServices
    ) -> None:
        ok(
            await jobs.client.post(
                f"{API}/products", headers=jobs.headers, json={"sku": "OLD", "name": "Old"}
            ),
            201,
        )
        before = await products(services, owner.tenant_id)
        job = await _run(
            jobs,
            [
                HEADER,
                ["NEW-1", "New", "pcs", "Tools / Drills", "", "1", ""],
                ["old", "Old renamed", "pcs", "", "", "0", ""],
                ["BAD", "Bad", "furlong", "", "", "", ""],
            ],
            dry_run=True,
        )
        assert job["status"] == "succeeded", job
        result = job["result"]
        assert isinstance(result, dict)
        assert result["dry_run"] is True
        assert (result["created"], result["updated"], result["skipped"]) == (1, 1, 1)
        assert result["categories_created"] == ["Tools", "Tools / Drills"]
        assert await products(services, owner.tenant_id) == before
        assert await tenant_rows(services, owner.tenant_id, "SELECT id FROM categories") == []
        events = await tenant_rows(
            services, owner.tenant_id, "SELECT type FROM outbox_events WHERE type LIKE 'catalog.%'"
        )
        assert [e["type"] for e in events] == ["catalog.product.created"]  # only OLD's


class TestReimport:
    async def test_importing_again_updates_by_sku_case_insensitively_and_never_duplicates(
        self, jobs: Jobs, owner: Account, services: TestServices
    ) -> None:
        rows = [HEADER] + [
            [f"SKU-{i:03d}", f"Item {i}", "pcs", "A / B", "", "1", ""] for i in range(120)
        ]
        first = await _run(jobs, rows)
        assert first["result"]["created"] == 120  # type: ignore[index]
        again = await _run(jobs, rows)
        assert again["result"]["unchanged"] == 120  # type: ignore[index]
        assert (again["result"]["created"], again["result"]["updated"]) == (0, 0)  # type: ignore[index]

        changed = [["sku", "name"], ["sku-007", "Item seven"], ["SKU-008", "Item eight"]]
        third = await _run(jobs, changed)
        assert (third["result"]["created"], third["result"]["updated"]) == (0, 2)  # type: ignore[index]

        found = await products(services, owner.tenant_id)
        assert len(found) == 120
        assert found["sku-007"]["name"] == "Item seven"  # the file's SKU spelling wins
        assert found["sku-007"]["version"] == 2
        # Columns left out of the file kept their values.
        assert found["sku-007"]["reorder_point"] == Decimal(1)
        assert found["sku-007"]["category_id"] == found["SKU-000"]["category_id"] is not None
        counts = await tenant_rows(
            services,
            owner.tenant_id,
            "SELECT count(*) AS n, count(DISTINCT lower(sku)) AS d FROM products",
        )
        assert counts == [{"n": 120, "d": 120}]

    async def test_the_products_export_imports_back_unchanged(
        self, jobs: Jobs, owner: Account, services: TestServices
    ) -> None:
        await _run(
            jobs,
            [
                [*HEADER, "description", "reorder_quantity", "is_active"],
                [
                    "X-1",
                    "First",
                    "kg",
                    "Food / Dry",
                    "123",
                    "0.5",
                    '{"b": 1}',
                    "Line 1\nLine 2",
                    "3",
                    "false",
                ],
                ["X-2", "Second", "pcs", "", "", "0", "", "", "0", "true"],
            ],
        )
        export = await jobs.client.get(f"{API}/exports/products.csv", headers=jobs.headers)
        assert export.status_code == 200
        assert list(PRODUCT_COLUMNS) == export.text.splitlines()[0].split(",")
        again = await jobs.import_products(export.content)
        assert again["status"] == "succeeded", again
        assert again["result"]["unchanged"] == 2, again["result"]


class TestHostileCells:
    """Cells that used to crash the job (RecursionError) or reach PostgreSQL (NUL,
    lone surrogates through JSON escapes) are row errors; the other rows go in."""

    async def test_deep_nul_and_surrogate_attributes_are_row_errors(
        self, jobs: Jobs, owner: Account, services: TestServices
    ) -> None:
        deep = "[" * 1500 + "]" * 1500
        job = await _run(
            jobs,
            [
                HEADER,
                ["DEEP", "Deep", "pcs", "", "", "", '{"a": ' + deep + "}"],  # row 2
                ["NUL", "Nul", "pcs", "", "", "", '{"a": "x\\u0000y"}'],  # row 3
                ["KEY", "Key", "pcs", "", "", "", '{"\\u0000": 1}'],  # row 4
                ["SURROGATE", "Surrogate", "pcs", "", "", "", '{"a": "\\ud800"}'],  # row 5
                ["NESTED", "Nested", "pcs", "", "", "", '{"a": ' + "[" * 40 + "]" * 40 + "}"],
                ["FINE", "Fine", "pcs", "", "", "", '{"a": {"b": ["c"]}}'],  # row 7
            ],
        )
        assert job["status"] == "succeeded", job
        errors = {e["row"]: (e["column"], e["message"]) for e in job["result"]["errors"]}
        assert set(errors) == {2, 3, 4, 5, 6}
        assert {column for column, _ in errors.values()} == {"attributes"}
        assert "NUL" in errors[3][1]
        assert "NUL" in errors[4][1]
        assert "surrogate" in errors[5][1]
        assert "32 levels" in errors[2][1]
        assert "32 levels" in errors[6][1]
        assert set(await products(services, owner.tenant_id)) == {"FINE"}


async def test_an_upload_whose_file_name_holds_a_nul_is_a_422(jobs: Jobs) -> None:
    body = (
        b"--b\r\n"
        b'Content-Disposition: form-data; name="file"; filename="prod\x00ucts.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\n" + csv_bytes([HEADER]) + b"\r\n--b--\r\n"
    )
    response = await jobs.client.post(
        f"{API}/imports/products",
        headers={**jobs.headers, "content-type": "multipart/form-data; boundary=b"},
        content=body,
    )
    problem(response, 422, "invalid-text")
    assert response.json()["errors"][0]["field"] == "file"
