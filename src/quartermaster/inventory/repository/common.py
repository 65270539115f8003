"""Helpers shared by the inventory repository modules."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Numeric, Text, Uuid, bindparam, column, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import TableValuedAlias

from quartermaster.catalog.public import ProductRef

LevelKey = tuple[uuid.UUID, uuid.UUID]  # (product_id, location_id)


def add(session: AsyncSession, *rows: Any) -> None:
    session.add_all(rows)


def violated_constraint(exc: IntegrityError) -> str | None:
    """The name of the constraint an INSERT/UPDATE/DELETE violated (asyncpg reports it)."""
    cause = getattr(exc.orig, "__cause__", None)
    name = getattr(cause, "constraint_name", None) or getattr(exc.orig, "constraint_name", None)
    return name if isinstance(name, str) else None


def catalog_products(products: Iterable[ProductRef]) -> TableValuedAlias:
    """Products as the catalog's public API hands them, as a table to join in SQL:
    ``(product_id, sku, name, unit, reorder_point)``. The catalog's tables are its own;
    inventory joins the rows it was given (arrays, so one statement whatever their number).
    """
    rows = list(products)
    return (
        func.unnest(
            bindparam(None, [p.id for p in rows], type_=ARRAY(Uuid)),
            bindparam(None, [p.sku for p in rows], type_=ARRAY(Text)),
            bindparam(None, [p.name for p in rows], type_=ARRAY(Text)),
            bindparam(None, [p.unit for p in rows], type_=ARRAY(Text)),
            bindparam(None, [p.reorder_point for p in rows], type_=ARRAY(Numeric)),
        )
        .table_valued(
            column("product_id", Uuid),
            column("sku", Text),
            column("name", Text),
            column("unit", Text),
            column("reorder_point", Numeric),
        )
        .render_derived(name="catalog_products")
    )
