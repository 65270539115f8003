"""Product import from CSV: upsert by SKU, row by row validated, chunk by chunk committed.

The file has the columns of the products export (``exports.PRODUCT_COLUMNS``; ``sku``
required, ``created_at``/``updated_at`` accepted and ignored), so an export round-trips.

Rules (README "Imports" says the same to users):
- **Nothing is written for a malformed file.** Before the first write, :func:`inspect_file`
  reads the whole file: binary content (ZIP/XLSX, NUL bytes), any byte that is not UTF-8
  (with its line), a missing/unknown/duplicate header column or a CSV syntax error fail
  the job and change nothing. Only then are rows applied.
- **Rows are applied in chunks**, each chunk one transaction that also records the job's
  checkpoint (rows done, counts, errors), so a crashed import resumes after its last
  committed chunk and counts nothing twice; upsert by SKU makes even a redone chunk
  harmless. Memory stays flat: the file is streamed, one chunk is held at a time, plus 8
  bytes per row to find repeated SKUs and barcodes.
- **Upsert by SKU** (case-insensitive): a new SKU creates a product; an existing one gets
  the columns present in the file (columns left out stay as they are). Empty cells: name
  and unit keep the product's value (a new product needs a name; its unit defaults to
  ``pcs``); description, category and barcode become empty; reorder numbers become 0;
  ``is_active`` true; attributes ``{}``. A row that changes nothing changes nothing (no new
  version, no event).
- **Categories** are paths (``Tools / Drills``); missing ones are created, parents first.
- **Row errors** (row number as a spreadsheet shows it — the header is row 1 —, column,
  message) skip that row only; the first 1,000 are kept in the result with the total.
  A SKU or barcode repeated in the file is an error on its later rows.
- **Events**: one ``catalog.product.imported`` event per committed chunk (counts, row
  range), not one per product: 100,000 events would flood every live client for no use.
- **Dry run** validates everything the same way and writes nothing but the job's
  progress; its counts say what the import would do.
"""

from __future__ import annotations

import array
import asyncio
import codecs
import csv
import hashlib
import itertools
import json
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Protocol, TextIO

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.catalog import repository
from quartermaster.catalog.events import CatalogEvents
from quartermaster.catalog.models import Product
from quartermaster.catalog.schemas import (
    DEFAULT_UNITS,
    Barcode,
    Name,
    Quantity,
    Sku,
    UnitCode,
)
from quartermaster.catalog.service.exports import PRODUCT_COLUMNS
from quartermaster.catalog.service.units import ensure_default_units
from quartermaster.core.clock import utcnow
from quartermaster.core.db import Database
from quartermaster.core.events import emit
from quartermaster.core.ids import new_id

if TYPE_CHECKING:
    from _csv import Reader

PRODUCT_IMPORT = "product_import"

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
                if sku := record[sku_at].strip().lower():
                    skus.append(_digest(sku))
                if barcode_at is not None and (barcode := record[barcode_at].strip()):
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
    reorder_point: Quantity = Decimal(0)
    reorder_quantity: Quantity = Decimal(0)
    is_active: bool = True
    attributes: dict[str, Any] = Field(default_factory=dict)


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
    cells = dict(zip(columns, record, strict=True))
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


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


# The run


@dataclass
class ImportState:
    """What the import has done so far; the job's checkpoint (JSON) between chunks."""

    next_row: int = 2  # the first row not yet applied (the header is row 1)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    error_count: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    categories_created: list[str] = field(default_factory=list)
    categories_created_count: int = 0

    @classmethod
    def load(cls, data: dict[str, Any] | None) -> ImportState:
        return cls(**data) if data else cls()

    def dump(self) -> dict[str, Any]:
        return {
            "next_row": self.next_row,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "error_count": self.error_count,
            "errors": list(self.errors),
            "categories_created": list(self.categories_created),
            "categories_created_count": self.categories_created_count,
        }

    def add_errors(self, errors: list[RowError]) -> None:
        self.error_count += len(errors)
        room = MAX_ERRORS - len(self.errors)
        if room > 0:
            self.errors.extend(error.as_dict() for error in errors[:room])

    def result(self, rows: int, *, dry_run: bool) -> dict[str, Any]:
        return {
            "dry_run": dry_run,
            "rows": rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "categories_created": self.categories_created,
            "categories_created_count": self.categories_created_count,
            "error_count": self.error_count,
            "errors": self.errors,
            "errors_truncated": self.error_count > len(self.errors),
        }


class Checkpoint(Protocol):
    """Records progress and state in the transaction of the chunk (``JobRun.checkpoint``);
    raises to stop the import (cancelled, superseded) and roll the chunk back."""

    def __call__(
        self, session: AsyncSession, *, fraction: float, state: dict[str, Any] | None = None
    ) -> Awaitable[None]: ...


class CategoryIndex:
    """Category paths (case-insensitive) → ids, loaded once, grown as the import creates
    categories. In a dry run, missing categories get no id; they are only counted."""

    def __init__(self, nodes: list[tuple[uuid.UUID, uuid.UUID | None, str]]) -> None:
        self.ids: dict[tuple[str, ...], uuid.UUID | None] = {}
        children: dict[uuid.UUID | None, list[tuple[uuid.UUID, str]]] = {}
        for node_id, parent_id, name in nodes:
            children.setdefault(parent_id, []).append((node_id, name))
        stack: list[tuple[uuid.UUID | None, tuple[str, ...]]] = [(None, ())]
        while stack:
            parent, prefix = stack.pop()
            for node_id, name in children.get(parent, []):
                path = (*prefix, name.lower())
                self.ids[path] = node_id
                stack.append((node_id, path))

    async def resolve(
        self,
        session: AsyncSession,
        tenant_id: uuid.UUID,
        names: tuple[str, ...],
        state: ImportState,
        *,
        dry_run: bool,
    ) -> uuid.UUID | None:
        parent: uuid.UUID | None = None
        for depth in range(1, len(names) + 1):
            key = tuple(name.lower() for name in names[:depth])
            if key in self.ids:
                parent = self.ids[key]
                continue
            if dry_run:
                parent = None
            else:
                parent = await repository.insert_category_unless_taken(
                    session, tenant_id, parent, names[depth - 1], utcnow()
                )
            self.ids[key] = parent
            state.categories_created_count += 1
            if len(state.categories_created) < MAX_LISTED_CATEGORIES:
                state.categories_created.append(PATH_SEPARATOR.join(names[:depth]))
        return parent


@dataclass
class ProductImport:
    database: Database
    tenant_id: uuid.UUID
    import_id: uuid.UUID
    columns: tuple[str, ...]
    dry_run: bool
    state: ImportState
    categories: CategoryIndex | None = None

    @property
    def update_columns(self) -> list[str]:
        return [SETTABLE[name] for name in self.columns if name in SETTABLE]

    async def apply_chunk(
        self,
        candidates: list[Candidate],
        errors: list[RowError],
        rows: tuple[int, int],
        checkpoint: Checkpoint,
        fraction: float,
    ) -> None:
        """Apply one chunk in one transaction, with its checkpoint. A unique violation from
        a concurrent writer (a SKU or barcode taken meanwhile) redoes the chunk once; the
        second pass sees the committed rows and reports them as row errors."""
        for attempt in (1, 2):
            before = ImportState.load(self.state.dump())
            try:
                async with self.database.transaction(self.tenant_id) as session:
                    await self._apply(session, candidates, list(errors), rows)
                    self.state.next_row = rows[1] + 1
                    await checkpoint(session, fraction=fraction, state=self.state.dump())
                return
            except IntegrityError:
                self.state = before
                self.categories = None  # categories created in the rolled-back pass
                if attempt == 2:
                    raise
            except BaseException:
                self.state = before
                raise

    async def _apply(
        self,
        session: AsyncSession,
        candidates: list[Candidate],
        errors: list[RowError],
        rows: tuple[int, int],
    ) -> None:
        tenant_id, state = self.tenant_id, self.state
        if self.categories is None:
            self.categories = CategoryIndex(await repository.category_nodes(session, tenant_id))
        if not self.dry_run:
            await ensure_default_units(session, tenant_id)
        units = await repository.unit_decimals(session, tenant_id)
        if self.dry_run:
            units = {code: decimals for code, _, decimals in DEFAULT_UNITS} | units
        existing = await repository.products_by_sku_keys(
            session, tenant_id, [c.key for c in candidates]
        )
        barcodes = [c.data.barcode for c in candidates if c.data.barcode and "barcode" in c.fields]
        owners = await repository.barcode_owners(session, tenant_id, barcodes)
        now = utcnow()
        upserts: list[dict[str, Any]] = []
        for candidate in candidates:
            row_errors: list[RowError] = []
            values = await self._values(
                session, candidate, existing.get(candidate.key), units, owners, row_errors
            )
            if row_errors or values is None:
                errors.extend(row_errors)
                continue
            product = existing.get(candidate.key)
            if product is not None and all(
                getattr(product, attribute) == values[attribute]
                for attribute in self.update_columns
            ):
                state.unchanged += 1
                continue
            if self.dry_run:
                if product is None:
                    state.created += 1
                else:
                    state.updated += 1
                continue
            upserts.append({**values, "id": new_id()})
        skipped_rows = {error.row for error in errors}
        state.skipped += len(skipped_rows)
        state.add_errors(sorted(errors, key=lambda e: e.row))
        if not upserts:
            return
        outcome = await repository.upsert_products(
            session, tenant_id, upserts, self.update_columns, now
        )
        created = sum(1 for _, inserted in outcome if inserted)
        state.created += created
        state.updated += len(outcome) - created
        await emit(
            session,
            tenant_id,
            CatalogEvents.PRODUCTS_IMPORTED,
            {
                "import_id": str(self.import_id),
                "created": created,
                "updated": len(outcome) - created,
                "first_row": rows[0],
                "last_row": rows[1],
            },
        )

    async def _values(
        self,
        session: AsyncSession,
        candidate: Candidate,
        product: Product | None,
        units: dict[str, int],
        owners: dict[str, str],
        errors: list[RowError],
    ) -> dict[str, Any] | None:
        """The product's columns after this row (insert values for a new product, the
        current values for the columns the row does not set), or None with errors."""
        data, fields, row = candidate.data, candidate.fields, candidate.row
        if product is None and data.name is None:
            errors.append(RowError(row, "name", "A new product needs a name."))
            return None
        unit = data.unit or (product.unit_code if product else DEFAULT_UNIT)
        if unit not in units:
            errors.append(
                RowError(
                    row,
                    "unit",
                    f"There is no unit '{unit}' in this organization; create it first "
                    "(POST /api/v1/units).",
                )
            )
            return None
        values: dict[str, Any] = {
            "sku": data.sku,
            "name": data.name or (product.name if product else None),
            "description": data.description if "description" in fields else None,
            "category_id": None,
            "unit_code": unit,
            "barcode": data.barcode if "barcode" in fields else None,
            "attributes": data.attributes,
            "reorder_point": data.reorder_point,
            "reorder_quantity": data.reorder_quantity,
            "is_active": data.is_active,
        }
        if product is not None:
            # Columns absent from the file keep the product's values.
            for name, attribute in SETTABLE.items():
                if name not in self.columns:
                    values[attribute] = getattr(product, attribute)
        for name in ("reorder_point", "reorder_quantity"):
            if _decimals(values[name]) > units[unit]:
                errors.append(
                    RowError(
                        row,
                        name if name in fields else "unit",
                        f"{name} may have at most {units[unit]} decimal places in unit '{unit}'.",
                    )
                )
        barcode = values["barcode"]
        if "barcode" in fields and barcode is not None:
            owner = owners.get(barcode)
            if owner is not None and owner != candidate.key:
                errors.append(
                    RowError(row, "barcode", f"Barcode '{barcode}' belongs to another product.")
                )
        if errors:
            return None
        if "category" in self.columns:
            if candidate.category_path is None:
                values["category_id"] = None
            else:
                assert self.categories is not None
                values["category_id"] = await self.categories.resolve(
                    session,
                    self.tenant_id,
                    candidate.category_path,
                    self.state,
                    dry_run=self.dry_run,
                )
        return values


class _Rows:
    """The file's records after the header, numbered as a spreadsheet numbers them."""

    def __init__(self, path: Path) -> None:
        self.handle, self.reader = _open_csv(path)
        next(self.reader)  # the header, checked by inspect_file
        self.row = 1

    def take(self, count: int) -> list[tuple[int, list[str]]]:
        taken = []
        for record in self.reader:
            self.row += 1
            taken.append((self.row, record))
            if len(taken) == count:
                break
        return taken

    def close(self) -> None:
        self.handle.close()


async def import_products(
    database: Database,
    tenant_id: uuid.UUID,
    path: Path,
    *,
    import_id: uuid.UUID,
    dry_run: bool,
    chunk_rows: int,
    resume: dict[str, Any] | None,
    checkpoint: Checkpoint,
) -> dict[str, Any]:
    """Import the CSV at ``path`` into the tenant's catalog (see the module doc); returns
    the result. ``resume`` is the last checkpoint's state of an earlier attempt. Raises
    :class:`MalformedFile` before writing anything when the file cannot be imported."""
    try:
        shape = await asyncio.to_thread(inspect_file, path)
    except FileNotFoundError as exc:
        raise MalformedFile("The uploaded file is no longer available; upload it again.") from exc
    state = ImportState.load(resume)
    job = ProductImport(database, tenant_id, import_id, shape.columns, dry_run, state)
    skus, barcodes = RepeatTracker(shape.repeated_skus), RepeatTracker(shape.repeated_barcodes)
    rows = await asyncio.to_thread(_Rows, path)
    try:
        while chunk := await asyncio.to_thread(rows.take, chunk_rows):
            candidates: list[Candidate] = []
            errors: list[RowError] = []
            for row, record in chunk:
                candidate, row_errors = parse_row(row, record, shape.columns, skus, barcodes)
                if row < job.state.next_row:
                    continue  # applied by an earlier attempt (repeats were still tracked)
                if candidate is not None:
                    candidates.append(candidate)
                errors.extend(row_errors)
            first, last = chunk[0][0], chunk[-1][0]
            if last < job.state.next_row:
                continue
            fraction = (last - 1) / shape.rows if shape.rows else 1.0
            await job.apply_chunk(candidates, errors, (first, last), checkpoint, fraction)
    finally:
        rows.close()
    return job.state.result(shape.rows, dry_run=dry_run)
