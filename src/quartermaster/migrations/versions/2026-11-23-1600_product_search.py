"""Catalog: product search postings usable under row-level security.

Under forced RLS the application role never gets an index scan for ``LIKE '%…%'``: LIKE
(``textlike``) is not leakproof, so PostgreSQL must apply the tenant policy first and
cannot use the pg_trgm GIN indexes, and every search read all of the tenant's products.
``product_search_grams`` is an inverted index the planner may use: one row per
(tenant, gram, product), looked up by equality and ranges on ``text`` (leakproof), so
its primary key serves searches as the application role.

A product's grams are, for each of ``lower(sku)``, ``lower(name)`` and
``lower(barcode)``, the substring of (up to) three characters starting at every position,
so the last two are the 2- and 1-character tails. A needle of three or more characters
found in one of those values has all its 3-character windows among the product's grams;
a needle of one or two characters is the start of one of them. Those are the only two
facts the query side relies on (``catalog.repository``); the exact ``LIKE`` stays the
final filter, so grams can only narrow the rows to check, never change the result.

The postings are maintained by statement-level triggers on ``products`` (set-wise, so a
bulk insert indexes in one statement). They run as the invoking role, so their writes
are checked by the table's own tenant policy like any other write.

The three pg_trgm GIN indexes on ``products`` are dropped: no role bound by RLS can use
them, and they cost every product write.

Revision ID: 0008_product_search
Revises: 0007_valuation
Create Date: 2026-11-23 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

from quartermaster.core.tenancy import isolate_by_tenant

revision: str = "0008_product_search"
down_revision: str | None = "0007_valuation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "product_search_grams"

# lower() here and in the search's LIKE is the same function with the same (database
# default) collation, so a product's grams are windows of exactly the text LIKE reads.
GRAMS_FUNCTION = """
CREATE FUNCTION product_search_grams_of(sku text, name text, barcode text)
RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT coalesce(array_agg(DISTINCT substr(field, position, 3) COLLATE "C"), '{}')
    FROM unnest(ARRAY[lower(sku), lower(name), lower(barcode)]) AS field,
         generate_series(1, char_length(field)) AS position
$$;
"""

# One function for the three statement-level triggers. An UPDATE touches only the rows
# whose searchable text (or identity) changed, and of those only the grams that differ.
MAINTAIN_FUNCTION = """
CREATE FUNCTION products_maintain_search_grams() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO product_search_grams (tenant_id, gram, product_id)
        SELECT n.tenant_id, g.gram, n.id
        FROM new_products AS n,
             unnest(product_search_grams_of(n.sku, n.name, n.barcode)) AS g(gram)
        ORDER BY 1, 2, 3;  -- in key order: a bulk insert then walks the index once
    ELSIF TG_OP = 'DELETE' THEN
        DELETE FROM product_search_grams AS s
        USING old_products AS o,
              unnest(product_search_grams_of(o.sku, o.name, o.barcode)) AS g(gram)
        WHERE s.tenant_id = o.tenant_id AND s.gram = g.gram AND s.product_id = o.id;
    ELSE
        WITH gone AS (
            SELECT tenant_id, id, sku, name, barcode FROM old_products
            EXCEPT SELECT tenant_id, id, sku, name, barcode FROM new_products
        ), arrived AS (
            SELECT tenant_id, id, sku, name, barcode FROM new_products
            EXCEPT SELECT tenant_id, id, sku, name, barcode FROM old_products
        ), old_postings AS (
            SELECT r.tenant_id, g.gram, r.id AS product_id
            FROM gone AS r, unnest(product_search_grams_of(r.sku, r.name, r.barcode)) AS g(gram)
        ), new_postings AS (
            SELECT r.tenant_id, g.gram, r.id AS product_id
            FROM arrived AS r,
                 unnest(product_search_grams_of(r.sku, r.name, r.barcode)) AS g(gram)
        ), removed AS (
            DELETE FROM product_search_grams AS s
            USING (SELECT * FROM old_postings EXCEPT SELECT * FROM new_postings) AS d
            WHERE s.tenant_id = d.tenant_id AND s.gram = d.gram AND s.product_id = d.product_id
        )
        INSERT INTO product_search_grams (tenant_id, gram, product_id)
        SELECT * FROM new_postings EXCEPT SELECT * FROM old_postings;
    END IF;
    RETURN NULL;
END
$$;
"""

TRIGGERS = {
    "products_search_grams_insert": "AFTER INSERT ON products "
    "REFERENCING NEW TABLE AS new_products",
    "products_search_grams_update": "AFTER UPDATE ON products "
    "REFERENCING OLD TABLE AS old_products NEW TABLE AS new_products",
    "products_search_grams_delete": "AFTER DELETE ON products "
    "REFERENCING OLD TABLE AS old_products",
}

# Forced RLS binds the owner too, so FORCE is lifted for the length of this
# (transactional) migration: the owner then reads every tenant's products, and the
# foreign key's validation sees every tenant.
UNFORCED_DURING_BACKFILL = ("products", "tenants")
BACKFILL = """
INSERT INTO product_search_grams (tenant_id, gram, product_id)
SELECT p.tenant_id, g.gram, p.id
FROM products AS p, unnest(product_search_grams_of(p.sku, p.name, p.barcode)) AS g(gram)
"""

TRIGRAM_INDEXES = {
    "ix_products_lower_sku_trgm": "lower(sku) gin_trgm_ops",
    "ix_products_lower_name_trgm": "lower(name) gin_trgm_ops",
    "ix_products_barcode_trgm": "barcode gin_trgm_ops",
}


def upgrade() -> None:
    op.execute(GRAMS_FUNCTION)
    op.create_table(
        TABLE,
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        # "C": grams compare bytewise (equality and prefix ranges on the primary key).
        sa.Column("gram", sa.Text(collation="C"), nullable=False),
        sa.Column("product_id", UUID(as_uuid=True), nullable=False),
    )
    for table in UNFORCED_DURING_BACKFILL:
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    op.execute(BACKFILL)
    # Key and foreign key after the backfill: one sorted index build and one validating
    # join instead of millions of single-row inserts and checks.
    op.create_primary_key("pk_product_search_grams", TABLE, ["tenant_id", "gram", "product_id"])
    op.create_foreign_key(
        "fk_product_search_grams_tenant_id_tenants",
        TABLE,
        "tenants",
        ["tenant_id"],
        ["id"],
        ondelete="CASCADE",
    )
    for table in UNFORCED_DURING_BACKFILL:
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    isolate_by_tenant(TABLE)
    op.execute(f"ANALYZE {TABLE}")  # the planner's row estimates, before autovacuum's

    op.execute(MAINTAIN_FUNCTION)
    for name, when in TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER {name} {when} "
            "FOR EACH STATEMENT EXECUTE FUNCTION products_maintain_search_grams()"
        )
    for name in TRIGRAM_INDEXES:
        op.execute(f"DROP INDEX {name}")


def downgrade() -> None:
    for name, expression in TRIGRAM_INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON products USING gin ({expression})")
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON products")
    op.execute("DROP FUNCTION products_maintain_search_grams()")
    op.drop_table(TABLE)
    op.execute("DROP FUNCTION product_search_grams_of(text, text, text)")
