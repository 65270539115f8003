"""Request and response bodies of the catalog API."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    StringConstraints,
)

from quartermaster.core.inputs import Flag, JsonObject, PlainDecimal, Timestamp
from quartermaster.core.schemas import Strict, StrictPatch

# ISO 4217 active currency codes usable for prices (funds, precious metals, bond-market
# units and the testing/no-currency codes are left out). Kept here: no dependency needed.
ISO_4217_CURRENCIES: frozenset[str] = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
    BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR
    FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD
    JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT
    MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG
    QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB
    TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF
    XPF YER ZAR ZMW ZWG ZWL
    """.split()  # noqa: SIM905 - one readable block, not 160 lines
)

# ISO 4217 minor units (the exponent: how many decimal places an amount has) of the codes
# above whose exponent is not 2. Hand-kept beside the list for the same reason; Babel's
# CLDR data is not ISO's (it gives IQD 0 and HUF 2 with cash rounding, ISO says 3 and 2).
ISO_4217_MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(
        "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF".split(),  # noqa: SIM905
        0,
    ),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),  # noqa: SIM905
}


def decimal_places(value: Decimal) -> int:
    """How many decimal places ``value`` needs: 1.50 → 1, 2 → 0."""
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def minor_units(currency: str) -> int:
    """The ISO 4217 exponent of ``currency``: EUR 2, JPY 0, BHD 3."""
    return ISO_4217_MINOR_UNITS.get(currency, 2)


# Barcodes: "other" is free-form; the GS1 types have a fixed length and a check digit.
class BarcodeType(StrEnum):
    OTHER = "other"
    EAN13 = "ean13"
    EAN8 = "ean8"
    UPCA = "upca"


_GS1_LENGTHS = {BarcodeType.EAN13: 13, BarcodeType.EAN8: 8, BarcodeType.UPCA: 12}
_GS1_NAMES = {
    BarcodeType.EAN13: "an EAN-13",
    BarcodeType.EAN8: "an EAN-8",
    BarcodeType.UPCA: "a UPC-A",
}


def gs1_check_digit(digits: str) -> int:
    """The GS1 check digit of the digits before it (EAN-8, EAN-13, UPC-A alike): weights
    3, 1, 3, … from the right, and what takes the sum to a multiple of 10. Ten lines,
    so no dependency (python-stdnum would bring hundreds of formats for this one)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def barcode_problem(code: str, kind: BarcodeType) -> str | None:
    """Why ``code`` is not a valid barcode of type ``kind`` (None when it is)."""
    length = _GS1_LENGTHS.get(kind)
    if length is None:
        return None
    name = _GS1_NAMES[kind]
    if not code.isascii() or not code.isdigit() or len(code) != length:
        return f"'{code}' is not {name}: {name} is {length} digits."
    expected = gs1_check_digit(code[:-1])
    if int(code[-1]) != expected:
        return f"'{code}' is not {name}: its check digit should be {expected}, not {code[-1]}."
    return None


DEFAULT_UNITS: tuple[tuple[str, str, int], ...] = (
    ("pcs", "Pieces", 0),
    ("box", "Boxes", 0),
    ("kg", "Kilograms", 3),
    ("g", "Grams", 0),
    ("m", "Metres", 3),
    ("l", "Litres", 3),
)

MAX_QUANTITY_DECIMALS = 6
MAX_AMOUNT_DECIMALS = 4
PriceDecimals = Annotated[int, Field(ge=0, le=MAX_AMOUNT_DECIMALS)]


def _currency(value: str) -> str:
    if value not in ISO_4217_CURRENCIES:
        raise ValueError(f"'{value}' is not an active ISO 4217 currency code")
    return value


def _unit_code(value: str) -> str:
    return value.lower()


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Sku = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Barcode = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^\S+$")
]
UnitCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_.\-]{1,20}$"),
    AfterValidator(_unit_code),
]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$"), AfterValidator(_currency)]
Quantity = Annotated[
    PlainDecimal,
    Field(ge=0, max_digits=18, decimal_places=MAX_QUANTITY_DECIMALS, allow_inf_nan=False),
]
Amount = Annotated[
    PlainDecimal,
    Field(ge=0, max_digits=19, decimal_places=MAX_AMOUNT_DECIMALS, allow_inf_nan=False),
]


# Units


class UnitCreate(Strict):
    code: UnitCode
    name: Name
    decimals: int = Field(ge=0, le=MAX_QUANTITY_DECIMALS)


class UnitRead(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    decimals: int


# Categories


class CategoryCreate(Strict):
    name: Name
    parent_id: uuid.UUID | None = None


class CategoryUpdate(StrictPatch):
    NULLABLE: ClassVar[frozenset[str]] = frozenset({"parent_id"})

    name: Name | None = None
    parent_id: uuid.UUID | None = Field(default=None, description="null moves it to the root")


class CategoryRead(BaseModel):
    id: uuid.UUID
    parent_id: uuid.UUID | None
    name: str
    path: str = Field(description="Names from the root, e.g. 'Tools / Power tools / Drills'")
    depth: int = Field(description="0 for a root category")
    created_at: datetime
    updated_at: datetime


# Products


class ProductSort(StrEnum):
    SKU = "sku"
    NAME = "name"
    UPDATED_AT = "updated_at"


class SortOrder(StrEnum):
    ASC = "asc"
    DESC = "desc"


class ProductCreate(Strict):
    sku: Sku
    name: Name
    description: str | None = Field(default=None, max_length=10_000)
    category_id: uuid.UUID | None = None
    unit: UnitCode = "pcs"
    barcode: Barcode | None = None
    barcode_type: BarcodeType = Field(
        default=BarcodeType.OTHER,
        description="ean13, ean8, upca: length and check digit are checked; other: any code",
    )
    attributes: JsonObject = Field(default_factory=dict)
    reorder_point: Quantity = Decimal(0)
    reorder_quantity: Quantity = Decimal(0)
    is_active: Flag = True


class ProductUpdate(StrictPatch):
    NULLABLE: ClassVar[frozenset[str]] = frozenset({"description", "category_id", "barcode"})

    sku: Sku | None = None
    name: Name | None = None
    description: str | None = Field(default=None, max_length=10_000)
    category_id: uuid.UUID | None = None
    unit: UnitCode | None = None
    barcode: Barcode | None = None
    barcode_type: BarcodeType | None = None
    attributes: JsonObject | None = None
    reorder_point: Quantity | None = None
    reorder_quantity: Quantity | None = None
    is_active: Flag | None = None


class ProductRead(BaseModel):
    id: uuid.UUID
    sku: str
    name: str
    description: str | None
    category_id: uuid.UUID | None
    unit: str
    barcode: str | None
    barcode_type: BarcodeType
    attributes: dict[str, Any]
    reorder_point: Decimal
    reorder_quantity: Decimal
    is_active: bool
    version: int
    created_at: datetime
    updated_at: datetime


# Price lists and prices


class PriceListCreate(Strict):
    name: Name
    currency: Currency
    is_default: Flag = Field(
        default=False, description="The first list of an organization is always the default"
    )
    price_decimals: PriceDecimals | None = Field(
        default=None,
        description="Decimal places a price in this list may have; default: the currency's "
        "ISO 4217 minor units (EUR 2, JPY 0, BHD 3). More for sub-cent unit prices.",
    )


class PriceListUpdate(StrictPatch):
    # The currency is fixed: changing it would silently re-denominate the price history.
    # The precision applies to prices added from then on.
    name: Name | None = None
    is_default: Flag | None = None
    price_decimals: PriceDecimals | None = None


class PriceListRead(BaseModel):
    id: uuid.UUID
    name: str
    currency: str
    price_decimals: int = Field(description="Decimal places a price in this list may have")
    is_default: bool
    created_at: datetime
    updated_at: datetime


class PriceCreate(Strict):
    price_list_id: uuid.UUID
    amount: Amount
    effective_from: Timestamp | None = Field(
        default=None, description="When the price applies (timezone required); default now"
    )


class PriceRead(BaseModel):
    id: uuid.UUID
    price_list_id: uuid.UUID
    price_list_name: str
    currency: str
    amount: Decimal
    effective_from: datetime
    created_at: datetime


class ProductPrices(BaseModel):
    product_id: uuid.UUID
    current: list[PriceRead] = Field(
        description="Per price list, the latest price whose effective_from is not in the future"
    )
    history: list[PriceRead] = Field(description="Every price ever recorded, newest first")
