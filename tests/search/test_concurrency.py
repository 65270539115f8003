"""Two writers of one document: the second waits for the first and leaves no posting of
the first's words behind."""

from __future__ import annotations

import asyncio

import asyncpg

from quartermaster.search.public import backend
from tests.conftest import TestServices, plain
from tests.search.conftest import Index, product


async def _a_writer_waits_for_a_lock(services: TestServices) -> None:
    connection = await asyncpg.connect(plain(services.owner_url))
    try:
        for _ in range(2000):  # a state to reach, not a duration to assert
            if await connection.fetchval(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted)"
            ):
                return
            await asyncio.sleep(0.005)
        raise AssertionError("the second writer never waited for a lock")
    finally:
        await connection.close()


async def test_a_second_writer_of_a_document_leaves_no_orphan_postings(
    index: Index, services: TestServices
) -> None:
    doc = product("Plain widget", "W-1")
    await index.add(doc)
    first = product("Alpha widget", "W-1", doc_id=doc.id)
    second = product("Beta widget", "W-1", doc_id=doc.id)
    search = backend()
    async with index.database.transaction(index.tenant_id) as session:
        await search.index(session, index.tenant_id, [first])
        task = asyncio.create_task(index.add(second))
        await _a_writer_waits_for_a_lock(services)
    await task

    assert await index.titles("beta ") == ["Beta widget"]
    connection = await asyncpg.connect(plain(services.app_url))
    try:
        async with connection.transaction():
            await connection.execute(
                "SELECT set_config('app.tenant_id', $1, true)", str(index.tenant_id)
            )
            terms = await connection.fetch("SELECT DISTINCT term FROM search_postings")
    finally:
        await connection.close()
    found = {row["term"] for row in terms}
    assert {"beta", "widget", "#w1"} <= found
    assert not {"alpha", "plain"} & found
