"""What the knowledge use cases share: slugs, authors, who reads what, reads."""

from __future__ import annotations

import re
import unicodedata
import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.db import violated_constraint
from quartermaster.identity.public import (
    Permission,
    Principal,
    members_with_permission,
)
from quartermaster.knowledge import repository
from quartermaster.knowledge.errors import (
    ArticleNotFound,
    SlugTaken,
    UnknownCollection,
)
from quartermaster.knowledge.models import KbArticle
from quartermaster.knowledge.schemas import (
    ArticleRead,
)

PUBLISHED = "published"
MAX_SLUG = 120


# Shared pieces


def slugify(text: str, *, fallback: str = "article") -> str:
    """Lower-case ASCII words joined by hyphens (accents dropped), at most 80 characters."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:80].strip("-") or fallback


async def _free_slug(
    session: AsyncSession, tenant_id: uuid.UUID, model: type[Any], base: str
) -> str:
    """``base``, else ``base-2`` … ``base-50``, else ``base-`` and random hex: the first
    one nobody in the tenant has (one query; a concurrent taker hits the unique index)."""
    candidates = [base] + [f"{base}-{n}" for n in range(2, 51)]
    taken = await repository.slugs_taken(session, tenant_id, model, candidates)
    for candidate in candidates:
        if candidate not in taken:
            return candidate
    return f"{base}-{uuid.uuid4().hex[:8]}"


async def _author_name(session: AsyncSession, principal: Principal) -> str | None:
    """The saver's name as revisions record it (looked up once per transaction)."""
    if principal.user_id is None:
        return principal.label  # an API key: its name
    names: dict[uuid.UUID, str | None] = session.info.setdefault("knowledge_author_names", {})
    if principal.user_id not in names:
        members = await members_with_permission(
            session, principal.tenant_id, Permission.KNOWLEDGE_READ, [principal.user_id]
        )
        member = members.get(principal.user_id)
        names[principal.user_id] = member.full_name if member else None
    return names[principal.user_id]


def _readable_statuses(principal: Principal) -> list[str] | None:
    """Writers see every article; readers only published ones (drafts are work in
    progress, archived ones withdrawn)."""
    return None if principal.can(Permission.KNOWLEDGE_WRITE) else [PUBLISHED]


async def _flush(session: AsyncSession, slug: str, what: str = "article") -> None:
    try:
        await session.flush()
    except IntegrityError as exc:
        name = violated_constraint(exc) or ""
        if name.endswith("_slug"):
            raise SlugTaken(slug, what) from exc
        if "collection_id" in name:
            raise UnknownCollection from exc
        raise


def _summary_fields(article: KbArticle) -> dict[str, Any]:
    return {
        "id": article.id,
        "slug": article.slug,
        "title": article.title,
        "status": article.status,
        "visibility": article.visibility,
        "tags": list(article.tags),
        "collection_id": article.collection_id,
        "author_id": article.author_id,
        "author_name": article.author_name,
        "revision": article.revision,
        "created_at": article.created_at,
        "updated_at": article.updated_at,
        "published_at": article.published_at,
    }


def article_read(article: KbArticle) -> ArticleRead:
    return ArticleRead(**_summary_fields(article), body=article.body, body_html=article.body_html)


async def _readable(
    session: AsyncSession, principal: Principal, article_id: uuid.UUID
) -> KbArticle:
    article = await repository.article_by_id(session, principal.tenant_id, article_id)
    statuses = _readable_statuses(principal)
    if article is None or (statuses is not None and article.status not in statuses):
        raise ArticleNotFound
    return article
