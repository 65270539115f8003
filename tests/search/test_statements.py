"""What the search's statements leave behind and how documents are stored: the
transaction's plan setting is restored after a search, a long document keeps what every
candidate is ranked with in its row, and every hit of a page (the last one too) has its
snippet."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import text

from quartermaster.core.db import Database
from quartermaster.search.public import backend
from tests.search.conftest import ALL_PERMISSIONS, Index, article, product


@pytest.mark.parametrize("before", ["auto", "force_custom_plan"])
async def test_a_search_leaves_the_transactions_plan_setting_as_it_was(
    index: Index, database: Database, before: str
) -> None:
    await index.add(product("Blue widget", "WID-1"), article("Widget care", "Oil the widget"))
    async with database.transaction(index.tenant_id) as session:
        await session.execute(
            text("SELECT set_config('plan_cache_mode', :mode, true)"), {"mode": before}
        )
        results = await backend().search(
            session, index.tenant_id, "widget", types=["product", "article"],
            permissions=ALL_PERMISSIONS,
        )  # fmt: skip
        after = (await session.execute(text("SHOW plan_cache_mode"))).scalar_one()
    assert len(results.items) == 2
    assert after == before


async def test_a_long_documents_title_keys_and_tsv_stay_in_its_row(
    index: Index, database: Database
) -> None:
    # An article of 300 made-up words (~2.5 kB that compress poorly, a ~3 kB tsvector):
    # with the default storage its tsv went to TOAST.
    rng = random.Random(15)
    syllables = ["ka", "lo", "mi", "ra", "te", "su", "vo", "ne", "pi", "da", "ro", "zu"]
    words = ("".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(300))
    long = article("Fitting steel anchors", " ".join(words))
    await index.add(long)
    async with database.transaction(index.tenant_id) as session:
        row = (
            await session.execute(
                text(
                    "SELECT pg_column_toast_chunk_id(title) AS title,"
                    " pg_column_toast_chunk_id(keys) AS keys,"
                    " pg_column_toast_chunk_id(tsv) AS tsv,"
                    " pg_column_toast_chunk_id(body) AS body"
                    " FROM search_documents WHERE doc_id = :id"
                ),
                {"id": long.id},
            )
        ).one()
    assert (row.title, row.keys, row.tsv) == (None, None, None)
    assert row.body is not None  # the body is the column that goes out of the row


async def test_every_hit_of_a_page_has_its_snippet_and_the_next_page_follows(
    index: Index,
) -> None:
    await index.add(*(product(f"Anchor bolt M{n}", f"ANC-{n}") for n in range(5)))
    first = await index.search("anchor", types=["product"], limit=2)
    assert len(first.items) == 2
    assert first.next_cursor is not None
    assert all("<mark>" in hit.snippet for hit in first.items)
    seen = [hit.id for hit in first.items]
    cursor = first.next_cursor
    while cursor is not None:
        page = await index.search("anchor", types=["product"], limit=2, cursor=cursor)
        assert all("<mark>" in hit.snippet for hit in page.items)
        seen += [hit.id for hit in page.items]
        cursor = page.next_cursor
    assert len(seen) == len(set(seen)) == 5
