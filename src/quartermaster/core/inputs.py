"""What the API accepts from outside, in one place: bounded timestamps, plain decimals,
strict booleans, and text without NUL characters or lone surrogates.

Every module's schemas, query parameters and import rows use these types, so a value
that PostgreSQL or Python's datetime cannot hold is a 422 at the edge, never a 500 (or a
query that never ends) deeper in.
"""

from __future__ import annotations

import json
import math
import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import unquote_to_bytes

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Strict, WithJsonSchema
from pydantic_core import PydanticCustomError

from quartermaster.core.errors import AppError

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


# Booleans
#
# JSON bodies: true and false only (Pydantic's lax mode would take "yes", "on", 1, ...).
# Query parameters: the strings "true" and "false" only. CSV import cells: true or false
# in any letter case (spreadsheets write TRUE), or empty for the default.

Flag = Annotated[bool, Strict()]


def _query_flag(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise PydanticCustomError("bool_parsing", "must be true or false")


def _cell_flag(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return _query_flag(value)


QueryFlag = Annotated[bool, BeforeValidator(_query_flag)]
CellFlag = Annotated[bool, BeforeValidator(_cell_flag)]


# Decimals: quantities and money
#
# A JSON number, or a string of ASCII digits with an optional minus sign and decimal
# point: "12", "-0.5". Exponents ("1e3"), digit group separators ("1_000", "1,000"),
# other scripts' digits ("١٢"), signs like "+1" and NaN/Infinity are refused (422), never
# guessed at. Values are normalised: -0 is 0, and none is ever written with an exponent.

_PLAIN_DECIMAL = re.compile(r"^-?[0-9]+(?:\.[0-9]+)?$")
DECIMAL_FORMAT = "a decimal number in ASCII digits, e.g. 12 or -0.5, without exponent or separators"


def _plain_decimal(value: Any) -> Any:
    if isinstance(value, bool):
        raise PydanticCustomError("decimal_type", "must be {format}", {"format": DECIMAL_FORMAT})
    if isinstance(value, str):
        if not _PLAIN_DECIMAL.match(value):
            raise PydanticCustomError(
                "decimal_format", "must be {format}", {"format": DECIMAL_FORMAT}
            )
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PydanticCustomError(
                "decimal_format", "must be {format}", {"format": DECIMAL_FORMAT}
            )
        # 1e3 and 1000.0 are the number 1000; otherwise the shortest repr's digits
        return Decimal(int(value)) if value.is_integer() else Decimal(repr(value))
    return value


def _normalised(value: Decimal) -> Decimal:
    if value.is_zero():
        return abs(value)  # -0 and -0.00 are 0 and 0.00
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        return value.quantize(Decimal(1))  # 1E+3 from a JSON number is 1000
    return value


PlainDecimal = Annotated[
    Decimal,
    BeforeValidator(_plain_decimal),
    AfterValidator(_normalised),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number"},
                {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$"},
            ]
        }
    ),
]
"""Every quantity and amount a client sends (see above); constrain it further with
``Field`` (``ge``, ``max_digits``, ``decimal_places``) where used."""


# Free-form JSON (product attributes)

MAX_ATTRIBUTE_DEPTH = 32


def _storable_json(value: dict[str, Any]) -> dict[str, Any]:
    found = json_value_problem(value, max_depth=MAX_ATTRIBUTE_DEPTH)
    if found is not None:
        where, reason = found
        raise PydanticCustomError(
            "invalid_json_value",
            "{where}{reason}",
            {"where": f"{where} " if where else "", "reason": reason},
        )
    return value


JsonObject = Annotated[dict[str, Any], AfterValidator(_storable_json)]
"""A JSON object clients fill freely: at most MAX_ATTRIBUTE_DEPTH levels deep, every key
and string storable as text."""


# Text: NUL characters and lone surrogates
#
# PostgreSQL cannot store U+0000 in text or jsonb, and a lone surrogate (U+D800-U+DFFF
# alone) is not a character at all: UTF-8 cannot encode it. Either reached the database
# as a 500. They are refused once, at the edge (core.http), for every string of a JSON
# body, a form body, the query string and the path, whatever the route's schema.

MAX_JSON_DEPTH = 64
# A JSON body can only hold either as an escape: \u0000, or \uD800-\uDFFF (a surrogate
# escape; pairs are fine). Bodies without one of these are not parsed twice.
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")


@dataclass(frozen=True)
class TextProblem:
    """Where a refused string is (``location``: body, query, path or form; ``field``: a
    dotted path or parameter name) and what is wrong with it."""

    location: str
    field: str
    message: str


NUL_MESSAGE = "contains a NUL character (U+0000), which text cannot hold"
SURROGATE_MESSAGE = "contains a lone surrogate (U+D800 to U+DFFF), which is not a character"
NOT_UTF8_MESSAGE = "is not UTF-8 once percent-decoded"


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, or None."""
    if "\x00" in value:
        return NUL_MESSAGE
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return SURROGATE_MESSAGE
    return None


def json_value_problem(value: Any, *, max_depth: int = MAX_JSON_DEPTH) -> tuple[str, str] | None:
    """The first (dotted path, reason) of a string or key in a parsed JSON value that
    cannot be stored, or of nesting deeper than ``max_depth``; None when all is well.
    Iterative, so no depth makes it recurse."""
    stack: list[tuple[Any, tuple[str, ...]]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        if len(path) > max_depth:
            return ".".join(path[:max_depth]), f"is nested more than {max_depth} levels deep"
        if isinstance(item, str):
            if (reason := text_problem(item)) is not None:
                return ".".join(path), reason
        elif isinstance(item, dict):
            for key, child in item.items():
                if (reason := text_problem(key)) is not None:
                    return ".".join((*path, _printable(key))), f"has a key that {reason}"
                stack.append((child, (*path, key)))
        elif isinstance(item, list):
            stack.extend((child, (*path, str(index))) for index, child in enumerate(item))
    return None


def _printable(key: str) -> str:
    """A refused key as it can be shown and logged: its NUL or surrogate escaped."""
    return key.encode("unicode_escape").decode("ascii")


def json_body_problem(body: bytes) -> TextProblem | None:
    """A JSON request body's first string that cannot be stored (see above). Cheap for
    the usual body: one regular-expression scan and no parse."""
    if _SUSPECT_ESCAPE.search(body) is None:
        return None
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return None  # not JSON: the route's own parsing answers with its 400
    found = json_value_problem(value, max_depth=sys.maxsize)
    if found is None:
        return None
    field, reason = found
    return TextProblem("body", field, reason)


def _decoded(raw: bytes, *, plus_is_space: bool) -> str | None:
    """Percent-decoded UTF-8, or None when the bytes are not UTF-8 (or hold a NUL)."""
    if plus_is_space:
        raw = raw.replace(b"+", b" ")
    data = unquote_to_bytes(raw)
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _pair_problem(location: str, name: bytes, value: bytes) -> TextProblem | None:
    decoded_name = _decoded(name, plus_is_space=True)
    if decoded_name is None:
        field = name.decode("ascii", "backslashreplace")
        return TextProblem(location, field, _reason(name, "name"))
    if _decoded(value, plus_is_space=True) is None:
        return TextProblem(location, decoded_name, _reason(value, "value"))
    return None


def _reason(raw: bytes, what: str) -> str:
    return f"its {what} {_bytes_reason(unquote_to_bytes(raw.replace(b'+', b' ')))}"


def _bytes_reason(data: bytes) -> str:
    return NUL_MESSAGE if b"\x00" in data else NOT_UTF8_MESSAGE


def urlencoded_problem(data: bytes, location: str) -> TextProblem | None:
    """The first name or value of a query string or form body that is not clean UTF-8
    text once percent-decoded. Plain ASCII without escapes passes without decoding."""
    if data.isascii() and b"%" not in data:
        return None
    for pair in data.split(b"&"):
        name, _, value = pair.partition(b"=")
        if (problem := _pair_problem(location, name, value)) is not None:
            return problem
    return None


def path_problem(raw_path: bytes) -> TextProblem | None:
    """A path segment that is not clean UTF-8 text once percent-decoded."""
    if raw_path.isascii() and b"%" not in raw_path:
        return None
    for segment in raw_path.split(b"/"):
        if _decoded(segment, plus_is_space=False) is None:
            field = segment.decode("ascii", "backslashreplace")
            return TextProblem("path", field, _reason_path(segment))
    return None


def _reason_path(segment: bytes) -> str:
    return f"the segment {_bytes_reason(unquote_to_bytes(segment))}"


class InvalidText(AppError):
    """422: a string of the request that cannot be stored, named as validation errors
    name fields (``location`` + ``field``)."""

    def __init__(self, problem: TextProblem) -> None:
        where = f"{problem.location} {problem.field}".strip() if problem.field else problem.location
        loc: list[str] = (
            [problem.location, *problem.field.split(".")] if problem.field else [problem.location]
        )
        super().__init__(
            422,
            "invalid-text",
            f"The request is invalid: {where} {problem.message}.",
            extensions={
                "errors": [
                    {
                        "location": problem.location,
                        "field": problem.field,
                        "loc": loc,
                        "message": problem.message,
                        "type": "invalid_text",
                    }
                ]
            },
        )
