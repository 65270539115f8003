"""Cursor pagination: ``?limit=&cursor=`` in, ``{"items": [...], "next_cursor": …}`` out.

A cursor is the sort key of the last item served, so pages stay stable while rows are
inserted, and no OFFSET scan grows with the page number. It is signed: base64url(JSON
values) + "." + base64url(HMAC-SHA256 over the list's route and the values, with a key
derived from QM_SECRET_KEY). Any cursor the server did not issue for that list (edited,
made by hand, taken from another list) is a 400 ``invalid-cursor`` before its values are
read; the values' JSON types are checked too (``PageParams.decode``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query, Request
from pydantic import BaseModel

from quartermaster.core.errors import AppError
from quartermaster.core.inputs import text_problem
from quartermaster.core.responses import can_refuse

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_CURSOR_LENGTH = 2048
_SIGNATURE_BYTES = 16
# Unpadded base64url, a dot, unpadded base64url: nothing the decoder would skip or pad.
_CURSOR_SHAPE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
_KEY_CONTEXT = b"quartermaster pagination cursor v1"
# In-process callers (the demo seed) page without a request: their cursors are signed
# with a key of this process only.
_PROCESS_KEY = secrets.token_bytes(32)

# What a cursor value may be: the JSON types, one or a tuple of several (None for null).
Kind = type | tuple[type | None, ...] | None


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


class InvalidCursor(AppError):
    def __init__(self) -> None:
        super().__init__(
            400,
            "invalid-cursor",
            "The cursor is not one this endpoint issued; start again without it.",
        )


def cursor_key(secret_key: str) -> bytes:
    """The signing key of cursors, derived from the application's secret key (so it is
    not the key that signs tokens)."""
    return hmac.new(secret_key.encode(), _KEY_CONTEXT, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode((text + "=" * (-len(text) % 4)).encode())


def _signature(key: bytes, scope: str, payload: bytes) -> bytes:
    return hmac.new(key, scope.encode() + b"\n" + payload, hashlib.sha256).digest()[
        :_SIGNATURE_BYTES
    ]


def encode_cursor(values: list[Any], *, key: bytes, scope: str = "") -> str:
    payload = json.dumps(values, default=str, separators=(",", ":")).encode()
    return f"{_b64(payload)}.{_b64(_signature(key, scope, payload))}"


def _matches(value: Any, kind: Kind) -> bool:
    if kind is None:
        return value is None
    kinds = kind if isinstance(kind, tuple) else (kind,)
    for each in kinds:
        if each is None and value is None:
            return True
        # bool is an int to Python, never to a cursor
        if (
            isinstance(each, type)
            and isinstance(value, each)
            and (each is bool or not isinstance(value, bool))
        ):
            return True
    return False


def decode_cursor(cursor: str, *kinds: Kind, key: bytes, scope: str = "") -> list[Any]:
    """The values of a cursor this server issued for ``scope``, one per kind and of that
    JSON type; InvalidCursor (400) otherwise."""
    if len(cursor) > MAX_CURSOR_LENGTH or not _CURSOR_SHAPE.match(cursor):
        raise InvalidCursor
    encoded, signature = cursor.split(".")
    try:
        payload, mac = _unb64(encoded), _unb64(signature)
    except (binascii.Error, ValueError) as exc:
        raise InvalidCursor from exc
    if not hmac.compare_digest(mac, _signature(key, scope, payload)):
        raise InvalidCursor
    try:
        values = json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise InvalidCursor from exc
    if not isinstance(values, list) or len(values) != len(kinds):
        raise InvalidCursor
    for value, kind in zip(values, kinds, strict=True):
        if not _matches(value, kind) or (isinstance(value, str) and text_problem(value)):
            raise InvalidCursor
    return values


@dataclass(frozen=True)
class PageParams:
    """A page request: how many items, after which cursor; it signs and checks the
    cursors of its list."""

    limit: int
    cursor: str | None
    key: bytes = field(default=_PROCESS_KEY, repr=False)
    scope: str = ""

    def decode(self, *kinds: Kind) -> list[Any]:
        """The sort key the cursor holds, one value per kind (call it when there is a
        cursor); InvalidCursor (400) for one this list did not issue."""
        return decode_cursor(self.cursor or "", *kinds, key=self.key, scope=self.scope)

    def encode(self, values: list[Any]) -> str:
        """The cursor of the page after the item whose sort key is ``values``."""
        return encode_cursor(values, key=self.key, scope=self.scope)


def _scope(request: Request) -> str:
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else request.url.path


@can_refuse(400)  # invalid-cursor
async def _page_params(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page")] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(max_length=MAX_CURSOR_LENGTH, description="next_cursor of the previous page"),
    ] = None,
) -> PageParams:
    key = request.app.state.cursor_key
    assert isinstance(key, bytes)
    return PageParams(limit=limit, cursor=cursor, key=key, scope=_scope(request))


PageParamsDep = Annotated[PageParams, Depends(_page_params)]
