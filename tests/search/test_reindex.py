"""`qm search-reindex`'s work: a tenant's index rebuilt from the modules' documents."""

from __future__ import annotations

import uuid

import pytest
from httpx import AsyncClient

from quartermaster.cli_search import reindex_tenant, tenants_named
from quartermaster.core.db import Database
from quartermaster.search.public import backend
from tests.conftest import TestServices
from tests.identity.conftest import Account, Identity
from tests.search.conftest import Index
from tests.servicedesk.conftest import Desk


async def test_a_cleared_index_is_rebuilt_from_products_and_tickets(
    client: AsyncClient, identity: Identity, owner: Account, database: Database, index: Index
) -> None:
    desk = Desk(client, owner)
    await desk.product(sku="WID-1", name="Blue widget")
    ticket = await desk.ticket(subject="Widget arrived broken")
    await desk.post(f"/tickets/{ticket['id']}/comments", {"body": "secret note", "internal": True})
    async with database.transaction(index.tenant_id) as session:
        await backend().clear(session, index.tenant_id)
    assert await index.titles("widget") == []

    counts = await reindex_tenant(database, index.tenant_id)

    assert counts == {"product": 1, "ticket": 1, "article": 0}
    assert sorted(await index.titles("widget")) == ["Blue widget", "Widget arrived broken"]
    assert await index.titles(f"QM-{ticket['number']}") == ["Widget arrived broken"]
    assert await index.titles("secret") == []


async def test_tenants_are_named_by_slug_or_id(
    services: TestServices, identity: Identity, owner: Account
) -> None:
    other = await identity.signup("Other Org")
    owner_db = Database(services.owner_url, pool_size=1, max_overflow=0)
    try:
        everyone = await tenants_named(owner_db, None)
        ids = {tenant_id for tenant_id, _ in everyone}
        assert {uuid.UUID(owner.tenant_id), uuid.UUID(other.tenant_id)} <= ids
        (named,) = await tenants_named(owner_db, [other.tenant_id])
        assert named[0] == uuid.UUID(other.tenant_id)
        assert await tenants_named(owner_db, [named[1]]) == [named]
        with pytest.raises(LookupError):
            await tenants_named(owner_db, ["no-such-org"])
    finally:
        await owner_db.dispose()


def test_the_command_is_registered() -> None:
    from typer.testing import CliRunner

    from quartermaster.cli import app

    result = CliRunner().invoke(app, ["search-reindex", "--help"])
    assert result.exit_code == 0, result.output
    assert "--tenant" in result.output
