"""The knowledge base's domain errors (rendered as problem+json by core.errors).

An unknown id in the path is a 404 whether it never existed or is another tenant's; a
body that names something this tenant does not have (a collection) is a 422 naming the
field. On the public help pages every refusal to show something is the same 404.
"""

from __future__ import annotations

from quartermaster.core.errors import AppError, Conflict, NotFound


class CollectionNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__(
            "No collection with this id in this organization.", code="collection-not-found"
        )


class ArticleNotFound(NotFound):
    def __init__(self, *, slug: str | None = None) -> None:
        named = "this id" if slug is None else f"the slug '{slug}'"
        super().__init__(f"No article with {named} in this organization.", code="article-not-found")


class RevisionNotFound(NotFound):
    def __init__(self, number: int) -> None:
        super().__init__(f"The article has no revision {number}.", code="revision-not-found")


class PublicNotFound(NotFound):
    """One body for an unknown organization, an unknown article and one that is not
    published and public: the help pages tell nobody which of these it was."""

    def __init__(self) -> None:
        super().__init__("No such help page.", code="help-page-not-found")


class UnknownCollection(AppError):
    def __init__(self, field: str = "collection_id") -> None:
        super().__init__(
            422,
            "unknown-collection",
            f"{field}: no collection with this id in this organization.",
            extensions={
                "errors": [
                    {
                        "location": "body",
                        "field": field,
                        "loc": ["body", field],
                        "message": "No collection with this id in this organization.",
                        "type": "unknown_collection",
                    }
                ]
            },
        )


class CollectionCycle(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "A collection cannot be moved under itself or one of its own sub-collections.",
            code="collection-cycle",
        )


class CollectionNotEmpty(Conflict):
    def __init__(self, articles: int, children: int) -> None:
        super().__init__(
            f"The collection still holds {articles} article(s) and {children} "
            "sub-collection(s); move or delete them first.",
            code="collection-not-empty",
            extensions={"article_count": articles, "child_count": children},
        )


class SlugTaken(Conflict):
    def __init__(self, slug: str, what: str = "article") -> None:
        super().__init__(
            f"Another {what} of this organization already has the slug {slug!r}.",
            code="slug-taken",
        )


class IfMatchRequired(AppError):
    def __init__(self) -> None:
        super().__init__(
            428,
            "precondition-required",
            "Send the article's ETag in If-Match (from your last read), so that an edit made "
            "since then is not overwritten.",
        )


class StaleRevision(AppError):
    def __init__(self, current: int) -> None:
        super().__init__(
            412,
            "precondition-failed",
            f"The article has changed since you read it (it is now at revision {current}); "
            "fetch it again, merge your change and retry with the new ETag.",
            extensions={"current_revision": current},
        )


class PublishForbidden(AppError):
    def __init__(self) -> None:
        super().__init__(
            403,
            "forbidden",
            "Publishing or unpublishing an article needs the knowledge:publish permission.",
        )


class DiffTooLarge(AppError):
    def __init__(self, lines: int, limit: int) -> None:
        super().__init__(
            422,
            "diff-too-large",
            f"One of the two revisions has {lines} lines; line diffs compare at most {limit}.",
        )
