# ruff: noqa: S608  (statements are composed of constant fragments; values are parameters)
"""Every query of the search module, in plain SQL on the session's asyncpg connection
(``core.db.driver_connection``): the same transaction and tenant scope, one constant
string per statement shape, lists as arrays.

Writing a batch of documents is three statements whatever its size: the old rows are
locked, the postings they produced are deleted (derived again from the stored ``tsv``,
so nothing else is kept), then one statement upserts the documents and inserts their
postings, any new words and those words' one-deletion variants (data-modifying CTEs).
Documents that cannot be there yet (a row created in this transaction) skip the first two.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.db import driver_connection

# Identifiers are compared folded: lower case, no accents, letters and digits only, so
# QM-1042, qm1042 and "QM 1042" are one key.
_FOLD = "regexp_replace(lower(unaccent({0})), '[^[:alnum:]]+', '', 'g')"
# A document's weight class for a lexeme: 1 title (A), 2 identifiers (B), 3 body (C).
_WEIGHT = "CASE WHEN 'A' = ANY(l.weights) THEN 1 WHEN 'B' = ANY(l.weights) THEN 2 ELSE 3 END"
_SCOPES = (
    "ARRAY[{0}.permission] || CASE WHEN {0}.public THEN ARRAY['public'] ELSE '{{}}'::text[] END"
)
# Separates a document's identifiers in one text parameter (arrays of arrays must be
# rectangular); the unit separator is refused in identifiers.
IDENTIFIER_SEPARATOR = "\x1f"

# The postings the stored rows chosen by <rows> produced (their lexemes with their best
# weight, their '#' keys), for each of their scopes. Writers lock the rows first, in a
# statement of its own (LOCK_*): a concurrent writer of the same document waits, and the
# next statement's snapshot then sees the postings that writer left, so none is orphaned.
_OLD_POSTINGS = f"""
SELECT d.id AS doc, x.term, s.scope, x.w
FROM (
    SELECT id, tsv, keys, permission, public FROM search_documents
    WHERE tenant_id = $1 AND <rows>
) d
CROSS JOIN LATERAL (
    SELECT l.lexeme AS term, {_WEIGHT} AS w FROM unnest(d.tsv) l
    UNION ALL
    SELECT '#' || k, 0 FROM unnest(d.keys) k
) x
CROSS JOIN LATERAL unnest({_SCOPES.format("d")}) s(scope)
"""

_DELETE_OLD_POSTINGS = """
DELETE FROM search_postings p
USING (<old>) o
WHERE p.tenant_id = $1 AND p.term = o.term AND p.scope = o.scope AND p.w = o.w
  AND p.doc = o.doc
"""


def _delete_old_postings(rows: str) -> str:
    return _DELETE_OLD_POSTINGS.replace("<old>", _OLD_POSTINGS.replace("<rows>", rows))


LOCK_DOCUMENTS = """
SELECT 1 FROM search_documents
WHERE tenant_id = $1 AND (type, doc_id) IN (SELECT * FROM unnest($2::text[], $3::uuid[]))
ORDER BY id
FOR UPDATE
"""

DELETE_POSTINGS_OF = _delete_old_postings(
    "(type, doc_id) IN (SELECT * FROM unnest($2::text[], $3::uuid[]))"
)

DELETE_ALL_POSTINGS = "DELETE FROM search_postings WHERE tenant_id = $1"

DELETE_DOCUMENTS = """
DELETE FROM search_documents
WHERE tenant_id = $1 AND (type, doc_id) IN (SELECT * FROM unnest($2::text[], $3::uuid[]))
"""

DELETE_ALL_DOCUMENTS = "DELETE FROM search_documents WHERE tenant_id = $1"

LANGUAGE = "SELECT language FROM search_settings WHERE tenant_id = $1"

# The documents given, their derived columns (weighted tsv, folded keys) in the tenant's
# language, and what they produce once written (``up``): postings, new words and those
# words' one-deletion variants. Completed by the two writers below.
_WRITE_DOCUMENTS = f"""
WITH input AS (
    SELECT * FROM unnest($2::uuid[], $3::text[], $4::uuid[], $5::text[], $6::text[],
                         $7::text[], $8::text[], $9::text[], $10::bool[], $11::timestamptz[])
        AS i(id, type, doc_id, title, identifiers, body, url, permission, public, updated_at)
), lang AS (
    SELECT coalesce((SELECT language FROM search_settings WHERE tenant_id = $1), 'english')
        AS language
), prepared AS (
    SELECT i.*, string_to_array(i.identifiers, E'\\x1f') AS idents, lang.language,
           ('qm_' || lang.language)::regconfig AS cfg
    FROM input i, lang
), up AS (
    INSERT INTO search_documents AS d (id, tenant_id, type, doc_id, title, identifiers, keys,
        body, url, permission, public, language, tsv, updated_at, indexed_at)
    SELECT p.id, $1, p.type, p.doc_id, p.title, p.idents,
           ARRAY(SELECT DISTINCT k FROM (SELECT {_FOLD.format("x")} AS k
                 FROM unnest(p.idents) x) f WHERE k <> ''),
           p.body, p.url, p.permission, p.public, p.language,
           setweight(to_tsvector(p.cfg, p.title), 'A')
           || setweight(to_tsvector('qm_simple', array_to_string(p.idents, ' ')), 'B')
           || setweight(to_tsvector(p.cfg, p.body), 'C'),
           p.updated_at, now()
    FROM prepared p
    <on conflict>
    RETURNING d.id, d.type, d.doc_id, d.tsv, d.keys, d.permission, d.public
), postings AS (
    INSERT INTO search_postings (tenant_id, term, scope, w, doc)
    SELECT $1, x.term, s.scope, min(x.w), up.id
    FROM up
    CROSS JOIN LATERAL (
        SELECT l.lexeme AS term, {_WEIGHT} AS w FROM unnest(up.tsv) l
        UNION ALL
        SELECT '#' || k, 0 FROM unnest(up.keys) k
    ) x
    CROSS JOIN LATERAL unnest({_SCOPES.format("up")}) s(scope)
    GROUP BY x.term, s.scope, up.id
    ON CONFLICT DO NOTHING
), words AS (
    INSERT INTO search_words (tenant_id, word)
    SELECT DISTINCT $1::uuid, l.lexeme FROM up CROSS JOIN LATERAL unnest(up.tsv) l
    WHERE length(l.lexeme) <= 40
    ORDER BY 2
    ON CONFLICT DO NOTHING
    RETURNING word
)<tail>
"""

_VARIANTS = """
INSERT INTO search_word_variants (tenant_id, variant, word)
SELECT DISTINCT $1::uuid, v.variant, w.word
FROM words w
CROSS JOIN LATERAL (
    SELECT w.word AS variant
    UNION
    SELECT overlay(w.word PLACING '' FROM i FOR 1) FROM generate_series(1, length(w.word)) i
) v
WHERE w.word ~ '^[[:alpha:]]{4,24}$'
ORDER BY 2, 3
ON CONFLICT DO NOTHING
"""

# After LOCK_DOCUMENTS and DELETE_POSTINGS_OF: a document already indexed is replaced.
UPSERT_DOCUMENTS = _WRITE_DOCUMENTS.replace(
    "<on conflict>",
    """ON CONFLICT (tenant_id, type, doc_id) DO UPDATE SET
        title = EXCLUDED.title, identifiers = EXCLUDED.identifiers, keys = EXCLUDED.keys,
        body = EXCLUDED.body, url = EXCLUDED.url, permission = EXCLUDED.permission,
        public = EXCLUDED.public, language = EXCLUDED.language, tsv = EXCLUDED.tsv,
        updated_at = EXCLUDED.updated_at, indexed_at = EXCLUDED.indexed_at""",
).replace("<tail>", _VARIANTS)

# Alone, for documents never indexed (a row just created): nothing to lock, no old
# postings. One already there is left untouched and not returned, for the upsert.
INSERT_NEW_DOCUMENTS = _WRITE_DOCUMENTS.replace(
    "<on conflict>", "ON CONFLICT (tenant_id, type, doc_id) DO NOTHING"
).replace("<tail>", f", variants AS ({_VARIANTS})\nSELECT type, doc_id FROM up")

# The tenant's configuration, each query item's lexemes and, for a single unknown word,
# its likely corrections, the completions of the word being typed: ``search_plan(tenant,
# items, prefix, completions)``, a PL/pgSQL function of migration 0017 whose statement is
# planned once per connection (a generic plan; as a statement of its own it was planned
# again on every search, which cost more than running it). The same statement switches
# the transaction to generic plans for the search statement that follows (the previous
# setting is returned, and the search statement restores it).
PLAN = """
SELECT p.plan, current_setting('plan_cache_mode') AS plan_cache_mode,
       set_config('plan_cache_mode', 'force_generic_plan', true) AS generic
FROM search_plan($1, $2, $3, $4) AS p(plan)
"""


@dataclass(frozen=True)
class IndexRow:
    id: uuid.UUID
    type: str
    doc_id: uuid.UUID
    title: str
    identifiers: str
    body: str
    url: str
    permission: str
    public: bool
    updated_at: datetime | None


def _document_arguments(rows: Sequence[IndexRow]) -> list[Any]:
    return [
        [row.id for row in rows],
        [row.type for row in rows],
        [row.doc_id for row in rows],
        [row.title for row in rows],
        [row.identifiers for row in rows],
        [row.body for row in rows],
        [row.url for row in rows],
        [row.permission for row in rows],
        [row.public for row in rows],
        [row.updated_at for row in rows],
    ]


async def upsert_documents(
    session: AsyncSession, tenant_id: uuid.UUID, rows: Sequence[IndexRow]
) -> None:
    """Lock these documents' rows, delete their old postings, then upsert them with their postings,
    new words and word variants: three statements for the whole batch."""
    if not rows:
        return
    connection = await driver_connection(session)
    types = [row.type for row in rows]
    doc_ids = [row.doc_id for row in rows]
    await connection.execute(LOCK_DOCUMENTS, tenant_id, types, doc_ids)
    await connection.execute(DELETE_POSTINGS_OF, tenant_id, types, doc_ids)
    await connection.execute(UPSERT_DOCUMENTS, tenant_id, *_document_arguments(rows))


async def insert_new_documents(
    session: AsyncSession, tenant_id: uuid.UUID, rows: Sequence[IndexRow]
) -> None:
    """Index documents that should not be in the index yet in one statement; any that
    is (a caller mistaken, or a concurrent writer first) goes through
    :func:`upsert_documents`, so the outcome is the same either way."""
    if not rows:
        return
    connection = await driver_connection(session)
    written = {
        (record[0], record[1])
        for record in await connection.fetch(
            INSERT_NEW_DOCUMENTS, tenant_id, *_document_arguments(rows)
        )
    }
    await upsert_documents(
        session, tenant_id, [r for r in rows if (r.type, r.doc_id) not in written]
    )


async def delete_documents(
    session: AsyncSession, tenant_id: uuid.UUID, types: list[str], doc_ids: list[uuid.UUID]
) -> None:
    connection = await driver_connection(session)
    await connection.execute(LOCK_DOCUMENTS, tenant_id, types, doc_ids)
    await connection.execute(DELETE_POSTINGS_OF, tenant_id, types, doc_ids)
    await connection.execute(DELETE_DOCUMENTS, tenant_id, types, doc_ids)


async def delete_all(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Empty the tenant's index (before a rebuild); words stay (they only add candidates)."""
    connection = await driver_connection(session)
    await connection.execute(DELETE_ALL_POSTINGS, tenant_id)
    await connection.execute(DELETE_ALL_DOCUMENTS, tenant_id)


async def language_of(session: AsyncSession, tenant_id: uuid.UUID) -> str | None:
    connection = await driver_connection(session)
    value = await connection.fetchval(LANGUAGE, tenant_id)
    return str(value) if value is not None else None


SET_LANGUAGE = """
INSERT INTO search_settings (tenant_id, language, updated_at) VALUES ($1, $2, now())
ON CONFLICT (tenant_id) DO UPDATE SET language = EXCLUDED.language, updated_at = now()
"""


async def set_language(session: AsyncSession, tenant_id: uuid.UUID, language: str) -> None:
    connection = await driver_connection(session)
    await connection.execute(SET_LANGUAGE, tenant_id, language)


# Re-derive every document of the tenant in the current language: delete the postings,
# rewrite tsv from the stored text, insert the postings, words and variants again.
REDERIVE = f"""
WITH cfg AS (
    SELECT coalesce((SELECT language FROM search_settings WHERE tenant_id = $1), 'english')
        AS language
), up AS (
    UPDATE search_documents d SET
        language = cfg.language,
        tsv = setweight(to_tsvector(('qm_' || cfg.language)::regconfig, d.title), 'A')
           || setweight(to_tsvector('qm_simple', array_to_string(d.identifiers, ' ')), 'B')
           || setweight(to_tsvector(('qm_' || cfg.language)::regconfig, d.body), 'C'),
        indexed_at = now()
    FROM cfg
    WHERE d.tenant_id = $1 AND d.id = ANY($2::uuid[])
    RETURNING d.id, d.tsv, d.keys, d.permission, d.public
), postings AS (
    INSERT INTO search_postings (tenant_id, term, scope, w, doc)
    SELECT $1, x.term, s.scope, min(x.w), up.id
    FROM up
    CROSS JOIN LATERAL (
        SELECT l.lexeme AS term, {_WEIGHT} AS w FROM unnest(up.tsv) l
        UNION ALL
        SELECT '#' || k, 0 FROM unnest(up.keys) k
    ) x
    CROSS JOIN LATERAL unnest({_SCOPES.format("up")}) s(scope)
    GROUP BY x.term, s.scope, up.id
    ON CONFLICT DO NOTHING
), words AS (
    INSERT INTO search_words (tenant_id, word)
    SELECT DISTINCT $1::uuid, l.lexeme FROM up CROSS JOIN LATERAL unnest(up.tsv) l
    WHERE length(l.lexeme) <= 40
    ORDER BY 2
    ON CONFLICT DO NOTHING
    RETURNING word
)
INSERT INTO search_word_variants (tenant_id, variant, word)
SELECT DISTINCT $1::uuid, v.variant, w.word
FROM words w
CROSS JOIN LATERAL (
    SELECT w.word AS variant
    UNION
    SELECT overlay(w.word PLACING '' FROM i FOR 1) FROM generate_series(1, length(w.word)) i
) v
WHERE w.word ~ '^[[:alpha:]]{{4,24}}$'
ORDER BY 2, 3
ON CONFLICT DO NOTHING
"""

DOCUMENT_IDS = """
SELECT id FROM search_documents WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3
"""

# Documents still derived in another language than $2 (a change of language under way),
# in id order after $3: the job's batches walk the (tenant_id, id) index once.
DOCUMENT_IDS_NOT_IN = """
SELECT id FROM search_documents
WHERE tenant_id = $1 AND language <> $2 AND id > $3
ORDER BY id LIMIT $4
"""
COUNT_NOT_IN = "SELECT count(*) FROM search_documents WHERE tenant_id = $1 AND language <> $2"
ANY_NOT_IN = """
SELECT EXISTS (SELECT 1 FROM search_documents WHERE tenant_id = $1 AND language <> $2)
"""
# The tenant's settings row, created with the default language when missing, locked for
# the rest of the transaction: changes of language are serialised per tenant.
ENSURE_SETTINGS = """
INSERT INTO search_settings (tenant_id, updated_at) VALUES ($1, now())
ON CONFLICT (tenant_id) DO NOTHING
"""
LOCK_SETTINGS = "SELECT language FROM search_settings WHERE tenant_id = $1 FOR UPDATE"

DELETE_POSTINGS_BY_IDS = _delete_old_postings("id = ANY($2::uuid[])")
LOCK_BY_IDS = """
SELECT 1 FROM search_documents WHERE tenant_id = $1 AND id = ANY($2::uuid[])
ORDER BY id FOR UPDATE
"""


async def document_ids_after(
    session: AsyncSession, tenant_id: uuid.UUID, after: uuid.UUID, limit: int
) -> list[uuid.UUID]:
    connection = await driver_connection(session)
    rows = await connection.fetch(DOCUMENT_IDS, tenant_id, after, limit)
    return [row["id"] for row in rows]


async def document_ids_not_in(
    session: AsyncSession, tenant_id: uuid.UUID, language: str, after: uuid.UUID, limit: int
) -> list[uuid.UUID]:
    connection = await driver_connection(session)
    rows = await connection.fetch(DOCUMENT_IDS_NOT_IN, tenant_id, language, after, limit)
    return [row["id"] for row in rows]


async def count_documents_not_in(session: AsyncSession, tenant_id: uuid.UUID, language: str) -> int:
    connection = await driver_connection(session)
    return int(await connection.fetchval(COUNT_NOT_IN, tenant_id, language))


async def any_document_not_in(session: AsyncSession, tenant_id: uuid.UUID, language: str) -> bool:
    connection = await driver_connection(session)
    return bool(await connection.fetchval(ANY_NOT_IN, tenant_id, language))


async def lock_settings(session: AsyncSession, tenant_id: uuid.UUID) -> str:
    """The tenant's language, its settings row locked until the transaction ends."""
    connection = await driver_connection(session)
    await connection.execute(ENSURE_SETTINGS, tenant_id)
    return str(await connection.fetchval(LOCK_SETTINGS, tenant_id))


async def rederive(session: AsyncSession, tenant_id: uuid.UUID, ids: list[uuid.UUID]) -> None:
    """Rebuild these documents' tsv and postings in the tenant's current language."""
    connection = await driver_connection(session)
    await connection.execute(LOCK_BY_IDS, tenant_id, ids)
    await connection.execute(DELETE_POSTINGS_BY_IDS, tenant_id, ids)
    await connection.execute(REDERIVE, tenant_id, ids)


@dataclass(frozen=True)
class Plan:
    cfg: str
    lexemes: list[list[str]]  # per query item
    fixes: list[list[str]]  # per query item: likely corrections of an unknown word
    completions: list[str]
    plan_cache_mode: str  # the transaction's setting before the search (restored after)


async def plan(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    items: list[str],
    prefix: str | None,
    completions: int,
) -> Plan:
    connection = await driver_connection(session)
    row = await connection.fetchrow(PLAN, tenant_id, items, prefix, completions)
    planned: dict[str, Any] = _json(row["plan"])
    parsed: list[dict[str, Any]] = planned["items"]
    return Plan(
        cfg=planned["cfg"],
        lexemes=[list(item["lexemes"]) for item in parsed],
        fixes=[list(item["fixes"] or []) for item in parsed],
        completions=list(planned["completions"]),
        plan_cache_mode=row["plan_cache_mode"],
    )


# The search itself. $2/$3: candidate terms and their group (0: identifier keys, always
# candidates; 1..n: one per required word, the smallest of which gives the candidates
# when $6 is true, all of them when false); $4: the reader's scopes; $5: postings read per
# term and scope (best weight first). The candidates are then checked with the full query
# ({query}) and ranked; facets count every match, the page takes the requested types.
SEARCH = """
WITH gt AS (
    SELECT t.term, t.g FROM unnest($2::text[], $3::int[]) AS t(term, g)
    UNION
    SELECT '#' || {fold}, 0 FROM unnest($7::text[]) k WHERE {fold} <> ''
), hits AS (
    SELECT gt.g, x.doc
    FROM gt CROSS JOIN unnest($4::text[]) AS sc(scope)
    CROSS JOIN LATERAL (
        SELECT p.doc FROM search_postings p
        WHERE p.tenant_id = $1 AND p.term = gt.term AND p.scope = sc.scope
        ORDER BY p.w, p.doc
        LIMIT $5
    ) x
), sizes AS (
    SELECT g.g, count(h.doc) AS n
    FROM (SELECT DISTINCT g FROM gt WHERE g > 0) g LEFT JOIN hits h ON h.g = g.g
    GROUP BY g.g
), chosen AS (
    SELECT 0 AS g
    UNION ALL
    SELECT g FROM sizes WHERE NOT $6
    UNION ALL
    (SELECT g FROM sizes WHERE $6 ORDER BY n, g LIMIT 1)
), q AS (
    SELECT {query} AS query
), matched AS (
    SELECT d.id, d.type,
           (ts_rank('{{0.1, 0.2, 0.4, 1.0}}', d.tsv, q.query, 32)
            + CASE WHEN d.keys && ARRAY(SELECT {fold} FROM unnest($8::text[]) k) THEN 10
                   WHEN d.keys && ARRAY(SELECT {fold} FROM unnest($7::text[]) k) THEN 5
                   ELSE 0 END
            + CASE WHEN lower(d.title) = lower($9) THEN 1 ELSE 0 END)::float8 AS score
    FROM search_documents d, q
    WHERE d.tenant_id = $1
      AND d.id = ANY(ARRAY(SELECT DISTINCT doc FROM hits WHERE g IN (SELECT g FROM chosen)))
      AND ($10::text[] IS NULL OR d.permission = ANY($10::text[]))
      AND (NOT $11 OR d.public)
      AND (d.tsv @@ q.query
           OR d.keys && ARRAY(SELECT {fold} FROM unnest($7::text[]) k))
), ranked AS (
    SELECT m.id, m.score, row_number() OVER (ORDER BY m.score DESC, m.id) AS n
    FROM matched m
    WHERE m.type = ANY($12::text[])
      AND ($13::float8 IS NULL OR m.score < $13 OR (m.score = $13 AND m.id > $14))
    ORDER BY m.score DESC, m.id
    LIMIT $15 + 1
), page AS (
    SELECT r.n, r.score, p.id, p.doc_id, p.type, p.title, p.url,
           CASE WHEN r.n > $15 THEN ''
                WHEN ts_filter(p.tsv, '{{c}}') @@ q.query
                THEN ts_headline($16::regconfig, {escape_body}, q.query, {options})
                ELSE ts_headline($16::regconfig, {escape_title}, q.query, {options}) END
               AS snippet
    FROM ranked r JOIN search_documents p ON p.tenant_id = $1 AND p.id = r.id, q
)
SELECT
    (SELECT coalesce(json_agg(json_build_object(
        'id', p.doc_id, 'key', p.id, 'type', p.type, 'title', p.title, 'url', p.url,
        'score', p.score, 'snippet', p.snippet) ORDER BY p.n), '[]') FROM page p) AS items,
    (SELECT coalesce(json_object_agg(f.type, f.n), '{{}}')
     FROM (SELECT type, count(*) AS n FROM matched GROUP BY type) f) AS facets,
    set_config('plan_cache_mode', $17, true) AS plan_cache_mode
"""

_ESCAPE = (
    "replace(replace(replace(replace({0}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), "
    "'\"', '&quot;')"
)
_HEADLINE = "'StartSel=<mark>, StopSel=</mark>, MaxWords=30, MinWords=12, ShortWord=2'"
# ts_headline parses all the text it is given (~1 ms per hit for 4,000 characters): the
# snippet comes from the start of the body when the body (the C lexemes) matches, else
# from the title.
SNIPPET_SOURCE = 1_500


def search_sql(query: str) -> str:
    """The search statement around one tsquery expression (built from parameters $18+)."""
    return SEARCH.format(  # the tsquery is SQL over parameters, built in service
        fold=_FOLD.format("k"),
        query=query,
        escape_body=_ESCAPE.format(f"left(p.body, {SNIPPET_SOURCE})"),
        escape_title=_ESCAPE.format("p.title"),
        options=_HEADLINE,
    )


@dataclass(frozen=True)
class Found:
    items: list[dict[str, Any]]
    facets: dict[str, int]


async def run_search(session: AsyncSession, sql: str, *args: Any) -> Found:
    connection = await driver_connection(session)
    row = await connection.fetchrow(sql, *args)
    return Found(items=_json(row["items"]), facets=_json(row["facets"]))


def _json(value: Any) -> Any:
    # The application's connections decode json themselves; a bare asyncpg one does not.
    return json.loads(value) if isinstance(value, str) else value
