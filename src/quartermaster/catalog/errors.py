"""Catalog's domain errors (rendered as problem+json by core.errors).

A body that refers to something this tenant does not have (a unit code, a category, a
price list) is a 422 naming the field: the request is invalid as written, and another
tenant's id is indistinguishable from one that never existed. An id in the *path* that
the tenant does not have is a 404.
"""

from __future__ import annotations

from quartermaster.core.errors import AppError, Conflict, NotFound


class UnknownReference(AppError):
    def __init__(self, field: str, detail: str, *, code: str) -> None:
        super().__init__(
            422,
            code,
            detail,
            extensions={
                "errors": [
                    {
                        "location": "body",
                        "field": field,
                        "loc": ["body", field],
                        "message": detail,
                        "type": code.replace("-", "_"),
                    }
                ]
            },
        )


class UnknownUnit(UnknownReference):
    def __init__(self, code: str) -> None:
        super().__init__(
            "unit",
            f"There is no unit '{code}' in this organization; list them with GET /api/v1/units "
            "or create it with POST /api/v1/units.",
            code="unknown-unit",
        )


class UnknownCategory(UnknownReference):
    def __init__(self, field: str = "category_id") -> None:
        super().__init__(
            field, "No category with this id in this organization.", code="unknown-category"
        )


class UnknownPriceList(UnknownReference):
    def __init__(self) -> None:
        super().__init__(
            "price_list_id",
            "No price list with this id in this organization.",
            code="unknown-price-list",
        )


class TooManyDecimals(AppError):
    def __init__(self, field: str, unit: str, decimals: int) -> None:
        detail = f"{field} may have at most {decimals} decimal places in unit '{unit}'."
        super().__init__(
            422,
            "too-many-decimals",
            detail,
            extensions={
                "errors": [
                    {
                        "location": "body",
                        "field": field,
                        "loc": ["body", field],
                        "message": detail,
                        "type": "too_many_decimals",
                    }
                ]
            },
        )


def _one_field(field: str, detail: str, kind: str) -> dict[str, object]:
    """The ``errors`` extension of a problem about one body field."""
    return {
        "errors": [
            {
                "location": "body",
                "field": field,
                "loc": ["body", field],
                "message": detail,
                "type": kind,
            }
        ]
    }


class InvalidBarcode(AppError):
    """A barcode that its ``barcode_type`` (EAN-13, EAN-8, UPC-A) says is malformed."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(
            422, "invalid-barcode", detail, extensions=_one_field(field, detail, "invalid_barcode")
        )


class TooManyPriceDecimals(AppError):
    """More decimal places than the price list allows (the currency's minor units)."""

    def __init__(self, currency: str, decimals: int) -> None:
        detail = (
            f"amount may have at most {decimals} decimal places in this price list "
            f"({currency}); a list's price_decimals can be changed with "
            "PATCH /api/v1/price-lists/{id}."
        )
        super().__init__(
            422,
            "too-many-decimals",
            detail,
            extensions=_one_field("amount", detail, "too_many_decimals"),
        )


class ProductNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No product with this id in this organization.", code="product-not-found")


class CategoryNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__(
            "No category with this id in this organization.", code="category-not-found"
        )


class PriceListNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__(
            "No price list with this id in this organization.", code="price-list-not-found"
        )


class UnitNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No unit with this code in this organization.", code="unit-not-found")


class UnitExists(Conflict):
    def __init__(self, code: str) -> None:
        super().__init__(f"A unit with code '{code}' already exists.", code="unit-exists")


class SkuTaken(Conflict):
    def __init__(self, sku: str) -> None:
        super().__init__(
            f"A product with SKU '{sku}' already exists (SKUs are compared case-insensitively).",
            code="sku-taken",
        )


class BarcodeTaken(Conflict):
    def __init__(self, barcode: str) -> None:
        super().__init__(f"Another product already has barcode '{barcode}'.", code="barcode-taken")


class CategoryNameTaken(Conflict):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"A category named '{name}' already exists under the same parent.",
            code="category-name-taken",
        )


class CategoryCycle(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "A category cannot be moved under itself or one of its own descendants.",
            code="category-cycle",
        )


class CategoryInUse(Conflict):
    def __init__(self, children: int, products: int) -> None:
        super().__init__(
            f"The category still has {children} subcategories and {products} products; "
            "move or delete them first.",
            code="category-in-use",
            extensions={"children": children, "products": products},
        )


class ProductInUse(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "The product is referenced by other records (e.g. stock movements) and cannot be "
            'deleted; archive it instead with PATCH {"is_active": false}.',
            code="product-in-use",
        )


class PriceListNameTaken(Conflict):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"A price list named '{name}' already exists.", code="price-list-name-taken"
        )


class DefaultPriceListRequired(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "The organization must keep exactly one default price list; make another list "
            "the default instead (PATCH it with is_default=true).",
            code="default-price-list-required",
        )


class StockFilterUnavailable(AppError):
    def __init__(self) -> None:
        super().__init__(
            400,
            "stock-filter-unavailable",
            "below_reorder needs stock levels, and this server does not mount the inventory "
            "module.",
        )
