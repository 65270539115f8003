"""Reading a product import file: the pre-pass that refuses a malformed file before
anything is written, and the parsing and checking of each row (see ``imports``)."""

from __future__ import annotations

import array
import codecs
import csv
import hashlib
import itertools
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from quartermaster.catalog import repository
from quartermaster.catalog.schemas import (
    Barcode,
    BarcodeType,
    Name,
    Quantity,
    Sku,
    UnitCode,
)
from quartermaster.catalog.service.exports import PRODUCT_COLUMNS
from quartermaster.core.csvtext import csv_cell_value
from quartermaster.core.inputs import MAX_ATTRIBUTE_DEPTH, CellFlag, JsonObject

if TYPE_CHECKING:
    from _csv import Reader

IGNORED_COLUMNS = ("created_at", "updated_at")
IMPORT_COLUMNS = tuple(c for c in PRODUCT_COLUMNS if c not in IGNORED_COLUMNS)
KEEP_WHEN_EMPTY = ("name", "unit")  # an empty cell keeps the product's value
DEFAULT_UNIT = "pcs"
MAX_ERRORS = 1000
MAX_LISTED_CATEGORIES = 100
READ_BLOCK = 1024 * 1024
SNIFF_BYTES = 8192
PATH_SEPARATOR = repository.PATH_SEPARATOR
# Product columns an import may set (file column → product attribute).
SETTABLE = {
    "sku": "sku",
    "name": "name",
    "description": "description",
    "category": "category_id",
    "unit": "unit_code",
    "barcode": "barcode",
    "barcode_type": "barcode_type",
    "reorder_point": "reorder_point",
    "reorder_quantity": "reorder_quantity",
    "is_active": "is_active",
    "attributes": "attributes",
}


class MalformedFile(Exception):
    """The file cannot be imported at all; ``message`` says why, for the job's error."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# The file check (a pre-pass: nothing is written before it passed)


@dataclass(frozen=True)
class FileShape:
    columns: tuple[str, ...]
    rows: int
    repeated_skus: frozenset[int]
    repeated_barcodes: frozenset[int]


def _digest(value: str) -> int:
    return int.from_bytes(hashlib.blake2b(value.encode(), digest_size=8).digest(), "big")


def _repeated(digests: array.array[int]) -> frozenset[int]:
    ordered = sorted(digests)
    return frozenset(a for a, b in itertools.pairwise(ordered) if a == b)


_SIGNATURES = (
    (b"PK\x03\x04", "a ZIP archive (an XLSX workbook?)"),
    (b"\xd0\xcf\x11\xe0", "an Excel 97-2003 workbook"),
    (b"%PDF", "a PDF document"),
    (b"\xff\xfe", "UTF-16 text"),
    (b"\xfe\xff", "UTF-16 text"),
)
SAVE_AS = "Save it as CSV (UTF-8) and upload it again."


def _check_encoding(path: Path) -> None:
    """Binary content or any byte that is not UTF-8 fails, naming the line."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
        if not head:
            raise MalformedFile("The file is empty.")
        for signature, what in _SIGNATURES:
            if head.startswith(signature):
                raise MalformedFile(f"The file is {what}, not CSV text. {SAVE_AS}")
        block = head
        while block:
            nul = block.find(b"\x00")
            if nul >= 0:
                line += block.count(b"\n", 0, nul)
                raise MalformedFile(
                    f"The file contains binary data (a NUL byte on line {line}); it is not "
                    f"CSV text. {SAVE_AS}"
                )
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                line += block.count(b"\n", 0, exc.start)
                raise MalformedFile(
                    f"The file is not UTF-8 text: byte 0x{block[exc.start]:02x} on line {line} "
                    f"is not valid UTF-8. {SAVE_AS}"
                ) from exc
            line += block.count(b"\n")
            block = handle.read(READ_BLOCK)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise MalformedFile(
                f"The file is not UTF-8 text: it ends inside a character (line {line}). {SAVE_AS}"
            ) from exc


def _open_csv(path: Path) -> tuple[TextIO, Reader]:
    handle = path.open("r", encoding="utf-8-sig", newline="")
    return handle, csv.reader(handle, strict=True)


def _header(reader: Reader) -> tuple[str, ...]:
    try:
        raw = next(reader)
    except StopIteration as exc:
        raise MalformedFile("The file is empty.") from exc
    columns = tuple(name.strip().lower() for name in raw)
    accepted = ", ".join(PRODUCT_COLUMNS)
    if not any(columns):
        raise MalformedFile(f"The first line must name the columns: {accepted}.")
    unknown = [name for name in columns if name not in PRODUCT_COLUMNS]
    if unknown:
        hint = ""
        if len(columns) == 1 and (";" in raw[0] or "\t" in raw[0]):
            hint = " The file seems to separate columns with ';' or tabs; use commas."
        listed = ", ".join(f"'{name}'" for name in unknown)
        raise MalformedFile(
            f"Unknown column(s) {listed} in the header. The columns are those of the "
            f"products export: {accepted}.{hint}"
        )
    repeated = sorted({name for name in columns if columns.count(name) > 1})
    if repeated:
        raise MalformedFile(f"Column(s) {', '.join(repeated)} appear more than once.")
    if "sku" not in columns:
        raise MalformedFile(
            "The header has no 'sku' column; products are matched by SKU. "
            f"The columns are: {accepted}."
        )
    return columns


def inspect_file(path: Path) -> FileShape:
    """Read the whole file once, writing nothing: encoding, header and CSV syntax, the
    number of rows, and which SKUs and barcodes occur more than once. Blocking (run it in
    a thread). Raises :class:`MalformedFile`."""
    _check_encoding(path)
    handle, reader = _open_csv(path)
    with handle:
        columns = _header(reader)
        sku_at = columns.index("sku")
        barcode_at = columns.index("barcode") if "barcode" in columns else None
        skus: array.array[int] = array.array("Q")
        barcodes: array.array[int] = array.array("Q")
        rows = 0
        try:
            for record in reader:
                rows += 1
                if len(record) != len(columns):
                    continue  # a row error, reported when the row is applied
                if sku := csv_cell_value(record[sku_at]).strip().lower():
                    skus.append(_digest(sku))
                if barcode_at is not None and (
                    barcode := csv_cell_value(record[barcode_at]).strip()
                ):
                    barcodes.append(_digest(barcode))
        except csv.Error as exc:
            raise MalformedFile(
                f"The file is not valid CSV (line {reader.line_num}): {exc}."
            ) from exc
    return FileShape(columns, rows, _repeated(skus), _repeated(barcodes))


# Rows


class ImportedRow(BaseModel):
    """One row's values, validated like the product API validates them."""

    model_config = ConfigDict(extra="forbid")

    sku: Sku
    name: Name | None = None
    description: Annotated[str | None, Field(max_length=10_000)] = None
    category: Annotated[str | None, Field(max_length=5_000)] = None
    unit: UnitCode | None = None
    barcode: Barcode | None = None
    barcode_type: BarcodeType = BarcodeType.OTHER
    reorder_point: Quantity = Decimal(0)
    reorder_quantity: Quantity = Decimal(0)
    is_active: CellFlag = True
    attributes: JsonObject = Field(default_factory=dict)


@dataclass
class RowError:
    row: int
    column: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class Candidate:
    """A row that passed the checks that need no database."""

    row: int
    key: str  # lower-cased SKU
    data: ImportedRow
    fields: frozenset[str]  # the file columns this row sets
    category_path: tuple[str, ...] | None


class RepeatTracker:
    """Which row first used each SKU/barcode that the file repeats (few, usually none)."""

    def __init__(self, repeated: frozenset[int]) -> None:
        self.repeated = repeated
        self.first: dict[str, int] = {}

    def first_row(self, value: str, row: int) -> int | None:
        """None when ``row`` is the first with ``value``; else that first row."""
        if not self.repeated or _digest(value) not in self.repeated:
            return None
        first = self.first.setdefault(value, row)
        return None if first == row else first


def _category_path(value: str, row: int, errors: list[RowError]) -> tuple[str, ...] | None:
    names = tuple(part.strip() for part in value.split(PATH_SEPARATOR.strip()))
    if any(not name or len(name) > 200 for name in names):
        errors.append(
            RowError(
                row,
                "category",
                f"'{value}' is not a category path: names of 1 to 200 characters separated "
                f"by '{PATH_SEPARATOR}', e.g. 'Tools / Drills'.",
            )
        )
        return None
    return names


def parse_row(
    row: int,
    record: list[str],
    columns: tuple[str, ...],
    skus: RepeatTracker,
    barcodes: RepeatTracker,
) -> tuple[Candidate | None, list[RowError]]:
    """Check one CSV record without the database."""
    if len(record) != len(columns):
        return None, [
            RowError(row, None, f"The row has {len(record)} fields; the header has {len(columns)}.")
        ]
    # Cells our exports neutralised ("'=…") read back as what was exported.
    cells = {name: csv_cell_value(cell) for name, cell in zip(columns, record, strict=True)}
    errors: list[RowError] = []
    values: dict[str, Any] = {}
    fields = set()
    for name in IMPORT_COLUMNS:
        if name not in cells:
            continue
        value = cells[name].strip() if name != "description" else cells[name]
        if value == "" or (name == "description" and not value.strip()):
            if name in KEEP_WHEN_EMPTY:
                continue
            fields.add(name)
            continue  # the field's empty value (the model's default)
        fields.add(name)
        if name == "attributes":
            try:
                values[name] = json.loads(value)
            except json.JSONDecodeError as exc:
                errors.append(RowError(row, name, f"Not valid JSON: {exc.msg}."))
                continue
            except RecursionError:
                message = f"Nested more than {MAX_ATTRIBUTE_DEPTH} levels deep."
                errors.append(RowError(row, name, message))
                continue
            if not isinstance(values[name], dict):
                errors.append(RowError(row, name, 'Must be a JSON object, e.g. {"color": "red"}.'))
                del values[name]
        else:
            values[name] = value
    try:
        data = ImportedRow.model_validate(values)
    except ValidationError as exc:
        for error in exc.errors():
            column = str(error["loc"][0]) if error["loc"] else None
            errors.append(RowError(row, column, str(error["msg"])))
        return None, errors
    if errors:
        return None, errors
    key = data.sku.lower()
    first = skus.first_row(key, row)
    if first is not None:
        errors.append(RowError(row, "sku", f"SKU '{data.sku}' is also on row {first}."))
    if data.barcode is not None:
        first = barcodes.first_row(data.barcode, row)
        if first is not None:
            errors.append(
                RowError(row, "barcode", f"Barcode '{data.barcode}' is also on row {first}.")
            )
    path = None
    if data.category is not None:
        path = _category_path(data.category, row, errors)
    if errors:
        return None, errors
    return Candidate(row, key, data, frozenset(fields), path), []
