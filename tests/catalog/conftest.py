"""Catalog tests: the shared builders (``tests.builders``: ``Catalog``, ``ok``, the
``catalog`` and ``owner`` fixtures) and the catalog's rows as the application role sees
them."""

from __future__ import annotations

from typing import Any

from tests.builders import API, Catalog, ok, outbox_events, tenant_tables
from tests.conftest import TestServices

__all__ = ["API", "Catalog", "catalog_rows", "ok", "outbox"]

CATALOG_TABLES = ("units", "categories", "products", "price_lists", "prices", "outbox_events")


async def outbox(services: TestServices, tenant_id: str) -> list[tuple[str, dict[str, Any]]]:
    """(type, payload) of the tenant's outbox events, oldest first, read as the app role."""
    return await outbox_events(services, tenant_id)


async def catalog_rows(services: TestServices, tenant_id: str) -> dict[str, list[dict[str, Any]]]:
    """Every catalog and outbox row of the tenant, to show a rejected request wrote nothing."""
    return await tenant_tables(services, tenant_id, CATALOG_TABLES, order_by="id")
