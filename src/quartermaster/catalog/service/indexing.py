"""Products in the search index, renewed in the transaction that changes them (create,
update, archive, import) and removed with them, so the next request finds what was
written. Archived products stay indexed and findable (people look up old SKUs); their
document says "archived" in its body, so the word finds them too."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.catalog.repository.documents import ProductText, product_texts
from quartermaster.search.public import SearchDocument, index_documents, remove_document

PRODUCT_PERMISSION = "catalog:read"
_DEFERRED = "quartermaster.catalog.deferred_search_index"
_BATCH = 1_000


def product_document(product: ProductText) -> SearchDocument:
    """Name as title; SKU and barcode as identifiers (exact matches rank first);
    description and category as body."""
    body = [product.description or "", product.category or ""]
    if not product.is_active:
        body.append("archived")
    return SearchDocument(
        type="product",
        id=product.id,
        title=product.name,
        identifiers=[product.sku, *([product.barcode] if product.barcode else [])],
        body="\n".join(part for part in body if part),
        url=f"/products/{product.id}",
        permission=PRODUCT_PERMISSION,
        updated_at=product.updated_at,
    )


async def index_products(
    session: AsyncSession, tenant_id: uuid.UUID, product_ids: list[uuid.UUID]
) -> None:
    """(Re)index these products as the transaction now holds them: one read, three writes
    per 1,000 (or, in a transaction that deferred indexing, at its ``flush_indexing``)."""
    deferred = session.info.get(_DEFERRED)
    if isinstance(deferred, set):
        deferred.update(product_ids)
        return
    for start in range(0, len(product_ids), _BATCH):
        rows = await product_texts(session, tenant_id, ids=product_ids[start : start + _BATCH])
        await index_documents(session, tenant_id, [product_document(row) for row in rows])


async def reindex_category(
    session: AsyncSession, tenant_id: uuid.UUID, category_id: uuid.UUID
) -> None:
    """Renew the documents of a category's products (its name is in their body), in the
    renaming transaction: one read and three writes per 1,000 products."""
    after: uuid.UUID | None = None
    while rows := await product_texts(
        session, tenant_id, category_id=category_id, after=after, limit=_BATCH
    ):
        await index_documents(session, tenant_id, [product_document(row) for row in rows])
        after = rows[-1].id


async def unindex_product(
    session: AsyncSession, tenant_id: uuid.UUID, product_id: uuid.UUID
) -> None:
    deferred = session.info.get(_DEFERRED)
    if isinstance(deferred, set):
        deferred.discard(product_id)
    await remove_document(session, tenant_id, "product", product_id)


def defer_indexing(session: AsyncSession) -> None:
    """For bulk writers (the demo seed) creating products one by one: collect them and
    index them set-wise at ``flush_indexing``, which must run before the commit."""
    session.info.setdefault(_DEFERRED, set())


async def flush_indexing(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    deferred = session.info.pop(_DEFERRED, None)
    if deferred:
        await index_products(session, tenant_id, sorted(deferred))


async def searchable_products(
    session: AsyncSession, tenant_id: uuid.UUID, after: uuid.UUID | None, limit: int
) -> list[SearchDocument]:
    """A page of the tenant's products as search documents, in id order (``qm
    search-reindex``); the next page starts after the last document's id."""
    rows = await product_texts(session, tenant_id, after=after, limit=limit)
    return [product_document(row) for row in rows]
