"""The search module's errors (problem+json through core.errors)."""

from __future__ import annotations

from quartermaster.core.errors import AppError


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
