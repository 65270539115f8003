"""Proving the levels: recompute them from the ledger and compare."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.inventory import repository
from quartermaster.inventory.repository import LedgerMismatch


async def ledger_mismatches(session: AsyncSession, tenant_id: uuid.UUID) -> list[LedgerMismatch]:
    """Every (product, location) of the tenant whose stored on_hand differs from the sum
    of its ledger (receipts and transfers in minus issues and transfers out). Empty when
    the levels are right. The session must be scoped to the tenant (RLS)."""
    return await repository.ledger_mismatches(session, tenant_id)


async def tenants_with_stock(session: AsyncSession) -> list[uuid.UUID]:
    """Tenants with any level or movement, as far as the session can see: all of them on
    a connection that bypasses row-level security, otherwise the scoped tenant."""
    return await repository.tenants_with_stock(session)


__all__ = ["LedgerMismatch", "ledger_mismatches", "tenants_with_stock"]
