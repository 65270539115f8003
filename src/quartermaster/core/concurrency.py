"""Optimistic concurrency for editable resources: ``ETag`` out, ``If-Match`` in.

Each editable row has an integer ``version`` incremented on every change; its ETag is
``"<version>"``. A PATCH or DELETE with a stale ``If-Match`` gets 412 and changes nothing;
without ``If-Match`` the write proceeds (last writer wins, as plain HTTP clients expect).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Header

from quartermaster.core.errors import PreconditionFailed


def etag(version: int) -> str:
    return f'"{version}"'


def check_if_match(if_match: str | None, version: int, *, what: str) -> None:
    if if_match is None or if_match.strip() == "*":
        return
    candidates = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if etag(version) not in candidates:
        raise PreconditionFailed(
            f"The {what} has changed since you read it (it is now version {version}); "
            "fetch it again and retry with the new ETag."
        )


IfMatch = Annotated[str | None, Header(alias="If-Match", description="ETag from a previous read")]
