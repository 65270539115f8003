"""Search HTTP API: GET /search (any signed-in principal; each type only for those who may
read it) and the tenant's search settings (GET/PUT /search/settings)."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import APIRouter, Depends, Query, Request, Response, status

from quartermaster.core.db import SessionDep
from quartermaster.core.responses import problems
from quartermaster.core.urls import API
from quartermaster.identity.public import Authenticated, Permission, Principal, require
from quartermaster.jobs.public import JobQueueDep
from quartermaster.search import service
from quartermaster.search.errors import InvalidSearchQuery
from quartermaster.search.schemas import (
    Language,
    SearchHitRead,
    SearchPage,
    SearchSettingsRead,
    SearchSettingsUpdate,
)

router = APIRouter(prefix="/search", tags=["search"])

SettingsWrite = Annotated[Principal, Depends(require(Permission.SETTINGS_WRITE))]
MAX_LIMIT = 100


def _types(raw: str | None) -> list[str]:
    if raw is None or not raw.strip():
        return list(service.TYPES)
    names = [name.strip() for name in raw.split(",") if name.strip()]
    unknown = [name for name in names if name not in service.TYPES]
    if unknown:
        raise InvalidSearchQuery(
            "types",
            f"unknown type(s) {', '.join(sorted(set(unknown)))[:200]}; "
            f"known: {', '.join(service.TYPES)}",
        )
    return list(dict.fromkeys(names))


@router.get(
    "",
    response_model=SearchPage,
    responses=problems(
        400,
        422,
        bad_request="A cursor this search did not issue",
        unprocessable_entity="An empty or too long query, or an unknown type",
    ),
)
async def search(
    request: Request,
    principal: Authenticated,
    session: SessionDep,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=service.MAX_QUERY_LENGTH,
            description='Words, "a phrase", OR, -excluded; the last word may be unfinished',
        ),
    ],
    types: Annotated[
        str | None, Query(max_length=200, description="Comma-separated: product,ticket,article")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> Response:
    """Ranked hits over every module the caller may read; facets count matches per type."""
    if not q.strip():
        raise InvalidSearchQuery("q", "type at least one letter or digit")
    wanted = _types(types)
    results = await service.search(
        session,
        principal.tenant_id,
        q,
        types=wanted,
        permissions={str(p) for p in principal.permissions},
        limit=limit,
        cursor=cursor,
        cursor_key=request.app.state.cursor_key,
        facet_types=service.TYPES,
    )
    readable = {
        t
        for t, perms in service.TYPE_PERMISSIONS.items()
        if perms and any(principal.can(Permission(p)) for p in perms)
    }
    page = SearchPage(
        items=[SearchHitRead.model_validate(hit, from_attributes=True) for hit in results.items],
        next_cursor=results.next_cursor,
        facets={t: n for t, n in results.facets.items() if t in readable},
    )
    # The model's own JSON: returned as a model, FastAPI would validate and serialize the
    # page again (response_model), on the call made at every keystroke.
    return Response(page.model_dump_json(), media_type="application/json")


def _settings_read(settings: service.LanguageSettings) -> SearchSettingsRead:
    return SearchSettingsRead(language=cast(Language, settings.language), reindex=settings.job)


@router.get("/settings", response_model=SearchSettingsRead)
async def read_settings(principal: Authenticated, session: SessionDep) -> SearchSettingsRead:
    """The organisation's text-search language (stemming and stop words), and the change of
    language under way, if any."""
    return _settings_read(await service.language_settings(session, principal.tenant_id))


@router.put(
    "/settings",
    response_model=SearchSettingsRead,
    responses={
        202: {
            "model": SearchSettingsRead,
            "description": "The language changed: `reindex` is the job re-deriving the "
            "documents (Location: /api/v1/jobs/{id}); progress on jobs:updates",
        },
        **problems(409, conflict="Another change of language is under way (its job_id)"),
    },
)
async def update_settings(
    data: SearchSettingsUpdate,
    principal: SettingsWrite,
    session: SessionDep,
    queue: JobQueueDep,
    response: Response,
) -> SearchSettingsRead:
    """Change the language: 202 with the job that re-derives every indexed document in it,
    in batches (search answers throughout; see `reindex`). The same language again is
    200 (or 202 with the job still under way); another language while a change is under
    way is 409."""
    settings = await service.change_language(
        session, queue, principal.tenant_id, data.language, created_by=principal.id
    )
    if settings.job is not None:
        response.status_code = status.HTTP_202_ACCEPTED
        response.headers["Location"] = f"{API}/jobs/{settings.job.id}"
    return _settings_read(settings)
