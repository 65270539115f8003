"""Request and response bodies of the Knowledge API (see the contract in the README)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from quartermaster.core.schemas import Strict, StrictPatch


def _clean(value: str) -> str:
    """Text PostgreSQL can store (the edge refuses NUL and lone surrogates in bodies; query
    parameters and in-process callers come through here too)."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("contains characters that are not valid Unicode text") from exc
    return value


Clean = AfterValidator(_clean)
MAX_BODY_CHARS = 200_000
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
TAG_PATTERN = r"^[\w][\w\-.:/]{0,49}$"

Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), Clean
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), Clean]
Description = Annotated[str, StringConstraints(max_length=5_000), Clean]
ArticleBody = Annotated[str, StringConstraints(max_length=MAX_BODY_CHARS), Clean]
Slug = Annotated[str, StringConstraints(min_length=1, max_length=120, pattern=SLUG_PATTERN)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), Clean]
Tag = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=TAG_PATTERN),
    AfterValidator(str.lower),
]
Tags = Annotated[list[Tag], Field(max_length=30)]
Position = Annotated[int, Field(ge=0, le=1_000_000)]


class ArticleStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class Visibility(StrEnum):
    INTERNAL = "internal"
    PUBLIC = "public"


class ArticleSort(StrEnum):
    UPDATED_AT = "updated_at"
    CREATED_AT = "created_at"
    TITLE = "title"


Changed = Literal["title", "body", "tags", "collection", "visibility", "status", "slug"]


# Collections


class CollectionCreate(Strict):
    name: Name
    parent_id: uuid.UUID | None = None
    description: Description = ""
    position: Position = 0


class CollectionUpdate(StrictPatch):
    NULLABLE: ClassVar[frozenset[str]] = frozenset({"parent_id"})

    name: Name | None = None
    parent_id: uuid.UUID | None = None
    description: Description | None = None
    position: Position | None = None


class CollectionRead(BaseModel):
    id: uuid.UUID
    parent_id: uuid.UUID | None
    name: str
    slug: str
    description: str
    position: int
    article_count: int
    created_at: datetime
    updated_at: datetime


# Articles


class ArticleCreate(Strict):
    title: Title
    body: ArticleBody = ""
    collection_id: uuid.UUID | None = None
    tags: Tags = Field(default_factory=list)
    visibility: Visibility = Visibility.INTERNAL
    slug: Slug | None = None
    note: Note | None = None


class ArticleUpdate(StrictPatch):
    NULLABLE: ClassVar[frozenset[str]] = frozenset({"collection_id", "note"})

    title: Title | None = None
    body: ArticleBody | None = None
    tags: Tags | None = None
    collection_id: uuid.UUID | None = None
    visibility: Visibility | None = None
    slug: Slug | None = None
    status: ArticleStatus | None = None
    note: Note | None = None


class ArticleSummary(BaseModel):
    id: uuid.UUID
    slug: str
    title: str
    status: ArticleStatus
    visibility: Visibility
    tags: list[str]
    collection_id: uuid.UUID | None
    author_id: uuid.UUID | None
    author_name: str | None
    revision: int
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None


class ArticleRead(ArticleSummary):
    body: str
    body_html: str


class PreviewIn(Strict):
    body: ArticleBody


class PreviewOut(BaseModel):
    body_html: str


class RevisionSummary(BaseModel):
    number: int
    title: str
    status: ArticleStatus
    visibility: Visibility
    author_id: uuid.UUID | None
    author_name: str | None
    created_at: datetime
    note: str | None
    changed: list[Changed]
    restored_from: int | None


class RevisionRead(RevisionSummary):
    body: str
    body_html: str
    tags: list[str]
    collection_id: uuid.UUID | None


class DiffLine(BaseModel):
    op: Literal["equal", "insert", "delete"]
    old_number: int | None
    new_number: int | None
    text: str


class DiffRead(BaseModel):
    from_: int = Field(alias="from", serialization_alias="from")
    to: int
    title_changed: bool
    lines: list[DiffLine]

    model_config = {"populate_by_name": True}


class Suggestion(BaseModel):
    id: uuid.UUID
    slug: str
    title: str
    snippet: str
    score: float
    url: str


class Suggestions(BaseModel):
    items: list[Suggestion]


# Public help pages


class PublicCollection(BaseModel):
    id: uuid.UUID
    parent_id: uuid.UUID | None
    name: str
    slug: str
    description: str
    article_count: int


class PublicCollections(BaseModel):
    items: list[PublicCollection]


class PublicArticleSummary(BaseModel):
    slug: str
    title: str
    excerpt: str
    collection_slug: str | None
    updated_at: datetime


class PublicArticle(BaseModel):
    slug: str
    title: str
    body_html: str
    collection_slug: str | None
    updated_at: datetime
    tags: list[str]


class PublicSearchHit(BaseModel):
    type: Literal["article"] = "article"
    id: uuid.UUID
    title: str
    snippet: str
    score: float
    url: str


class PublicSearchResults(BaseModel):
    items: list[PublicSearchHit]
    next_cursor: str | None
