"""Reading values back out of this module's opaque cursors."""

from __future__ import annotations

import uuid

from quartermaster.core.pagination import InvalidCursor


def cursor_uuid(value: object) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise InvalidCursor from exc
