"""OpenAPI descriptions of the error answers routers declare (``responses=``); the bodies
are problem+json, rendered by ``core.errors``."""

from __future__ import annotations

from typing import Any

Responses = dict[int | str, dict[str, Any]]

NOT_FOUND: Responses = {404: {"description": "No such resource in this organization"}}
CONFLICT: Responses = {409: {"description": "Conflicts with existing data"}}
STALE: Responses = {412: {"description": "If-Match does not match the current ETag"}}
