"""Revisions: the history of an article, line diffs between any two, restores."""

from __future__ import annotations

import difflib
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.markdown import render
from quartermaster.core.pagination import Page, PageParams
from quartermaster.identity.public import (
    Principal,
)
from quartermaster.knowledge import repository
from quartermaster.knowledge.errors import (
    ArticleNotFound,
    DiffTooLarge,
    RevisionNotFound,
)
from quartermaster.knowledge.models import KbRevision
from quartermaster.knowledge.schemas import (
    ArticleRead,
    DiffLine,
    DiffRead,
    RevisionRead,
    RevisionSummary,
)
from quartermaster.knowledge.service.articles import (
    _require_if_match,
    _save,
)
from quartermaster.knowledge.service.common import (
    _readable,
)

# Revisions


def _revision_summary(revision: KbRevision) -> RevisionSummary:
    return RevisionSummary(
        number=revision.number,
        title=revision.title,
        status=revision.status,
        visibility=revision.visibility,
        author_id=revision.author_id,
        author_name=revision.author_name,
        created_at=revision.created_at,
        note=revision.note,
        changed=list(revision.changed),
        restored_from=revision.restored_from,
    )


async def list_revisions(
    session: AsyncSession, principal: Principal, article_id: uuid.UUID, page: PageParams
) -> Page[RevisionSummary]:
    article = await _readable(session, principal, article_id)
    before = None
    if page.cursor:
        (before,) = page.decode(int)
    rows = await repository.revisions_page(
        session, principal.tenant_id, article.id, before=before, limit=page.limit + 1
    )
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    cursor = page.encode([rows[-1].number]) if more and rows else None
    return Page(items=[_revision_summary(r) for r in rows], next_cursor=cursor)


async def _revision(
    session: AsyncSession, tenant_id: uuid.UUID, article_id: uuid.UUID, number: int
) -> KbRevision:
    found = await repository.revision(session, tenant_id, article_id, number)
    if found is None:
        raise RevisionNotFound(number)
    return found


async def get_revision(
    session: AsyncSession, principal: Principal, article_id: uuid.UUID, number: int
) -> RevisionRead:
    article = await _readable(session, principal, article_id)
    revision = await _revision(session, principal.tenant_id, article.id, number)
    return RevisionRead(
        **_revision_summary(revision).model_dump(),
        body=revision.body,
        body_html=render(revision.body),
        tags=list(revision.tags),
        collection_id=revision.collection_id,
    )


# The matcher's cost grows with the product of the two sides' lengths in the worst case
# (about a second at 4,000 densely edited lines on a loaded 2-core VM): articles longer
# than this are not compared line by line.
MAX_DIFF_LINES = 5_000


def line_diff(old: str, new: str) -> list[DiffLine]:
    """The lines of ``new`` against ``old``: equal, deleted (old number) and inserted (new
    number), in reading order. difflib's SequenceMatcher on whole lines is enough here:
    articles are documents of at most a few thousand lines (longer ones are not
    compared: ``MAX_DIFF_LINES``); lines that make up over 1 % of a long text (blank
    lines, rules) only extend matches (autojunk); its matching blocks are what a reader
    expects of a line diff (the longest common runs); and a replaced run reads as its
    deletions then its insertions, as in ``diff -u``."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    lines: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            lines.extend(
                DiffLine(op="equal", old_number=i + 1, new_number=j + 1, text=old_lines[i])
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            )
            continue
        lines.extend(
            DiffLine(op="delete", old_number=i + 1, new_number=None, text=old_lines[i])
            for i in range(i1, i2)
        )
        lines.extend(
            DiffLine(op="insert", old_number=None, new_number=j + 1, text=new_lines[j])
            for j in range(j1, j2)
        )
    return lines


async def diff(
    session: AsyncSession, principal: Principal, article_id: uuid.UUID, old: int, new: int
) -> DiffRead:
    article = await _readable(session, principal, article_id)
    before = await _revision(session, principal.tenant_id, article.id, old)
    after = await _revision(session, principal.tenant_id, article.id, new)
    longest = max(before.body.count("\n"), after.body.count("\n")) + 1
    if longest > MAX_DIFF_LINES:
        raise DiffTooLarge(longest, MAX_DIFF_LINES)
    return DiffRead(
        from_=old,
        to=new,
        title_changed=before.title != after.title,
        lines=line_diff(before.body, after.body),
    )


async def restore_revision(
    session: AsyncSession,
    principal: Principal,
    article_id: uuid.UUID,
    number: int,
    if_match: str | None,
) -> ArticleRead:
    """A new revision with revision ``number``'s content (title, body, tags and its
    collection if that still exists). The article's status, visibility and slug stay as
    they are: a restore neither publishes, hides nor moves an article's address."""
    tenant_id = principal.tenant_id
    article = await repository.article_by_id(session, tenant_id, article_id, lock=True)
    if article is None:
        raise ArticleNotFound
    _require_if_match(if_match, article)
    old = await _revision(session, tenant_id, article.id, number)
    values: dict[str, Any] = {"title": old.title, "body": old.body, "tags": list(old.tags)}
    if old.collection_id is None or await repository.collection_by_id(
        session, tenant_id, old.collection_id
    ):
        values["collection_id"] = old.collection_id
    return await _save(
        session,
        principal,
        article,
        values,
        note=f"Restored revision {number}",
        restored_from=number,
    )
