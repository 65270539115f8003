"""Inventory tables. Tenant-owned, forced RLS, composite ``(tenant_id, …)`` references."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from quartermaster.core.db import Base, IdMixin, TimestampMixin

# Kinds of ledger entries. The API records the first four today; "count" (an adjustment
# computed from a stock count) and "fulfilment" (an issue that consumes a reservation)
# are admitted by the table already so they arrive without a constraint change.
MOVEMENT_KINDS = ("receipt", "issue", "transfer", "adjustment", "count", "fulfilment")

# Which location columns each kind fills: receipts come in, issues go out, transfers do
# both (between two different locations), adjustments and counts do exactly one.
MOVEMENT_SHAPE = (
    "(kind = 'receipt' AND from_location_id IS NULL AND to_location_id IS NOT NULL)"
    " OR (kind IN ('issue', 'fulfilment')"
    " AND from_location_id IS NOT NULL AND to_location_id IS NULL)"
    " OR (kind = 'transfer' AND from_location_id IS NOT NULL AND to_location_id IS NOT NULL"
    " AND from_location_id <> to_location_id)"
    " OR (kind IN ('adjustment', 'count')"
    " AND (from_location_id IS NULL) <> (to_location_id IS NULL))"
)


def _tenant_fk() -> Any:
    return mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))


class Warehouse(IdMixin, TimestampMixin, Base):
    __tablename__ = "warehouses"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        Index(
            "uq_warehouses_tenant_id_lower_code", "tenant_id", func.lower(text("code")), unique=True
        ),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    tenant_id: Mapped[uuid.UUID] = _tenant_fk()
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(server_default=text("true"))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))


class Location(IdMixin, TimestampMixin, Base):
    __tablename__ = "locations"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        ForeignKeyConstraint(
            ["tenant_id", "warehouse_id"],
            ["warehouses.tenant_id", "warehouses.id"],
            name="fk_locations_tenant_id_warehouse_id_warehouses",
        ),
        Index(
            "uq_locations_tenant_id_warehouse_id_lower_code",
            "tenant_id",
            "warehouse_id",
            func.lower(text("code")),
            unique=True,
        ),
        # One default location per warehouse.
        Index(
            "uq_locations_tenant_id_warehouse_id_default",
            "tenant_id",
            "warehouse_id",
            unique=True,
            postgresql_where=text("is_default"),
        ),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    tenant_id: Mapped[uuid.UUID] = _tenant_fk()
    warehouse_id: Mapped[uuid.UUID]
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    is_default: Mapped[bool] = mapped_column(server_default=text("false"))
    allow_negative: Mapped[bool] = mapped_column(server_default=text("false"))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))


class StockLevel(Base):
    """The running sum of the ledger for one (product, location)."""

    __tablename__ = "stock_levels"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["products.tenant_id", "products.id"],
            name="fk_stock_levels_tenant_id_product_id_products",
        ),
        ForeignKeyConstraint(
            ["tenant_id", "location_id"],
            ["locations.tenant_id", "locations.id"],
            name="fk_stock_levels_tenant_id_location_id_locations",
        ),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        Index("ix_stock_levels_tenant_id_location_id", "tenant_id", "location_id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    product_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    location_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    on_hand: Mapped[Decimal] = mapped_column(server_default=text("0"))
    reserved: Mapped[Decimal] = mapped_column(server_default=text("0"))
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class StockMovement(IdMixin, Base):
    """One line of the append-only ledger. ``quantity`` is always positive; the direction
    is given by which location columns are set (an adjustment of -3 leaves ``from``)."""

    __tablename__ = "stock_movements"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["products.tenant_id", "products.id"],
            name="fk_stock_movements_tenant_id_product_id_products",
        ),
        ForeignKeyConstraint(
            ["tenant_id", "from_location_id"],
            ["locations.tenant_id", "locations.id"],
            name="fk_stock_movements_tenant_id_from_location_id_locations",
        ),
        ForeignKeyConstraint(
            ["tenant_id", "to_location_id"],
            ["locations.tenant_id", "locations.id"],
            name="fk_stock_movements_tenant_id_to_location_id_locations",
        ),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_cost IS NULL OR unit_cost >= 0", name="unit_cost_not_negative"),
        CheckConstraint(
            "kind IN (" + ", ".join(f"'{k}'" for k in MOVEMENT_KINDS) + ")", name="kind_known"
        ),
        CheckConstraint(MOVEMENT_SHAPE, name="locations_match_kind"),
        Index("ix_stock_movements_tenant_id_recorded_at_id", "tenant_id", "recorded_at", "id"),
        Index("ix_stock_movements_tenant_id_product_id_id", "tenant_id", "product_id", "id"),
        Index("ix_stock_movements_tenant_id_from_location_id", "tenant_id", "from_location_id"),
        Index("ix_stock_movements_tenant_id_to_location_id", "tenant_id", "to_location_id"),
        Index("ix_stock_movements_tenant_id_batch_id", "tenant_id", "batch_id"),
        Index("ix_stock_movements_tenant_id_reference", "tenant_id", "reference"),
    )

    tenant_id: Mapped[uuid.UUID] = _tenant_fk()
    batch_id: Mapped[uuid.UUID]
    line_no: Mapped[int] = mapped_column(SmallInteger)
    kind: Mapped[str] = mapped_column(String(20))
    product_id: Mapped[uuid.UUID]
    from_location_id: Mapped[uuid.UUID | None]
    to_location_id: Mapped[uuid.UUID | None]
    quantity: Mapped[Decimal]
    unit_cost: Mapped[Decimal | None]
    reason: Mapped[str | None] = mapped_column(String(500))
    reference: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[uuid.UUID]
    recorded_by_label: Mapped[str] = mapped_column(String(320))
    recorded_at: Mapped[datetime] = mapped_column(server_default=func.now())


class IdempotencyKey(Base):
    """A write made with an ``Idempotency-Key``: what was asked and what was answered.

    ``response_body`` is ``json`` (not ``jsonb``) so a replay is byte-for-byte the first
    response, key order included."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_keys_tenant_id_created_at", "tenant_id", "created_at"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int | None] = mapped_column(SmallInteger)
    response_body: Mapped[Any | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


RESERVATION_STATUSES = ("active", "fulfilled", "released", "expired")
ALERT_STATUSES = ("open", "acknowledged", "resolved")


class Reservation(IdMixin, TimestampMixin, Base):
    """Stock held for a reference at one location. While ``active`` its open quantity
    (``quantity - fulfilled_quantity``) is part of the level's ``reserved``; fulfilling
    (all of it or a part) turns it into a ledger issue (kind ``fulfilment``), releasing or
    expiring gives the open quantity back."""

    __tablename__ = "reservations"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["products.tenant_id", "products.id"],
            name="fk_reservations_tenant_id_product_id_products",
        ),
        ForeignKeyConstraint(
            ["tenant_id", "location_id"],
            ["locations.tenant_id", "locations.id"],
            name="fk_reservations_tenant_id_location_id_locations",
        ),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "fulfilled_quantity >= 0 AND fulfilled_quantity <= quantity",
            name="fulfilled_quantity_range",
        ),
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in RESERVATION_STATUSES) + ")",
            name="status_known",
        ),
        Index("ix_reservations_tenant_id_status_id", "tenant_id", "status", "id"),
        Index("ix_reservations_tenant_id_product_id_id", "tenant_id", "product_id", "id"),
        Index(
            "ix_reservations_tenant_id_expires_at_active",
            "tenant_id",
            "expires_at",
            postgresql_where=text("status = 'active' AND expires_at IS NOT NULL"),
        ),
    )

    tenant_id: Mapped[uuid.UUID] = _tenant_fk()
    product_id: Mapped[uuid.UUID]
    location_id: Mapped[uuid.UUID]
    quantity: Mapped[Decimal]
    # Issued so far: a partial fulfilment leaves the reservation active with
    # quantity - fulfilled_quantity still reserved.
    fulfilled_quantity: Mapped[Decimal] = mapped_column(server_default=text("0"))
    reference: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), server_default=text("'active'"))
    expires_at: Mapped[datetime | None]
    created_by: Mapped[uuid.UUID]


class StockAlert(IdMixin, Base):
    """A (product, warehouse) whose available total fell to or below the product's reorder
    point. At most one non-resolved alert per pair (partial unique index)."""

    __tablename__ = "stock_alerts"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["products.tenant_id", "products.id"],
            name="fk_stock_alerts_tenant_id_product_id_products",
        ),
        ForeignKeyConstraint(
            ["tenant_id", "warehouse_id"],
            ["warehouses.tenant_id", "warehouses.id"],
            name="fk_stock_alerts_tenant_id_warehouse_id_warehouses",
        ),
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in ALERT_STATUSES) + ")",
            name="status_known",
        ),
        Index(
            "uq_stock_alerts_tenant_id_product_id_warehouse_id_unresolved",
            "tenant_id",
            "product_id",
            "warehouse_id",
            unique=True,
            postgresql_where=text("status <> 'resolved'"),
        ),
        Index("ix_stock_alerts_tenant_id_status_id", "tenant_id", "status", "id"),
    )

    tenant_id: Mapped[uuid.UUID] = _tenant_fk()
    product_id: Mapped[uuid.UUID]
    warehouse_id: Mapped[uuid.UUID]
    status: Mapped[str] = mapped_column(String(20), server_default=text("'open'"))
    raised_at: Mapped[datetime] = mapped_column(server_default=func.now())
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[uuid.UUID | None]
    resolved_at: Mapped[datetime | None]


# Valuation


class ProductCost(Base):
    """A product's moving-average unit cost, kept by the ledger writer: every receipt with
    a ``unit_cost`` folds into it under a row lock. Full ``numeric`` precision; reports
    round."""

    __tablename__ = "product_costs"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["products.tenant_id", "products.id"],
            name="fk_product_costs_tenant_id_product_id_products",
            ondelete="CASCADE",
        ),
        CheckConstraint("average_cost >= 0", name="average_cost_not_negative"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    product_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    average_cost: Mapped[Decimal]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
