"""Reorder alerts: one non-resolved alert per (product, warehouse) whose available total is
at or below the product's reorder point, kept by the ledger writer in its transaction."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.catalog.public import ProductRef
from quartermaster.core.clock import utcnow
from quartermaster.core.events import emit
from quartermaster.core.ids import new_id
from quartermaster.core.pagination import Page, PageParams, decode_cursor, encode_cursor
from quartermaster.identity.public import Principal
from quartermaster.inventory import repository
from quartermaster.inventory.errors import AlertNotFound, AlertNotOpen
from quartermaster.inventory.events import AlertChanged, InventoryEvents
from quartermaster.inventory.models import StockAlert
from quartermaster.inventory.schemas import AlertRead, AlertStatus
from quartermaster.inventory.service.paging import cursor_uuid


async def evaluate(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    products: dict[uuid.UUID, ProductRef],
    pairs: Iterable[tuple[uuid.UUID, uuid.UUID]],
    now: datetime,
) -> None:
    """Raise or resolve the alert of every (product, warehouse) in ``pairs`` after its
    levels changed in this transaction (called by the ledger writer, after its level locks,
    so the pair locks taken here in sorted order come last and cannot deadlock)."""
    for product_id, warehouse_id in sorted(set(pairs)):
        product = products[product_id]
        point = product.reorder_point
        if point <= 0:
            # Nothing to raise; one statement resolves an alert left from a higher point.
            resolved = await repository.resolve_alert(
                session, tenant_id, product_id, warehouse_id, now, if_available_above=point
            )
            if resolved is not None:
                available = await repository.warehouse_available(
                    session, tenant_id, product_id, warehouse_id
                )
                await _emit(
                    session,
                    tenant_id,
                    InventoryEvents.ALERT_RESOLVED,
                    resolved,
                    product,
                    warehouse_id,
                    "resolved",
                    available,
                    now,
                )
            continue
        await repository.lock_alert_pair(session, tenant_id, product_id, warehouse_id)
        available = await repository.warehouse_available(
            session, tenant_id, product_id, warehouse_id
        )
        if available <= point:
            alert_id = new_id()
            if await repository.raise_alert(
                session, tenant_id, product_id, warehouse_id, now, alert_id
            ):
                await _emit(
                    session,
                    tenant_id,
                    InventoryEvents.ALERT_RAISED,
                    alert_id,
                    product,
                    warehouse_id,
                    "open",
                    available,
                    now,
                )
        else:
            resolved = await repository.resolve_alert(
                session, tenant_id, product_id, warehouse_id, now
            )
            if resolved is not None:
                await _emit(
                    session,
                    tenant_id,
                    InventoryEvents.ALERT_RESOLVED,
                    resolved,
                    product,
                    warehouse_id,
                    "resolved",
                    available,
                    now,
                )


async def _emit(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    event_type: str,
    alert_id: uuid.UUID,
    product: ProductRef,
    warehouse_id: uuid.UUID,
    status: str,
    available: Decimal,
    now: datetime,
) -> None:
    payload = AlertChanged(
        id=alert_id,
        product_id=product.id,
        sku=product.sku,
        warehouse_id=warehouse_id,
        status=status,
        available=available,
        reorder_point=product.reorder_point,
        at=now,
    )
    await emit(session, tenant_id, event_type, payload)


def alert_read(alert: StockAlert) -> AlertRead:
    return AlertRead.model_validate(alert, from_attributes=True)


async def list_alerts(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    *,
    status: AlertStatus | None,
    product_id: uuid.UUID | None,
    warehouse_id: uuid.UUID | None,
) -> Page[AlertRead]:
    before = None
    if page.cursor:
        (last_id,) = decode_cursor(page.cursor, size=1)
        before = cursor_uuid(last_id)
    rows = await repository.alerts_page(
        session,
        principal.tenant_id,
        status=status.value if status else None,
        product_id=product_id,
        warehouse_id=warehouse_id,
        limit=page.limit + 1,
        before=before,
    )
    next_cursor = None
    if len(rows) > page.limit:
        next_cursor = encode_cursor([str(rows[page.limit - 1].id)])
    return Page[AlertRead](
        items=[alert_read(row) for row in rows[: page.limit]], next_cursor=next_cursor
    )


async def get_alert(session: AsyncSession, principal: Principal, alert_id: uuid.UUID) -> AlertRead:
    alert = await repository.alert_by_id(session, principal.tenant_id, alert_id)
    if alert is None:
        raise AlertNotFound
    return alert_read(alert)


async def acknowledge_alert(
    session: AsyncSession, principal: Principal, alert_id: uuid.UUID
) -> AlertRead:
    """open → acknowledged (by whom, when); any other status is 409 ``alert-not-open``."""
    alert = await repository.alert_by_id(session, principal.tenant_id, alert_id, for_update=True)
    if alert is None:
        raise AlertNotFound
    if alert.status != "open":
        raise AlertNotOpen(alert.status)
    alert.status = "acknowledged"
    alert.acknowledged_at = utcnow()
    alert.acknowledged_by = principal.id
    await session.flush()
    return alert_read(alert)
