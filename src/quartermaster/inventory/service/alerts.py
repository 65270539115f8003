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
from quartermaster.core.pagination import Page, PageParams
from quartermaster.identity.public import Principal
from quartermaster.inventory import repository
from quartermaster.inventory.errors import AlertNotFound, AlertNotOpen
from quartermaster.inventory.events import AlertChanged, InventoryEvents
from quartermaster.inventory.models import StockAlert
from quartermaster.inventory.schemas import AlertRead, AlertStatus
from quartermaster.inventory.service.labels import labels_for


async def evaluate(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    products: dict[uuid.UUID, ProductRef],
    pairs: Iterable[tuple[uuid.UUID, uuid.UUID]],
    now: datetime,
) -> None:
    """Raise or resolve the alert of every (product, warehouse) in ``pairs`` after its
    available total changed in this transaction, in at most four statements however many
    pairs: advisory locks on the pairs in sorted order (called by the ledger writer after
    its level locks, so these come last and cannot deadlock), their available totals, one
    INSERT of the alerts to raise, one UPDATE of those to resolve. A pair is below when
    its product has a reorder point (> 0) and the total is at or below it; otherwise any
    alert it has is resolved."""
    ordered = sorted(set(pairs))
    if not ordered:
        return
    await repository.lock_alert_pairs(session, tenant_id, ordered)
    available = await repository.warehouse_availability(session, tenant_id, ordered)

    def below(pair: tuple[uuid.UUID, uuid.UUID]) -> bool:
        point = products[pair[0]].reorder_point
        return point > 0 and available[pair] <= point

    raised = await repository.raise_alerts(
        session, tenant_id, {pair: new_id() for pair in ordered if below(pair)}, now
    )
    resolved = await repository.resolve_alerts(
        session, tenant_id, [pair for pair in ordered if not below(pair)], now
    )
    for event_type, status, changed in (
        (InventoryEvents.ALERT_RAISED, "open", raised),
        (InventoryEvents.ALERT_RESOLVED, "resolved", resolved),
    ):
        for (product_id, warehouse_id), alert_id in sorted(changed.items()):
            await _emit(
                session,
                tenant_id,
                event_type,
                alert_id,
                products[product_id],
                warehouse_id,
                status,
                available[(product_id, warehouse_id)],
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


async def _reads(
    session: AsyncSession, tenant_id: uuid.UUID, alerts: list[StockAlert]
) -> list[AlertRead]:
    """Alerts with their products' SKUs and names and their warehouses' codes."""
    labels = await labels_for(
        session,
        tenant_id,
        product_ids=[a.product_id for a in alerts],
        warehouse_ids=[a.warehouse_id for a in alerts],
    )
    return [
        AlertRead(
            id=alert.id,
            product_id=alert.product_id,
            sku=labels.products[alert.product_id].sku,
            product_name=labels.products[alert.product_id].name,
            warehouse_id=alert.warehouse_id,
            warehouse_code=labels.warehouse_codes[alert.warehouse_id],
            status=AlertStatus(alert.status),
            raised_at=alert.raised_at,
            acknowledged_at=alert.acknowledged_at,
            acknowledged_by=alert.acknowledged_by,
            resolved_at=alert.resolved_at,
        )
        for alert in alerts
    ]


async def list_alerts(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    *,
    status: AlertStatus | None,
    product_id: uuid.UUID | None,
    warehouse_id: uuid.UUID | None,
) -> Page[AlertRead]:
    rows, next_cursor = page.next_page(
        await repository.alerts_page(
            session,
            principal.tenant_id,
            status=status.value if status else None,
            product_id=product_id,
            warehouse_id=warehouse_id,
            limit=page.fetch,
            after=page.after(uuid.UUID),
        ),
        lambda alert: [alert.id],
    )
    return Page[AlertRead](
        items=await _reads(session, principal.tenant_id, rows), next_cursor=next_cursor
    )


async def get_alert(session: AsyncSession, principal: Principal, alert_id: uuid.UUID) -> AlertRead:
    alert = await repository.alert_by_id(session, principal.tenant_id, alert_id)
    if alert is None:
        raise AlertNotFound
    (read,) = await _reads(session, principal.tenant_id, [alert])
    return read


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
    (read,) = await _reads(session, principal.tenant_id, [alert])
    return read
