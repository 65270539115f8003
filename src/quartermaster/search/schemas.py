"""Request and response bodies of /search."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, Field

from quartermaster.core.schemas import Strict

DocumentType = Literal["product", "ticket", "article"]
Language = Literal["english", "german", "french", "spanish", "simple"]


class SearchHitRead(BaseModel):
    type: DocumentType
    id: uuid.UUID
    title: str
    snippet: str = Field(
        description="HTML-escaped text in which the matches are wrapped in <mark>…</mark>"
    )
    score: float
    url: str = Field(description="The web app's path: /products/{id}, /tickets/{id}, /kb/{id}")


class SearchPage(BaseModel):
    items: list[SearchHitRead]
    next_cursor: str | None
    facets: dict[str, int] = Field(
        description="Matches per type the caller may read (the same query and filter)"
    )


class SearchSettingsRead(BaseModel):
    language: Language


class SearchSettingsUpdate(Strict):
    language: Language
