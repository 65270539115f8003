"""Hostile input across every module: the inventory factories (an owner, catalog and
stock through the API) and the rows a rejected request must leave alone."""

from __future__ import annotations

from tests.inventory.conftest import database, identity, inventory, owner

__all__ = ["database", "identity", "inventory", "owner"]
