"""Catalog tables. Every one is tenant-owned; cross-table references are composite
``(tenant_id, …)`` foreign keys so a row can only ever point into its own tenant."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from quartermaster.core.db import Base, IdMixin, TimestampMixin

NIL_UUID = "'00000000-0000-0000-0000-000000000000'::uuid"

# "other" is free-form (any code); the GS1 types are checked for length and check digit.
BARCODE_TYPES = ("other", "ean13", "ean8", "upca")


def _tenant_fk() -> Any:
    return mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))


class Unit(IdMixin, Base):
    __tablename__ = "units"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        CheckConstraint("decimals BETWEEN 0 AND 6", name="decimals_range"),
    )

    tenant_id: Mapped[uuid.UUID] = _tenant_fk()
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    decimals: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Category(IdMixin, TimestampMixin, Base):
    __tablename__ = "categories"
    __table_args__ = (
        # The target of the composite foreign keys below.
        UniqueConstraint("tenant_id", "id"),
        ForeignKeyConstraint(
            ["tenant_id", "parent_id"],
            ["categories.tenant_id", "categories.id"],
            name="fk_categories_tenant_id_parent_id_categories",
        ),
        # Names are unique among siblings; root categories are siblings of each other.
        Index(
            "uq_categories_tenant_id_parent_lower_name",
            "tenant_id",
            func.coalesce(text("parent_id"), text(NIL_UUID)),
            func.lower(text("name")),
            unique=True,
        ),
        Index("ix_categories_tenant_id_parent_id", "tenant_id", "parent_id"),
    )

    tenant_id: Mapped[uuid.UUID] = _tenant_fk()
    parent_id: Mapped[uuid.UUID | None]
    name: Mapped[str] = mapped_column(String(200))


class Product(IdMixin, TimestampMixin, Base):
    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        ForeignKeyConstraint(
            ["tenant_id", "category_id"],
            ["categories.tenant_id", "categories.id"],
            name="fk_products_tenant_id_category_id_categories",
        ),
        ForeignKeyConstraint(
            ["tenant_id", "unit_code"],
            ["units.tenant_id", "units.code"],
            name="fk_products_tenant_id_unit_code_units",
        ),
        CheckConstraint("reorder_point >= 0", name="reorder_point_not_negative"),
        CheckConstraint("reorder_quantity >= 0", name="reorder_quantity_not_negative"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("jsonb_typeof(attributes) = 'object'", name="attributes_object"),
        CheckConstraint(
            "barcode_type IN (" + ", ".join(f"'{t}'" for t in BARCODE_TYPES) + ")",
            name="barcode_type_known",
        ),
        Index("uq_products_tenant_id_lower_sku", "tenant_id", func.lower(text("sku")), unique=True),
        Index(
            "uq_products_tenant_id_barcode",
            "tenant_id",
            "barcode",
            unique=True,
            postgresql_where=text("barcode IS NOT NULL"),
        ),
        Index("ix_products_tenant_id_lower_name_id", "tenant_id", func.lower(text("name")), "id"),
        Index("ix_products_tenant_id_updated_at_id", "tenant_id", "updated_at", "id"),
        Index("ix_products_tenant_id_category_id", "tenant_id", "category_id"),
        # Exact SKU lookups (codes in stock requests): usable under RLS, unlike lower(sku).
        Index("ix_products_tenant_id_sku", "tenant_id", "sku"),
        # Substring search (q) is served by ProductSearchGram, kept by triggers on this table.
    )

    tenant_id: Mapped[uuid.UUID] = _tenant_fk()
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    category_id: Mapped[uuid.UUID | None]
    unit_code: Mapped[str] = mapped_column(String(20))
    barcode: Mapped[str | None] = mapped_column(String(64))
    barcode_type: Mapped[str] = mapped_column(String(10), server_default=text("'other'"))
    attributes: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    reorder_point: Mapped[Decimal] = mapped_column(server_default=text("0"))
    reorder_quantity: Mapped[Decimal] = mapped_column(server_default=text("0"))
    is_active: Mapped[bool] = mapped_column(server_default=text("true"))
    version: Mapped[int] = mapped_column(server_default=text("1"))


class ProductSearchGram(Base):
    """One posting of the product search index: ``gram`` (up to three characters) starts
    at some position of the product's lowercased SKU, name or barcode. Rows are written
    only by the statement-level triggers on ``products`` (migration 0008) and read by the
    search in ``repository``; this mapping keeps the table in the metadata (autogenerate).

    It exists because LIKE is not leakproof: under row-level security PostgreSQL cannot
    use an index for ``LIKE '%…%'``, but it can for equality and ranges on ``text``."""

    __tablename__ = "product_search_grams"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    gram: Mapped[str] = mapped_column(Text(collation="C"), primary_key=True)
    product_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)


class PriceList(IdMixin, TimestampMixin, Base):
    __tablename__ = "price_lists"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_format"),
        CheckConstraint("price_decimals BETWEEN 0 AND 4", name="price_decimals_range"),
        Index(
            "uq_price_lists_tenant_id_lower_name",
            "tenant_id",
            func.lower(text("name")),
            unique=True,
        ),
        # At most one default per tenant; the service keeps it at exactly one.
        Index(
            "uq_price_lists_tenant_id_default",
            "tenant_id",
            unique=True,
            postgresql_where=text("is_default"),
        ),
    )

    tenant_id: Mapped[uuid.UUID] = _tenant_fk()
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    # Decimal places a price may have: the currency's ISO 4217 minor units unless chosen.
    price_decimals: Mapped[int] = mapped_column(SmallInteger)
    is_default: Mapped[bool] = mapped_column(server_default=text("false"))


class Price(IdMixin, Base):
    """One row of a product's price history in one list. Rows are only ever appended."""

    __tablename__ = "prices"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["products.tenant_id", "products.id"],
            name="fk_prices_tenant_id_product_id_products",
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["tenant_id", "price_list_id"],
            ["price_lists.tenant_id", "price_lists.id"],
            name="fk_prices_tenant_id_price_list_id_price_lists",
        ),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        Index(
            "ix_prices_tenant_id_product_id_list_effective",
            "tenant_id",
            "product_id",
            "price_list_id",
            "effective_from",
        ),
        Index("ix_prices_tenant_id_price_list_id", "tenant_id", "price_list_id"),
    )

    tenant_id: Mapped[uuid.UUID] = _tenant_fk()
    product_id: Mapped[uuid.UUID]
    price_list_id: Mapped[uuid.UUID]
    amount: Mapped[Decimal]
    effective_from: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
