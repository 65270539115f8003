"""CSV as the exports write it: RFC 4180 (CRLF line ends), UTF-8, a batch of rows at a time."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence


def csv_bytes(rows: Sequence[Sequence[str]]) -> bytes:
    """Rows as one UTF-8 CSV chunk, ready to stream or append to a file."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")
