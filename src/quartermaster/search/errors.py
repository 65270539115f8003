"""The search module's errors (problem+json through core.errors)."""

from __future__ import annotations

import uuid

from quartermaster.core.errors import AppError, Conflict


class InvalidSearchQuery(AppError):
    """A 422 naming one query parameter."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(
            422,
            "invalid-search-query",
            f"{field}: {message}",
            extensions={
                "errors": [
                    {
                        "location": "query",
                        "field": field,
                        "loc": ["query", field],
                        "message": message,
                        "type": "invalid",
                    }
                ]
            },
        )


class LanguageChangeInProgress(Conflict):
    """One change of language at a time: the index is being re-derived in another one."""

    def __init__(self, language: str, job_id: uuid.UUID, progress: int) -> None:
        super().__init__(
            f"The search index is being re-derived in {language} (job {job_id}, {progress}% "
            "done); change the language again once that job has finished.",
            code="search-language-change-in-progress",
            extensions={"job_id": str(job_id), "language": language},
        )
