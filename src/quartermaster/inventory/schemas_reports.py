"""Response bodies of the inventory reports (/reports/stock-value, /reports/movements)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

# Stock value


class StockValueGrouping(StrEnum):
    WAREHOUSE = "warehouse"
    CATEGORY = "category"


Currency = Annotated[
    str | None,
    Field(
        description="ISO 4217 code of the default price list's currency; null while the "
        "organization has no price list"
    ),
]
Quantity = Annotated[Decimal, Field(description="Σ on_hand (negative stock included as it is)")]
Value = Annotated[
    Decimal,
    Field(
        description="Σ on_hand * moving-average unit cost, rounded half up to 2 places; "
        "products without a cost count 0"
    ),
]
Unvalued = Annotated[
    Decimal, Field(description="Σ on_hand of products that have no cost yet (valued 0)")
]


class ValueTotals(BaseModel):
    quantity: Quantity
    value: Value
    unvalued_quantity: Unvalued


class WarehouseValue(BaseModel):
    warehouse_id: uuid.UUID
    code: str
    name: str
    quantity: Quantity
    value: Value
    unvalued_quantity: Unvalued


class CategoryValue(BaseModel):
    category_id: uuid.UUID | None = Field(description="null: products without a category")
    name: str | None
    path: str | None = Field(description='e.g. "Tools / Drills"')
    quantity: Quantity
    value: Value
    unvalued_quantity: Unvalued


class StockValueByWarehouse(BaseModel):
    currency: Currency
    group_by: Literal["warehouse"] = "warehouse"
    groups: list[WarehouseValue]
    total: ValueTotals = Field(description="Rounded from the exact sum, not from the groups")


class StockValueByCategory(BaseModel):
    currency: Currency
    group_by: Literal["category"] = "category"
    groups: list[CategoryValue]
    total: ValueTotals = Field(description="Rounded from the exact sum, not from the groups")


# Movements over time


class ReportInterval(StrEnum):
    DAY = "day"
    WEEK = "week"  # ISO weeks: Monday to Sunday
    MONTH = "month"


In = Annotated[Decimal, Field(alias="in", description="Stock that came into the scope")]
Out = Annotated[Decimal, Field(alias="out", description="Stock that left the scope")]
Net = Annotated[Decimal, Field(description="in - out")]


class FlowTotals(BaseModel):
    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)

    quantity_in: In
    quantity_out: Out
    net: Net


class MovementBucket(BaseModel):
    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)

    period_start: datetime = Field(description="Start of the period, in the report's time zone")
    quantity_in: In
    quantity_out: Out
    net: Net


class MovementReport(BaseModel):
    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)

    interval: ReportInterval
    tz: str
    recorded_from: datetime = Field(alias="from")
    recorded_to: datetime = Field(alias="to")
    product_id: uuid.UUID | None
    warehouse_id: uuid.UUID | None
    buckets: list[MovementBucket]
    total: FlowTotals
