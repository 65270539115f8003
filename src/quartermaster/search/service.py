"""Search use cases: index and remove documents (in the caller's transaction), search with
ranking, prefixes, typos, identifiers and permissions inside the SQL, the tenant's
language. Flush, never commit.

A query is parsed like ``websearch_to_tsquery`` reads it (words, ``"phrases"``, ``OR``,
``-excluded``), then answered in two statements: ``repository.plan`` (each word's
lexemes in the tenant's language, corrections of unknown words, completions of the word
being typed) and ``repository.search_sql`` (candidates from the postings, checked with the
full tsquery and ranked, facets, one page).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.ids import new_id
from quartermaster.core.pagination import InvalidCursor, PageParams
from quartermaster.jobs.public import (
    JobOutput,
    JobQueue,
    JobRead,
    JobRun,
    submit_job,
    unfinished_job,
)
from quartermaster.search import repository
from quartermaster.search.errors import LanguageChangeInProgress
from quartermaster.search.models import DEFAULT_LANGUAGE, LANGUAGES

# The reader permissions of each document type; a type the reader holds none of is
# neither searched nor counted.
TYPE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "product": ("catalog:read",),
    "ticket": ("tickets:read",),
    "article": ("knowledge:read", "knowledge:write"),
}
TYPES: tuple[str, ...] = tuple(TYPE_PERMISSIONS)
PUBLIC_SCOPE = "public"

MAX_QUERY_LENGTH = 200
MAX_CLAUSES = 12
# Postings read per term and reader scope, best weight first: the candidates of a word
# that is in more documents than this are its best-placed ones (title before body). Each
# candidate is read, checked and ranked, so this bounds a search's cost: 100 rather than
# 150 took 16 % off PostgreSQL's CPU per search over 210,000 documents (3.06 → 2.58 ms,
# the benchmark's query mix; five times a page of 20 for each type still).
POSTINGS_PER_TERM = 100
COMPLETIONS = 6
MIN_PREFIX = 2
MAX_BODY = 200_000
MAX_TITLE = 1_000


@dataclass(frozen=True)
class SearchDocument:
    """What a module hands to search: one document, as its readers should find it."""

    type: str
    id: uuid.UUID
    title: str
    identifiers: Sequence[str]
    body: str
    url: str
    permission: str
    public: bool = False
    updated_at: datetime | None = None


@dataclass(frozen=True)
class SearchHit:
    type: str
    id: uuid.UUID
    title: str
    snippet: str
    score: float
    url: str


@dataclass(frozen=True)
class SearchResults:
    items: list[SearchHit]
    next_cursor: str | None
    facets: dict[str, int] = field(default_factory=dict)


class UnknownLanguage(ValueError):
    pass


# --- indexing -------------------------------------------------------------------------


def _clean(text: str, limit: int) -> str:
    # PostgreSQL text refuses NUL; the unit separator splits identifiers.
    return text.replace("\x00", " ").replace(repository.IDENTIFIER_SEPARATOR, " ")[:limit]


def _row(document: SearchDocument) -> repository.IndexRow:
    identifiers = [_clean(value, 200) for value in document.identifiers if value.strip()]
    return repository.IndexRow(
        id=new_id(),
        type=document.type,
        doc_id=document.id,
        title=_clean(document.title, MAX_TITLE),
        identifiers=repository.IDENTIFIER_SEPARATOR.join(identifiers),
        body=_clean(document.body, MAX_BODY),
        url=document.url,
        permission=document.permission,
        public=document.public,
        updated_at=document.updated_at,
    )


async def index_documents(
    session: AsyncSession, tenant_id: uuid.UUID, documents: Sequence[SearchDocument]
) -> None:
    """Upsert documents in the caller's transaction (findable by the next request): three
    statements per batch, whatever its size. A document given twice counts once (the
    last)."""
    latest: dict[tuple[str, uuid.UUID], SearchDocument] = {}
    for document in documents:
        latest[(document.type, document.id)] = document
    await repository.upsert_documents(session, tenant_id, [_row(d) for d in latest.values()])


async def index_new_documents(
    session: AsyncSession, tenant_id: uuid.UUID, documents: Sequence[SearchDocument]
) -> None:
    """Index documents of rows created in the caller's transaction (never indexed yet):
    one statement instead of three. One that is indexed after all is upserted as by
    :func:`index_documents`."""
    latest: dict[tuple[str, uuid.UUID], SearchDocument] = {}
    for document in documents:
        latest[(document.type, document.id)] = document
    await repository.insert_new_documents(session, tenant_id, [_row(d) for d in latest.values()])


async def index_document(
    session: AsyncSession, tenant_id: uuid.UUID, document: SearchDocument
) -> None:
    await index_documents(session, tenant_id, [document])


async def remove_documents(
    session: AsyncSession, tenant_id: uuid.UUID, type: str, ids: Sequence[uuid.UUID]
) -> None:
    if ids:
        await repository.delete_documents(session, tenant_id, [type] * len(ids), list(ids))


async def remove_document(
    session: AsyncSession, tenant_id: uuid.UUID, type: str, id: uuid.UUID
) -> None:
    await remove_documents(session, tenant_id, type, [id])


async def clear_index(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Empty the tenant's index (a rebuild refills it in the same transaction)."""
    await repository.delete_all(session, tenant_id)


# --- settings -------------------------------------------------------------------------


async def language(session: AsyncSession, tenant_id: uuid.UUID) -> str:
    return await repository.language_of(session, tenant_id) or DEFAULT_LANGUAGE


LANGUAGE_JOB = "search_rederive"
_START = uuid.UUID(int=0)


@dataclass(frozen=True)
class LanguageSettings:
    language: str
    # The change of language under way (queued or running), if any.
    job: JobRead | None
    # Whether this call started that job.
    started: bool = False


async def language_settings(session: AsyncSession, tenant_id: uuid.UUID) -> LanguageSettings:
    return LanguageSettings(
        language=await language(session, tenant_id),
        job=await unfinished_job(session, tenant_id, LANGUAGE_JOB),
    )


async def change_language(
    session: AsyncSession,
    queue: JobQueue,
    tenant_id: uuid.UUID,
    name: str,
    *,
    created_by: uuid.UUID | None,
) -> LanguageSettings:
    """Set the tenant's text-search language and submit the job that re-derives the
    indexed documents in it (``rederive_index``). From the commit on, queries and newly
    written documents use the new language; documents not yet re-derived keep their old
    lexemes until the job reaches them. One change at a time: another language while a
    change is under way is refused (409); the same language again answers with that job;
    the same language when some documents are still in another one (a failed job)
    submits a job for them."""
    if name not in LANGUAGES:
        raise UnknownLanguage(name)
    current = await repository.lock_settings(session, tenant_id)
    under_way = await unfinished_job(session, tenant_id, LANGUAGE_JOB)
    if under_way is not None:
        if name != current:
            raise LanguageChangeInProgress(current, under_way.id, under_way.progress)
        return LanguageSettings(language=current, job=under_way)
    if name == current and not await repository.any_document_not_in(session, tenant_id, name):
        return LanguageSettings(language=current, job=None)
    await repository.set_language(session, tenant_id, name)
    job = await submit_job(
        session, queue, tenant_id, LANGUAGE_JOB, params={"language": name}, created_by=created_by
    )
    return LanguageSettings(language=name, job=job, started=True)


async def rederive_index(run: JobRun) -> JobOutput:
    """The job of a change of language: re-derive, a batch per transaction
    (QM_SEARCH_REDERIVE_BATCH), every document whose lexemes are in another language than
    the tenant's, in id order; each batch commits with its checkpoint (progress, where to
    resume). A pass that reached the end starts once more from the beginning, so a
    document written in the old language while the pass went by is not left behind; the
    job ends when a pass finds nothing."""
    tenant_id = run.tenant_id
    state = run.state or {}
    after = uuid.UUID(state["after"]) if "after" in state else _START
    done = int(state.get("done", 0))
    total = state.get("total")
    if total is None:
        async with run.database.transaction(tenant_id) as session:
            target = await language(session, tenant_id)
            total = await repository.count_documents_not_in(session, tenant_id, target)
    while True:
        async with run.database.transaction(tenant_id) as session:
            target = await language(session, tenant_id)
            ids = await repository.document_ids_not_in(
                session, tenant_id, target, after, run.settings.search_rederive_batch
            )
            if not ids:
                if after == _START:
                    break
                after = _START
                continue
            await repository.rederive(session, tenant_id, ids)
            after, done = ids[-1], done + len(ids)
            await run.checkpoint(
                session,
                fraction=done / max(int(total), done, 1),
                state={"after": str(after), "done": done, "total": total},
            )
    return JobOutput(result={"language": target, "documents": done})


# --- queries --------------------------------------------------------------------------


@dataclass(frozen=True)
class Clause:
    kind: Literal["word", "phrase"]
    text: str
    negated: bool = False
    prefix: bool = False
    or_before: bool = False  # joined to the previous clause by OR


_TOKEN = re.compile(r'-?"[^"]*"?|\S+')
_WORD = re.compile(r"^[^\W_]+$")


def parse_query(query: str, *, match: Literal["all", "any"] = "all") -> list[Clause]:
    """Words, "phrases", OR and -exclusions, as websearch_to_tsquery reads them; the last
    word, when nothing follows it, is a prefix (the word being typed)."""
    clauses: list[Clause] = []
    pending_or = False
    tokens = _TOKEN.findall(query)
    for index, token in enumerate(tokens):
        if token.upper() == "OR" and clauses and index + 1 < len(tokens):
            pending_or = True
            continue
        negated = token.startswith("-") and len(token) > 1
        body = token[1:] if negated else token
        or_before = (pending_or or match == "any") and bool(clauses)
        pending_or = False
        if body.startswith('"'):
            text = body.strip('"').strip()
            if text:
                clauses.append(Clause("phrase", text, negated, or_before=or_before))
            continue
        body = body.strip("-")
        if body:
            clauses.append(Clause("word", body, negated, or_before=or_before))
        if len(clauses) >= MAX_CLAUSES:
            break
    if clauses and not query[-1:].isspace():
        last = clauses[-1]
        if (
            last.kind == "word"
            and not last.negated
            and len(last.text) >= MIN_PREFIX
            and _WORD.match(last.text)
            and tokens
            and not tokens[-1].endswith('"')
        ):
            clauses[-1] = Clause("word", last.text, prefix=True, or_before=last.or_before)
    return clauses


def _quoted(lexeme: str) -> str:
    return "'" + lexeme.replace("'", "''").replace("\\", "\\\\") + "'"


@dataclass
class _Query:
    """The tsquery expression as SQL over parameters from $18 on ($16 is the config)."""

    params: list[object] = field(default_factory=list)

    def param(self, value: object) -> str:
        self.params.append(value)
        return f"${17 + len(self.params)}"


def _fingerprint(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


async def search(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    query: str,
    *,
    types: Sequence[str],
    permissions: Collection[str] | None,
    public_only: bool = False,
    match: Literal["all", "any"] = "all",
    limit: int = 20,
    cursor: str | None = None,
    cursor_key: bytes | None = None,
    facet_types: Sequence[str] | None = None,
) -> SearchResults:
    """Ranked hits of ``types`` the reader may see (``permissions``; or public documents
    only), facets per type counted under the same filter (over ``facet_types``, default
    ``types``), one page after ``cursor``. Permissions are part of the SQL, before any
    ranking or paging: a document the reader may not see is never a candidate."""
    if permissions is None and not public_only:
        raise ValueError("permissions=None is only for public_only searches")
    counted = list(dict.fromkeys([*(facet_types or types), *types]))
    if public_only:
        scopes = [PUBLIC_SCOPE]
        readable: list[str] | None = None
    else:
        assert permissions is not None
        scopes = [
            permission
            for type_ in counted
            for permission in TYPE_PERMISSIONS.get(type_, ())
            if permission in permissions
        ]
        readable = scopes
    page = PageParams(limit=limit, cursor=cursor)
    if cursor_key is not None:
        page = PageParams(limit=limit, cursor=cursor, key=cursor_key, scope="search")
    fingerprint = _fingerprint(query, sorted(types), public_only, match)
    after_score: float | None = None
    after_id: uuid.UUID | None = None
    if cursor:
        score, key, seen = page.decode(float, str, str)
        if seen != fingerprint:
            raise InvalidCursor
        try:
            after_id = uuid.UUID(key)
        except ValueError as exc:
            raise InvalidCursor from exc
        after_score = score
    query = query.replace("\x00", " ")[:MAX_QUERY_LENGTH]
    clauses = parse_query(query, match=match)
    if not clauses or not scopes:
        return SearchResults(items=[], next_cursor=None, facets=dict.fromkeys(counted, 0))

    positive = [c for c in clauses if not c.negated]
    prefix = next((c.text for c in positive if c.prefix), None)
    planned = await repository.plan(
        session, tenant_id, [c.text for c in positive], prefix, COMPLETIONS
    )
    any_mode = match == "any" or any(c.or_before for c in clauses)

    # Candidate groups: each required word (or each lexeme of a many-lexeme word) is one.
    terms: list[str] = []
    groups: list[int] = []
    fixes_of: dict[int, list[str]] = {}
    group = 0
    for index, (clause, lexemes, fixes) in enumerate(
        zip(positive, planned.lexemes, planned.fixes, strict=True)
    ):
        fixes_of[index] = fixes
        alternatives = list(fixes)
        if clause.prefix:
            alternatives += planned.completions
        if len(lexemes) == 1 or clause.prefix:
            group += 1
            for term in dict.fromkeys([*lexemes, *alternatives]):
                terms.append(term)
                groups.append(group)
        else:
            for lexeme in lexemes:
                group += 1
                terms.append(lexeme)
                groups.append(group)

    # The tsquery: each clause, its corrections as alternatives, OR chains inside ANDs.
    built = _Query()
    positive_index = {id(c): i for i, c in enumerate(positive)}
    pieces: list[list[str]] = []
    for clause in clauses:
        if clause.kind == "phrase":
            expression = f"phraseto_tsquery($16::regconfig, {built.param(clause.text)})"
        elif clause.prefix:
            expression = (
                f"(to_tsquery($16::regconfig, {built.param(_quoted(clause.text) + ':*')})"
                f" || to_tsquery('qm_simple', {built.param(_quoted(clause.text) + ':*')}))"
            )
        else:
            expression = f"plainto_tsquery($16::regconfig, {built.param(clause.text)})"
        fixes = fixes_of.get(positive_index.get(id(clause), -1), [])
        if fixes and not clause.negated:
            either = " | ".join(_quoted(fix) for fix in fixes)
            expression = f"({expression} || to_tsquery('simple', {built.param(either)}))"
        if clause.negated:
            expression = f"(!! {expression})"
        if clause.or_before and pieces:
            pieces[-1].append(expression)
        else:
            pieces.append([expression])
    tsquery = " && ".join("(" + " || ".join(chain) + ")" for chain in pieces)

    words = [c.text for c in positive if c.kind == "word"]
    sql = repository.search_sql(tsquery)
    found = await repository.run_search(
        session,
        sql,
        tenant_id,
        terms,
        groups,
        scopes,
        POSTINGS_PER_TERM,
        not any_mode,
        words,
        [query.strip()],
        query.strip(),
        readable,
        public_only,
        list(types),
        after_score,
        after_id,
        limit,
        planned.cfg,
        planned.plan_cache_mode,
        *built.params,
    )
    rows = found.items
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = page.encode([float(last["score"]), str(last["key"]), fingerprint])
    hits = [
        SearchHit(
            type=row["type"],
            id=uuid.UUID(row["id"]),
            title=row["title"],
            snippet=row["snippet"],
            score=round(float(row["score"]), 6),
            url=row["url"],
        )
        for row in rows
    ]
    facets = {t: int(found.facets.get(t, 0)) for t in counted}
    return SearchResults(items=hits, next_cursor=next_cursor, facets=facets)
