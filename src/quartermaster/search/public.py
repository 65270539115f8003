"""The search module's surface: how modules hand it their documents (in their writing
transaction) and how they search (the knowledge base's public help pages, suggestions).

    index_document(session, tenant_id, SearchDocument(...))   # upsert, findable at once
    index_documents(session, tenant_id, [...])                 # a batch: three statements
    index_new_documents(session, tenant_id, [...])             # rows created now: one
    remove_document(session, tenant_id, "product", product_id)
    search(session, tenant_id, "widgit", types=["article"], permissions=principal_perms)

``search`` signs its cursors with ``cursor_key`` (pass ``request.app.state.cursor_key``
from a route, so any worker accepts them); without it, with a key of this process.
"""

from __future__ import annotations

from quartermaster.search.backend import PostgresBackend, SearchBackend, backend
from quartermaster.search.service import (
    TYPE_PERMISSIONS,
    TYPES,
    SearchDocument,
    SearchHit,
    SearchResults,
    clear_index,
    index_document,
    index_documents,
    index_new_documents,
    remove_document,
    remove_documents,
    search,
)

__all__ = [
    "TYPES",
    "TYPE_PERMISSIONS",
    "PostgresBackend",
    "SearchBackend",
    "SearchDocument",
    "SearchHit",
    "SearchResults",
    "backend",
    "clear_index",
    "index_document",
    "index_documents",
    "index_new_documents",
    "remove_document",
    "remove_documents",
    "search",
]
