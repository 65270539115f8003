"""The relevance suite (tests/search/relevance.py) through the SearchBackend seam: every
case must hold. The corpus is indexed once per test (a fresh tenant each time)."""

from __future__ import annotations

import pytest

from tests.search.conftest import Index
from tests.search.relevance import CASES, CORPUS, Case, holds


@pytest.fixture
async def corpus(index: Index) -> Index:
    await index.add(*CORPUS)
    return index


async def test_every_relevance_case_holds(corpus: Index) -> None:
    failures = []
    for case in CASES:
        results = await corpus.search(case.query, permissions=case.permissions, limit=50)
        titles = [hit.title for hit in results.items]
        if not holds(case, titles):
            failures.append(f"{case.query!r} ({sorted(case.permissions)}): {titles}")
    assert not failures, "\n".join(failures)
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", [c for c in CASES if c.first], ids=lambda c: c.query)
async def test_identifiers_and_best_matches_come_first(corpus: Index, case: Case) -> None:
    results = await corpus.search(case.query, permissions=case.permissions)
    assert results.items, case.query
    assert results.items[0].title == case.first
