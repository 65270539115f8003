"""What the API accepts from outside, in one place: bounded timestamps, plain decimals,
strict booleans, and text without NUL characters or lone surrogates.

Every module's schemas, query parameters and import rows use these types, so a value
that PostgreSQL or Python's datetime cannot hold is a 422 at the edge, never a 500 (or a
query that never ends) deeper in.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime
from pydantic_core import PydanticCustomError

# Timestamps

MIN_YEAR = 1900
MAX_YEAR = 9999
TIMESTAMP_RANGE = f"{MIN_YEAR}-01-01T00:00:00Z to {MAX_YEAR}-12-31T23:59:59Z"


def as_utc(value: datetime) -> datetime | None:
    """``value`` in UTC, or None when the result falls outside Python's years 1 to 9999 (year
    1 with a positive offset, 9999-12-31 with a negative one)."""
    offset = value.utcoffset()
    if offset is None:
        return None
    try:
        return (value.replace(tzinfo=None) - offset).replace(tzinfo=UTC)
    except OverflowError:
        return None


def _within_years(value: datetime) -> datetime:
    utc = as_utc(value)
    if utc is None or not MIN_YEAR <= utc.year <= MAX_YEAR:
        raise PydanticCustomError(
            "timestamp_out_of_range",
            "must lie between {range} once its offset is applied",
            {"range": TIMESTAMP_RANGE},
        )
    return value


Timestamp = Annotated[AwareDatetime, AfterValidator(_within_years)]
"""A date and time with an offset (``Z`` or ``+02:00``), between years 1900 and 9999 in
UTC. Every datetime a client sends (bodies and query parameters) has this type."""
