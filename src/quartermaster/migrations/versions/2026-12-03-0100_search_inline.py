"""Search: keep what every candidate is checked and ranked with inside the document row;
the query plan (lexemes, corrections, completions) as a function with a cached plan.

A search reads a few hundred candidate rows of ``search_documents`` and evaluates
``tsv @@ query``, ``ts_rank(tsv, …)``, ``keys && …`` and ``lower(title)`` on each. With
the default storage (EXTENDED everywhere) a long document's ``tsv`` (an article of 300
words: ~2.9 kB) went to the TOAST table, and once it was there the toaster also moved the
row's short columns (title, keys, …) out to get under 2 kB, so every candidate article
cost several TOAST index lookups per function that read them (~a third of the search
statement's CPU). MAIN keeps these columns in the row (compressed first, moved out only
when the row would not fit a page); the body, read only for the page's snippets, stays
EXTENDED and is the one moved out.

Only rows written from now on are stored this way; rows already indexed stay correct and
move inline when they are written again (``qm search-reindex`` rewrites a tenant).

``search_plan(tenant, items, prefix, completions)`` is the first statement of every
search (``search.repository.PLAN``): the tenant's text-search configuration, each query
item's lexemes, for a single unknown word its likely corrections (variants sharing a
one-deletion form, ranked by pg_trgm similarity), and the completions of the word being
typed, as one JSON object. As a statement sent by the application PostgreSQL planned it
again on every execution (a custom plan: ~0.45 ms, more than running it); inside a
PL/pgSQL function with ``plan_cache_mode = force_generic_plan`` it is planned once per
connection. SECURITY INVOKER (the default): row-level security applies as in any query.

Revision ID: 0017_search_inline
Revises: 0015_search
Create Date: 2026-12-03 01:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0017_search_inline"
down_revision: str | None = "0015_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INLINE = ("type", "title", "identifiers", "keys", "url", "permission", "language", "tsv")


def _storage(kind: str) -> str:
    columns = ", ".join(f"ALTER COLUMN {name} SET STORAGE {kind}" for name in INLINE)
    return f"ALTER TABLE search_documents {columns}"


CREATE_PLAN = r"""
CREATE FUNCTION search_plan(p_tenant uuid, p_items text[], p_prefix text, p_completions int)
RETURNS json
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $fn$
BEGIN
RETURN (
WITH cfg AS (
    SELECT ('qm_' || coalesce((SELECT language FROM search_settings WHERE tenant_id = p_tenant),
                              'english'))::regconfig AS cfg
), items AS (
    SELECT i.ord, tsvector_to_array(to_tsvector(cfg.cfg, i.txt)) AS lexemes
    FROM unnest(p_items) WITH ORDINALITY AS i(txt, ord), cfg
)
SELECT json_build_object(
    'cfg', (SELECT cfg::text FROM cfg),
    'items', coalesce((SELECT json_agg(json_build_object(
        'lexemes', it.lexemes,
        'fixes', CASE WHEN cardinality(it.lexemes) = 1
                       AND it.lexemes[1] ~ '^[[:alpha:]]{4,24}$'
                       AND NOT EXISTS (SELECT 1 FROM search_words w
                                       WHERE w.tenant_id = p_tenant AND w.word = it.lexemes[1])
            THEN ARRAY(
                SELECT v.word FROM search_word_variants v
                WHERE v.tenant_id = p_tenant
                  AND v.variant = ANY(it.lexemes[1:1] || ARRAY(
                      SELECT overlay(it.lexemes[1] PLACING '' FROM n FOR 1)
                      FROM generate_series(1, length(it.lexemes[1])) n))
                GROUP BY v.word
                HAVING similarity(v.word, it.lexemes[1]) >= 0.25
                ORDER BY similarity(v.word, it.lexemes[1]) DESC, v.word
                LIMIT 3)
            ELSE '{}'::text[] END) ORDER BY it.ord) FROM items it), '[]'),
    'completions', CASE WHEN p_prefix IS NULL THEN '{}'::text[] ELSE ARRAY(
        SELECT w.word FROM search_words w
        WHERE w.tenant_id = p_tenant
          AND w.word >= lower(unaccent(p_prefix))
          AND w.word < lower(unaccent(p_prefix)) || U&'\+10FFFF'
        ORDER BY w.word LIMIT p_completions) END)
);
END
$fn$
"""


def upgrade() -> None:
    op.execute(_storage("MAIN"))
    # As the driver's own SQL: a text() clause would read ":alpha" as a bind parameter.
    op.get_bind().exec_driver_sql(CREATE_PLAN)


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS search_plan(uuid, text[], text, int)")
    op.execute(_storage("EXTENDED"))
