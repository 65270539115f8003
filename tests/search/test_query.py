"""How a query is read (words, phrases, OR, exclusions, the word being typed) and the
seam's other modes: public documents only, and any word (suggestions)."""

from __future__ import annotations

import pytest

from quartermaster.search.service import Clause, parse_query
from tests.search.conftest import Index, article, product


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("road", [Clause("word", "road", prefix=True)]),
        ("road ", [Clause("word", "road")]),
        ("blue widg", [Clause("word", "blue"), Clause("word", "widg", prefix=True)]),
        ('"packing tape"', [Clause("phrase", "packing tape")]),
        ("widget -blue", [Clause("word", "widget"), Clause("word", "blue", negated=True)]),
        (
            "printer OR gloves",
            [Clause("word", "printer"), Clause("word", "gloves", prefix=True, or_before=True)],
        ),
        ("QM-1042", [Clause("word", "QM-1042")]),
        ("x", [Clause("word", "x")]),
        ("OR", [Clause("word", "OR", prefix=True)]),
        ('"', []),
        ("-", []),
    ],
)
def test_queries_are_read_like_websearch_with_the_last_word_typed(
    query: str, expected: list[Clause]
) -> None:
    assert parse_query(query) == expected


def test_any_joins_every_word_with_or() -> None:
    clauses = parse_query("printer jams tray ", match="any")
    assert [c.or_before for c in clauses] == [False, True, True]


async def test_public_only_finds_public_documents_without_permissions(index: Index) -> None:
    shipping = article("Shipping times", "Orders ship in two days", public=True)
    await index.add(
        shipping,
        article("Shipping internals", "Carrier contracts"),
        article("Shipping draft", "Unpublished", permission="knowledge:write"),
        product("Shipping label", "LAB-1"),
    )
    results = await index.search("shipping", types=["article"], permissions=None, public_only=True)
    assert [hit.id for hit in results.items] == [shipping.id]
    assert results.facets == {"article": 1}


async def test_any_word_finds_documents_sharing_some_words(index: Index) -> None:
    await index.add(
        article("Printer jams", "Open the tray and remove the paper"),
        article("Returns policy", "Thirty days"),
    )
    titles = await index.titles(
        "my printer keeps jamming on tray two ", types=["article"], match="any"
    )
    assert titles == ["Printer jams"]
    assert await index.titles("my printer keeps jamming ", types=["article"]) == []
