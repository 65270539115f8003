"""Search: keep what every candidate is checked and ranked with inside the document row.

A search reads a few hundred candidate rows of ``search_documents`` and evaluates
``tsv @@ query``, ``ts_rank(tsv, …)``, ``keys && …`` and ``lower(title)`` on each. With
the default storage (EXTENDED everywhere) a long document's ``tsv`` (an article of 300
words: ~2.9 kB) went to the TOAST table, and once it was there the toaster also moved the
row's short columns (title, keys, …) out to get under 2 kB, so every candidate article
cost several TOAST index lookups per function that read them (~a third of the search
statement's CPU). MAIN keeps these columns in the row (compressed first, moved out only
when the row would not fit a page); the body, read only for the page's snippets, stays
EXTENDED and is the one moved out.

Only rows written from now on are stored this way; rows already indexed stay correct and
move inline when they are written again (``qm search-reindex`` rewrites a tenant).

Revision ID: 0016_search_inline
Revises: 0015_search
Create Date: 2026-12-03 01:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0016_search_inline"
down_revision: str | None = "0015_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INLINE = ("type", "title", "identifiers", "keys", "url", "permission", "language", "tsv")


def _storage(kind: str) -> str:
    columns = ", ".join(f"ALTER COLUMN {name} SET STORAGE {kind}" for name in INLINE)
    return f"ALTER TABLE search_documents {columns}"


def upgrade() -> None:
    op.execute(_storage("MAIN"))


def downgrade() -> None:
    op.execute(_storage("EXTENDED"))
