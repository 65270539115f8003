"""Products and locations named in a stock request: by id, or by the codes a scanner or a
spreadsheet has (a product's SKU or barcode; a warehouse's code and a location's code).

Every reference of a request is resolved at once: one statement for the products named by
id (as before codes existed), one for those named by code, the same two for locations, and
none for a kind a request does not use. A request of ids only therefore runs exactly the
statements it ran before. Problems are collected, each naming its field, so a 422 lists
them all."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.catalog.public import (
    ProductRef,
    ProductsByCode,
    products_by_codes,
    products_by_ids,
)
from quartermaster.inventory import repository
from quartermaster.inventory.errors import FieldProblem
from quartermaster.inventory.repository import Place


@dataclass(frozen=True)
class ProductAsked:
    """A product as a request names it; ``prefix`` is how errors name its fields
    (``""`` or ``"lines.2."``)."""

    prefix: str
    product_id: uuid.UUID | None
    sku: str | None
    barcode: str | None

    def given(self) -> list[str]:
        return [
            name
            for name, value in (
                ("product_id", self.product_id),
                ("sku", self.sku),
                ("barcode", self.barcode),
            )
            if value is not None
        ]


@dataclass(frozen=True)
class PlaceAsked:
    """A location as a request names it: ``{side}location_id``, or ``{side}warehouse_code``
    + ``{side}location_code`` (``side`` is ``""``, ``"from_"`` or ``"to_"``). ``required``:
    not naming it is a problem (a movement's kind decides that itself)."""

    prefix: str
    side: str
    location_id: uuid.UUID | None
    warehouse_code: str | None
    location_code: str | None
    required: bool = False

    @property
    def is_given(self) -> bool:
        return (
            self.location_id is not None
            or self.warehouse_code is not None
            or self.location_code is not None
        )

    def name(self, what: str) -> str:
        return f"{self.prefix}{self.side}{what}"

    def given_names(self) -> list[str]:
        return [
            self.name(what)
            for what, value in (
                ("location_id", self.location_id),
                ("warehouse_code", self.warehouse_code),
                ("location_code", self.location_code),
            )
            if value is not None
        ]


@dataclass
class Resolved:
    """What the references came to: the products and places found (by id), the id each
    reference stands for (None when it named nothing valid, which ``problems`` says), and
    the problems."""

    products: dict[uuid.UUID, ProductRef] = field(default_factory=dict)
    places: dict[uuid.UUID, Place] = field(default_factory=dict)
    product_ids: list[uuid.UUID | None] = field(default_factory=list)
    location_ids: list[uuid.UUID | None] = field(default_factory=list)
    problems: list[FieldProblem] = field(default_factory=list)


def in_line_order(problems: list[FieldProblem]) -> list[FieldProblem]:
    """Problems listed line by line (``lines.N.…``; those of the request itself first),
    each line's in the order they were found."""

    def line(problem: FieldProblem) -> int:
        parts = problem.field.split(".")
        return int(parts[1]) if parts[0] == "lines" and len(parts) > 1 else -1

    return sorted(problems, key=line)


def _product_shape(asked: ProductAsked, problems: list[FieldProblem]) -> bool:
    given = asked.given()
    if not given:
        problems.append(
            FieldProblem(
                f"{asked.prefix}product_id",
                "Name the product by product_id, sku or barcode.",
                "missing",
            )
        )
    elif len(given) > 1:
        problems.append(
            FieldProblem(
                f"{asked.prefix}{given[1]}",
                f"Name the product one way only: {' and '.join(given)} were both given.",
                "ambiguous_reference",
            )
        )
    return len(given) == 1


def _place_shape(asked: PlaceAsked, problems: list[FieldProblem]) -> bool:
    if asked.required and not asked.is_given:
        problems.append(
            FieldProblem(
                asked.name("location_id"),
                f"Name the location by {asked.name('location_id')}, or by "
                f"{asked.name('warehouse_code')} and {asked.name('location_code')}.",
                "missing",
            )
        )
        return False
    by_code = asked.warehouse_code is not None or asked.location_code is not None
    if asked.location_id is not None and by_code:
        problems.append(
            FieldProblem(
                asked.name("location_id"),
                f"Name the location one way only: by {asked.name('location_id')} or by "
                f"{asked.name('warehouse_code')} and {asked.name('location_code')}.",
                "ambiguous_reference",
            )
        )
        return False
    for present, absent in (
        ("warehouse_code", "location_code"),
        ("location_code", "warehouse_code"),
    ):
        if getattr(asked, present) is not None and getattr(asked, absent) is None:
            problems.append(
                FieldProblem(
                    asked.name(absent),
                    f"Required with {asked.name(present)}: a location code is unique within "
                    "its warehouse.",
                    "missing",
                )
            )
            return False
    return True


async def resolve(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    products: list[ProductAsked],
    places: list[PlaceAsked],
) -> Resolved:
    """Resolve every product and location reference of one request, set-wise. An unknown
    id or code is a problem naming the field and the value (422 for the caller); so is a
    reference given two ways. A place that is not given at all resolves to None without a
    problem (whether it is required depends on the movement's kind)."""
    resolved = Resolved()
    problems = resolved.problems
    product_ok = [_product_shape(asked, problems) for asked in products]
    place_ok = [_place_shape(asked, problems) for asked in places]

    ids = [a.product_id for a, ok in zip(products, product_ok, strict=True) if ok and a.product_id]
    skus = [a.sku for a, ok in zip(products, product_ok, strict=True) if ok and a.sku]
    barcodes = [a.barcode for a, ok in zip(products, product_ok, strict=True) if ok and a.barcode]
    if ids:
        resolved.products.update(await products_by_ids(session, tenant_id, ids))
    by_code = None
    if skus or barcodes:
        by_code = await products_by_codes(session, tenant_id, skus, barcodes)
        for ref in (*by_code.by_sku.values(), *by_code.by_barcode.values()):
            resolved.products[ref.id] = ref

    location_ids = [
        a.location_id for a, ok in zip(places, place_ok, strict=True) if ok and a.location_id
    ]
    codes = [
        (a.warehouse_code, a.location_code)
        for a, ok in zip(places, place_ok, strict=True)
        if ok and a.warehouse_code is not None and a.location_code is not None
    ]
    if location_ids:
        resolved.places.update(
            await repository.locations_with_warehouses(session, tenant_id, location_ids)
        )
    places_by_code: dict[tuple[str, str], Place] = {}
    if codes:
        places_by_code = await repository.locations_by_codes(session, tenant_id, codes)
        resolved.places.update({place.id: place for place in places_by_code.values()})

    for product, ok in zip(products, product_ok, strict=True):
        resolved.product_ids.append(_product_id(product, resolved, by_code) if ok else None)
    for place, ok in zip(places, place_ok, strict=True):
        resolved.location_ids.append(_location_id(place, resolved, places_by_code) if ok else None)
    return resolved


def _product_id(
    asked: ProductAsked, resolved: Resolved, by_code: ProductsByCode | None
) -> uuid.UUID | None:
    found: ProductRef | None
    if asked.product_id is not None:
        if asked.product_id in resolved.products:
            return asked.product_id
        name, message = "product_id", "No product with this id in this organization."
    else:
        assert by_code is not None  # a SKU or barcode was asked, so they were looked up
        if asked.sku is not None:
            found = by_code.by_sku.get(asked.sku)
            name, message = "sku", f"No product with SKU '{asked.sku}' in this organization."
        else:
            assert asked.barcode is not None
            found = by_code.by_barcode.get(asked.barcode)
            name = "barcode"
            message = f"No product with barcode '{asked.barcode}' in this organization."
        if found is not None:
            return found.id
    resolved.problems.append(FieldProblem(f"{asked.prefix}{name}", message, "unknown_product"))
    return None


def _location_id(
    asked: PlaceAsked, resolved: Resolved, by_code: dict[tuple[str, str], Place]
) -> uuid.UUID | None:
    if asked.location_id is not None:
        if asked.location_id in resolved.places:
            return asked.location_id
        resolved.problems.append(
            FieldProblem(
                asked.name("location_id"),
                "No location with this id in this organization.",
                "unknown_location",
            )
        )
        return None
    if asked.warehouse_code is None or asked.location_code is None:
        return None  # not given: the caller decides whether it is required
    place = by_code.get((asked.warehouse_code, asked.location_code))
    if place is not None:
        return place.id
    resolved.problems.append(
        FieldProblem(
            asked.name("location_code"),
            f"No location '{asked.location_code}' in warehouse '{asked.warehouse_code}' in "
            "this organization.",
            "unknown_location",
        )
    )
    return None
