"""CSV as the app writes and reads it: RFC 4180 (CRLF line ends), UTF-8, a batch of rows at
a time, with cells a spreadsheet would run as a formula neutralised.

Formula injection (OWASP, "CSV Injection"): a cell beginning with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return is taken by Excel, LibreOffice and Google Sheets as a
formula (``=HYPERLINK(…)``, ``=cmd|' /C calc'!A0``). Every CSV the app writes goes
through :func:`csv_bytes`, which prefixes such a cell with a single quote, so the
spreadsheet shows the text as it is. A cell that already starts with quotes followed by
such a character gets one more quote, so :func:`csv_cell_value` (used by the product
import) always gives back exactly what was exported. Plain numbers are left alone
(``-5``, ``-0.25``: a negative quantity or level must stay a number in the sheet, and a
number runs nothing).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence

# Optional quotes, then a character that makes a spreadsheet evaluate the cell.
_FORMULA_START = re.compile(r"^'*[=+\-@\t\r]")
_ESCAPED = re.compile(r"^'+[=+\-@\t\r]")
_PLAIN_NUMBER = re.compile(r"^-?[0-9]+(?:\.[0-9]+)?$")


def neutralised(cell: str) -> str:
    """``cell`` as it is safe to write: a leading quote before a formula-like start."""
    if _FORMULA_START.match(cell) and not _PLAIN_NUMBER.match(cell):
        return "'" + cell
    return cell


def csv_cell_value(cell: str) -> str:
    """The value a cell written by :func:`csv_bytes` stands for (the inverse of
    :func:`neutralised`); other cells are returned as they are."""
    return cell[1:] if _ESCAPED.match(cell) else cell


def csv_bytes(rows: Sequence[Sequence[str]]) -> bytes:
    """Rows as one UTF-8 CSV chunk, ready to stream or append to a file; every cell
    neutralised (see the module's docstring)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(
        [neutralised(cell) for cell in row] for row in rows
    )
    return buffer.getvalue().encode("utf-8")
