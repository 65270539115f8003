"""Request and response bodies of /search."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, Field

from quartermaster.core.schemas import Strict
from quartermaster.jobs.public import JobRead

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
    language: Language = Field(
        description="The language queries and newly written documents use (stemming, stop words)"
    )
    reindex: JobRead | None = Field(
        description="The change of language under way (kind search_rederive), queued or "
        "running: until it has succeeded, documents it has not reached keep their old "
        "language's lexemes (found by identifiers and unchanged words, not by stems of the "
        "new language). Null when every document is in the language."
    )


class SearchSettingsUpdate(Strict):
    language: Language
