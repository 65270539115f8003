"""Cursor pagination: ``?limit=&cursor=`` in, ``{"items": [...], "next_cursor": …}`` out.

A cursor is the sort key of the last item served, so pages stay stable while rows are
inserted, and no OFFSET scan grows with the page number. It is signed: base64url(JSON
values) + "." + base64url(HMAC-SHA256 over the list's route and the values, with a key
derived from QM_SECRET_KEY). Any cursor the server did not issue for that list (edited,
made by hand, taken from another list) is a 400 ``invalid-cursor`` before its values are
read; the values' JSON types are checked too (``PageParams.decode``).

Keyset paging, written once: a service reads the cursor with ``page.after(*types)``, its
repository applies it with :func:`keyset` (ORDER BY the key, WHERE key > after, LIMIT
``page.fetch``: one row more than the page), and ``page.next_page(rows, key)`` cuts the
page and makes the cursor from the key of its last row.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy import Select, SQLColumnExpression, desc, literal, tuple_

from quartermaster.core.errors import AppError
from quartermaster.core.inputs import text_problem
from quartermaster.core.responses import can_refuse

T = TypeVar("T")
R = TypeVar("R")
Q = TypeVar("Q", bound=Select[*tuple[Any, ...]])

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


# How a sort key's value travels in a cursor: its JSON kind, and back to the value.
KeyType = type[str] | type[int] | type[uuid.UUID] | type[datetime]


def _json_kind(key_type: KeyType | None) -> Kind:
    if key_type is None:
        return (str, None)
    return int if key_type is int else str


def _parse(key_type: KeyType | None, value: Any) -> Any:
    if value is None or key_type in (str, int):
        return value
    try:
        if key_type is uuid.UUID:
            return uuid.UUID(value)
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidCursor from exc


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def keyset(
    query: Q,
    key: Sequence[SQLColumnExpression[Any]],
    after: Sequence[Any] | None,
    *,
    limit: int,
    descending: bool = False,
) -> Q:
    """``query`` ordered by ``key`` (ascending, or all descending), from the row after the
    key values ``after`` (a cursor's, or None for the first page), ``limit`` rows. The key
    must end with a unique column, so "after" is exact."""
    ordered = query.order_by(*(desc(column) if descending else column for column in key))
    if after is not None:
        if len(after) != len(key):
            raise InvalidCursor
        # Each value bound with its column's type (a datetime as timestamptz, a UUID as uuid).
        values = [
            literal(v, type_=getattr(c, "type", None)) for c, v in zip(key, after, strict=True)
        ]
        position: Any = tuple_(*key) if len(key) > 1 else key[0]
        bound: Any = tuple_(*values) if len(key) > 1 else values[0]
        ordered = ordered.where(position < bound if descending else position > bound)
    return ordered.limit(limit)


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

    @property
    def fetch(self) -> int:
        """How many rows a page's query asks for: one more than the page, to know whether
        another page follows."""
        return self.limit + 1

    def after(self, *types: KeyType | None) -> tuple[Any, ...] | None:
        """The sort key the cursor holds, one value per type (``str``, ``int``,
        ``uuid.UUID``, ``datetime``; None: a value that is null, or a string), or None
        without a cursor; InvalidCursor (400) for one this list did not issue or that does
        not hold such values."""
        if not self.cursor:
            return None
        values = self.decode(*(_json_kind(t) for t in types))
        return tuple(_parse(t, v) for t, v in zip(types, values, strict=True))

    def next_page(
        self, rows: Sequence[R], key: Callable[[R], Sequence[Any]]
    ) -> tuple[list[R], str | None]:
        """The page's rows (at most ``limit`` of the ``fetch`` asked for) and the cursor
        after the last of them, made from its ``key``, when more rows follow (else None)."""
        if len(rows) <= self.limit:
            return list(rows), None
        shown = list(rows[: self.limit])
        return shown, self.encode([_jsonable(v) for v in key(shown[-1])])


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
