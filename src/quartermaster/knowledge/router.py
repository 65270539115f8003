"""Knowledge API: /collections, /articles (revisions, diff, restore, preview, suggest) and
the public help pages under /public/{tenant_slug} (no login)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from quartermaster.core.concurrency import IfMatch, etag
from quartermaster.core.db import SessionDep
from quartermaster.core.deps import ClientInfoDep, RedisDep, SettingsDep
from quartermaster.core.pagination import Page, PageParams, PageParamsDep
from quartermaster.core.ratelimit import RateLimited, count_request
from quartermaster.core.responses import (
    CONFLICT,
    NOT_FOUND,
    STALE,
    Responses,
    can_refuse,
    problems,
)
from quartermaster.core.urls import API
from quartermaster.identity.public import Permission, Principal, require
from quartermaster.knowledge import service
from quartermaster.knowledge.repository import ArticleFilter
from quartermaster.knowledge.schemas import (
    SLUG_PATTERN,
    TAG_PATTERN,
    ArticleCreate,
    ArticleRead,
    ArticleSort,
    ArticleStatus,
    ArticleSummary,
    ArticleUpdate,
    CollectionCreate,
    CollectionRead,
    CollectionUpdate,
    DiffRead,
    PreviewIn,
    PreviewOut,
    PublicArticle,
    PublicArticleSummary,
    PublicCollections,
    PublicSearchResults,
    RevisionRead,
    RevisionSummary,
    Suggestions,
    Visibility,
)

KnowledgeRead = Annotated[Principal, Depends(require(Permission.KNOWLEDGE_READ))]
KnowledgeWrite = Annotated[Principal, Depends(require(Permission.KNOWLEDGE_WRITE))]

collections_router = APIRouter(prefix="/collections", tags=["collections"])
articles_router = APIRouter(prefix="/articles", tags=["articles"])


@can_refuse(429)
async def public_rate_limit(
    request: Request, settings: SettingsDep, redis: RedisDep, client: ClientInfoDep
) -> None:
    """QM_PUBLIC_RATE_LIMIT requests per client address (as ``core.deps`` derives it behind
    QM_TRUSTED_PROXIES) and organization in each window; 429 with Retry-After above."""
    if settings.public_rate_limit == 0:
        return
    slug = str(request.path_params.get("tenant_slug", ""))[:80].lower()
    retry_after = await count_request(
        redis,
        "public",
        (slug, client.ip or "unknown"),
        limit=settings.public_rate_limit,
        window_seconds=settings.public_rate_limit_window_seconds,
    )
    if retry_after is not None:
        raise RateLimited(retry_after, "this help centre")


help_router = APIRouter(
    prefix="/public",
    tags=["help-pages"],
    dependencies=[Depends(public_rate_limit)],
)

REVISION_GUARD: Responses = {
    **STALE,
    **problems(428, precondition_required="If-Match is required: the ETag of your last read"),
}
MAX_QUERY = 200
RevisionNumber = Annotated[int, Path(ge=1, le=2_147_483_647)]


def _tagged(response: Response, article: ArticleRead) -> ArticleRead:
    response.headers["ETag"] = etag(article.revision)
    return article


# Collections


@collections_router.get(
    "", response_model=Page[CollectionRead], summary="Collections (the whole tree, flat)"
)
async def list_collections(
    principal: KnowledgeRead, session: SessionDep, page: PageParamsDep
) -> Page[CollectionRead]:
    return await service.list_collections(session, principal, page)


@collections_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CollectionRead,
    summary="Create a collection",
    responses=CONFLICT,
)
async def create_collection(
    data: CollectionCreate, principal: KnowledgeWrite, session: SessionDep, response: Response
) -> CollectionRead:
    collection = await service.create_collection(session, principal, data)
    response.headers["Location"] = f"{API}/collections/{collection.id}"
    return collection


@collections_router.get(
    "/{collection_id}", response_model=CollectionRead, summary="A collection", responses=NOT_FOUND
)
async def get_collection(
    collection_id: uuid.UUID, principal: KnowledgeRead, session: SessionDep
) -> CollectionRead:
    return await service.get_collection(session, principal, collection_id)


@collections_router.patch(
    "/{collection_id}",
    response_model=CollectionRead,
    summary="Rename, describe, reorder or move a collection",
    responses={**NOT_FOUND, **CONFLICT},
)
async def update_collection(
    collection_id: uuid.UUID,
    data: CollectionUpdate,
    principal: KnowledgeWrite,
    session: SessionDep,
) -> CollectionRead:
    return await service.update_collection(session, principal, collection_id, data)


@collections_router.delete(
    "/{collection_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an empty collection",
    responses={**NOT_FOUND, **CONFLICT},
)
async def delete_collection(
    collection_id: uuid.UUID, principal: KnowledgeWrite, session: SessionDep
) -> Response:
    await service.delete_collection(session, principal, collection_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# Articles (fixed paths before /{article_id})


@articles_router.get("", response_model=Page[ArticleSummary], summary="Articles")
async def list_articles(
    principal: KnowledgeRead,
    session: SessionDep,
    page: PageParamsDep,
    status_: Annotated[list[ArticleStatus] | None, Query(alias="status")] = None,
    visibility: Annotated[Visibility | None, Query()] = None,
    collection_id: Annotated[uuid.UUID | None, Query()] = None,
    tag: Annotated[str | None, Query(max_length=50, pattern=TAG_PATTERN)] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=MAX_QUERY)] = None,
    sort: Annotated[ArticleSort, Query()] = ArticleSort.UPDATED_AT,
    order: Annotated[str, Query(pattern="^(asc|desc)$")] = "desc",
) -> Page[ArticleSummary]:
    where = ArticleFilter(
        statuses=[s.value for s in status_] if status_ else None,
        visibility=visibility.value if visibility else None,
        collection_id=collection_id,
        tag=tag.strip().lower() if tag else None,
        q=q.strip() or None if q else None,
    )
    return await service.list_articles(
        session, principal, page, where, sort=sort, descending=order == "desc"
    )


@articles_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ArticleRead,
    summary="Write a new article (a draft at revision 1)",
    responses=CONFLICT,
)
async def create_article(
    data: ArticleCreate, principal: KnowledgeWrite, session: SessionDep, response: Response
) -> ArticleRead:
    article = await service.create_article(session, principal, data)
    response.headers["Location"] = f"{API}/articles/{article.id}"
    return _tagged(response, article)


@articles_router.post(
    "/preview",
    response_model=PreviewOut,
    summary="Render Markdown as a saved article would be (sanitised HTML)",
)
async def preview_article(data: PreviewIn, principal: KnowledgeWrite) -> PreviewOut:
    return PreviewOut(body_html=service.preview(data.body))


@articles_router.get(
    "/suggest",
    response_model=Suggestions,
    summary="Published articles that may answer a ticket's text",
)
async def suggest_articles(
    principal: KnowledgeRead,
    session: SessionDep,
    text: Annotated[str, Query(min_length=1, max_length=5_000)],
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
) -> Suggestions:
    return await service.suggest(session, principal, text, limit)


@articles_router.get(
    "/by-slug/{slug}",
    response_model=ArticleRead,
    summary="An article by its slug",
    responses=NOT_FOUND,
)
async def get_article_by_slug(
    slug: Annotated[str, Path(max_length=120)],
    principal: KnowledgeRead,
    session: SessionDep,
    response: Response,
) -> ArticleRead:
    return _tagged(response, await service.get_article_by_slug(session, principal, slug))


@articles_router.get(
    "/{article_id}", response_model=ArticleRead, summary="An article", responses=NOT_FOUND
)
async def get_article(
    article_id: uuid.UUID, principal: KnowledgeRead, session: SessionDep, response: Response
) -> ArticleRead:
    return _tagged(response, await service.get_article(session, principal, article_id))


@articles_router.patch(
    "/{article_id}",
    response_model=ArticleRead,
    summary="Save an edit as a new revision (If-Match required)",
    responses={**NOT_FOUND, **CONFLICT, **REVISION_GUARD},
)
async def update_article(
    article_id: uuid.UUID,
    data: ArticleUpdate,
    principal: KnowledgeWrite,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> ArticleRead:
    article = await service.update_article(session, principal, article_id, data, if_match)
    return _tagged(response, article)


@articles_router.delete(
    "/{article_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an article and its revisions",
    responses={**NOT_FOUND, **STALE},
)
async def delete_article(
    article_id: uuid.UUID,
    principal: KnowledgeWrite,
    session: SessionDep,
    if_match: IfMatch = None,
) -> Response:
    await service.delete_article(session, principal, article_id, if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@articles_router.get(
    "/{article_id}/revisions",
    response_model=Page[RevisionSummary],
    summary="An article's revisions, newest first",
    responses=NOT_FOUND,
)
async def list_revisions(
    article_id: uuid.UUID, principal: KnowledgeRead, session: SessionDep, page: PageParamsDep
) -> Page[RevisionSummary]:
    return await service.list_revisions(session, principal, article_id, page)


@articles_router.get(
    "/{article_id}/revisions/{number}",
    response_model=RevisionRead,
    summary="One revision of an article, whole",
    responses=NOT_FOUND,
)
async def get_revision(
    article_id: uuid.UUID, number: RevisionNumber, principal: KnowledgeRead, session: SessionDep
) -> RevisionRead:
    return await service.get_revision(session, principal, article_id, number)


@articles_router.get(
    "/{article_id}/diff",
    response_model=DiffRead,
    summary="A line diff of the body between two revisions",
    responses=NOT_FOUND,
)
async def diff_revisions(
    article_id: uuid.UUID,
    principal: KnowledgeRead,
    session: SessionDep,
    from_: Annotated[int, Query(alias="from", ge=1, le=2_147_483_647)],
    to: Annotated[int, Query(ge=1, le=2_147_483_647)],
) -> DiffRead:
    return await service.diff(session, principal, article_id, from_, to)


@articles_router.post(
    "/{article_id}/revisions/{number}/restore",
    response_model=ArticleRead,
    summary="Restore a revision's content as a new revision (If-Match required)",
    responses={**NOT_FOUND, **REVISION_GUARD},
)
async def restore_revision(
    article_id: uuid.UUID,
    number: RevisionNumber,
    principal: KnowledgeWrite,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> ArticleRead:
    article = await service.restore_revision(session, principal, article_id, number, if_match)
    return _tagged(response, article)


# Public help pages: no login; an unknown organization, collection or article is one 404.

TenantSlug = Annotated[str, Path(min_length=1, max_length=80)]
PUBLIC_LIMIT = 50


def _public_page(page: PageParams) -> PageParams:
    return PageParams(
        limit=min(page.limit, PUBLIC_LIMIT), cursor=page.cursor, key=page.key, scope=page.scope
    )


@help_router.get(
    "/{tenant_slug}/collections",
    response_model=PublicCollections,
    summary="The help centre's collections (no login)",
    responses=NOT_FOUND,
)
async def public_collections(tenant_slug: TenantSlug, session: SessionDep) -> PublicCollections:
    return await service.public_collections(session, tenant_slug)


@help_router.get(
    "/{tenant_slug}/articles",
    response_model=Page[PublicArticleSummary],
    summary="The help centre's articles, by title (no login; at most 50 a page)",
    responses=NOT_FOUND,
)
async def public_articles(
    tenant_slug: TenantSlug,
    session: SessionDep,
    page: PageParamsDep,
    collection: Annotated[str | None, Query(max_length=120, pattern=SLUG_PATTERN)] = None,
) -> Page[PublicArticleSummary]:
    return await service.public_articles(session, tenant_slug, collection, _public_page(page))


@help_router.get(
    "/{tenant_slug}/articles/{slug}",
    response_model=PublicArticle,
    summary="A help centre article (no login)",
    responses=NOT_FOUND,
)
async def public_article(
    tenant_slug: TenantSlug, slug: Annotated[str, Path(max_length=120)], session: SessionDep
) -> PublicArticle:
    return await service.public_article(session, tenant_slug, slug)


@help_router.get(
    "/{tenant_slug}/search",
    response_model=PublicSearchResults,
    summary="Search the help centre (no login; at most 50 a page)",
    responses=NOT_FOUND,
)
async def public_search(
    tenant_slug: TenantSlug,
    session: SessionDep,
    page: PageParamsDep,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY)],
) -> PublicSearchResults:
    return await service.public_search(session, tenant_slug, q, _public_page(page))


routers = [collections_router, articles_router, help_router]
router = articles_router
