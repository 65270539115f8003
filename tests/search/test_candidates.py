"""The candidate cap: a word in more documents than ``POSTINGS_PER_TERM`` per reader scope
contributes its best-placed ones (title before identifiers before body), so a title match
is never crowded out by older body matches, and the facets become a lower bound."""

from __future__ import annotations

import pytest

from quartermaster.search import service
from tests.search.conftest import Index, article, product

CAP = 3


@pytest.fixture
def capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "POSTINGS_PER_TERM", CAP)


@pytest.mark.usefixtures("capped")
async def test_a_title_match_is_found_behind_more_body_matches_than_the_cap(
    index: Index,
) -> None:
    # Written first (older ids, which come first among equally placed postings).
    await index.add(*[product(f"Part {n}", body="fits the sprocket drive") for n in range(8)])
    titled = product("Sprocket, 14 teeth")
    await index.add(titled)

    results = await index.search("sprocket")

    assert results.items[0].id == titled.id
    # Candidates: the cap's best-placed postings, the title match among them.
    assert len(results.items) == CAP
    assert results.facets["product"] == CAP  # a lower bound once the cap is reached


@pytest.mark.usefixtures("capped")
async def test_the_cap_is_per_reader_scope_so_one_type_does_not_crowd_out_another(
    index: Index,
) -> None:
    await index.add(*[product(f"Sprocket {n}") for n in range(6)])
    guide = article("Sprocket maintenance", "Clean and oil every sprocket monthly.")
    await index.add(guide)

    results = await index.search("sprocket")

    assert guide.id in {hit.id for hit in results.items}
    assert results.facets == {"product": CAP, "ticket": 0, "article": 1}


async def test_below_the_cap_every_match_is_counted(index: Index) -> None:
    await index.add(*[product(f"Part {n}", body="fits the sprocket drive") for n in range(8)])

    results = await index.search("sprocket", limit=5)

    assert results.facets["product"] == 8
    assert len(results.items) == 5
    assert results.next_cursor is not None
