"""Reading values back out of this module's opaque cursors."""

from __future__ import annotations

import uuid
from datetime import datetime

from quartermaster.core.pagination import InvalidCursor


def cursor_uuid(value: object) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise InvalidCursor from exc


def cursor_str(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidCursor
    return value


def cursor_datetime(value: object) -> datetime:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise InvalidCursor from exc
