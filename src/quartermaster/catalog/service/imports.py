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

import asyncio
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.catalog import repository
from quartermaster.catalog.events import CatalogEvents
from quartermaster.catalog.models import Product
from quartermaster.catalog.schemas import (
    DEFAULT_UNITS,
    BarcodeType,
    barcode_problem,
    decimal_places,
)
from quartermaster.catalog.service.import_rows import (
    DEFAULT_UNIT,
    MAX_ERRORS,
    MAX_LISTED_CATEGORIES,
    PATH_SEPARATOR,
    SETTABLE,
    Candidate,
    MalformedFile,
    RepeatTracker,
    RowError,
    _open_csv,
    inspect_file,
    parse_row,
)
from quartermaster.catalog.service.indexing import index_products
from quartermaster.catalog.service.units import ensure_default_units
from quartermaster.core.clock import utcnow
from quartermaster.core.db import Database
from quartermaster.core.events import emit
from quartermaster.core.ids import new_id

if TYPE_CHECKING:
    pass

PRODUCT_IMPORT = "product_import"

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
        await index_products(session, tenant_id, [product_id for product_id, _ in outcome])
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
            "barcode_type": data.barcode_type.value,
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
            if decimal_places(values[name]) > units[unit]:
                errors.append(
                    RowError(
                        row,
                        name if name in fields else "unit",
                        f"{name} may have at most {units[unit]} decimal places in unit '{unit}'.",
                    )
                )
        barcode = values["barcode"]
        if barcode is not None and {"barcode", "barcode_type"} & fields:
            problem = barcode_problem(barcode, BarcodeType(values["barcode_type"]))
            if problem is not None:
                column = "barcode" if "barcode" in fields else "barcode_type"
                errors.append(RowError(row, column, problem))
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
