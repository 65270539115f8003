"""The seam: a document indexed in a transaction is found by the next one; removed, it
is gone; re-indexed, it is found by its new words only."""

from __future__ import annotations

from tests.search.conftest import Index, product


async def test_an_indexed_document_is_found_and_a_removed_one_is_not(index: Index) -> None:
    widget = product("Blue widget", "WID-001", body="A small blue widget for testing")
    await index.add(widget, product("Red gadget", "GAD-002"))

    results = await index.search("widget")
    assert [hit.id for hit in results.items] == [widget.id]
    assert results.items[0].url == f"/products/{widget.id}"
    assert results.facets["product"] == 1

    await index.remove("product", widget.id)
    assert await index.titles("widget") == []


async def test_reindexing_replaces_the_old_words(index: Index) -> None:
    doc = product("Blue widget", "WID-001")
    await index.add(doc)
    await index.add(product("Green sprocket", "WID-001", doc_id=doc.id))
    assert await index.titles("sprocket") == ["Green sprocket"]
    assert await index.titles("widget") == []
