"""Every query of the inventory module, by subject. Row-level security scopes all of
them; the explicit tenant filters are there for the planner and for clarity, not as the
safety net."""

from quartermaster.inventory.repository.alerts import (
    alert_by_id,
    alerts_page,
)
from quartermaster.inventory.repository.common import (
    LevelKey,
    add,
    violated_constraint,
)
from quartermaster.inventory.repository.idempotency import (
    claim_idempotency_key,
    delete_idempotency_keys_before,
    idempotency_key,
    store_idempotent_response,
)
from quartermaster.inventory.repository.ledger import (
    LedgerMismatch,
    MovementFilter,
    ledger_mismatches,
    movements_page,
    tenants_with_stock,
)
from quartermaster.inventory.repository.levels import (
    ExportedLevel,
    LevelFilter,
    Totals,
    available_total,
    ledger_on_hand_as_of,
    level_totals_page,
    levels_of,
    levels_page,
    movements_since,
    product_stock,
    stream_levels,
)
from quartermaster.inventory.repository.reports import (
    FlowFilter,
    FlowRow,
    movement_flows,
)
from quartermaster.inventory.repository.reservations import (
    lock_expired_reservations,
    reservation_by_id,
    reservations_by_ids,
    reservations_page,
)
from quartermaster.inventory.repository.valuation import (
    StockValueRow,
    lock_product_costs,
    on_hand_totals,
    set_product_costs,
    stock_value_by_category,
    stock_value_by_warehouse,
)
from quartermaster.inventory.repository.warehouses import (
    default_location_ids,
    location_by_id,
    locations_page,
    warehouse_by_id,
    warehouse_codes,
    warehouses_page,
)
from quartermaster.inventory.repository.writer import (
    Place,
    append_movements,
    apply_level_changes,
    create_missing_levels,
    locations_by_codes,
    locations_with_warehouses,
    lock_alert_pairs,
    lock_levels,
    raise_alerts,
    resolve_alerts,
    warehouse_availability,
)

__all__ = [
    "ExportedLevel",
    "FlowFilter",
    "FlowRow",
    "LedgerMismatch",
    "LevelFilter",
    "LevelKey",
    "MovementFilter",
    "Place",
    "StockValueRow",
    "Totals",
    "add",
    "alert_by_id",
    "alerts_page",
    "append_movements",
    "apply_level_changes",
    "available_total",
    "claim_idempotency_key",
    "create_missing_levels",
    "default_location_ids",
    "delete_idempotency_keys_before",
    "idempotency_key",
    "ledger_mismatches",
    "ledger_on_hand_as_of",
    "level_totals_page",
    "levels_of",
    "levels_page",
    "location_by_id",
    "locations_by_codes",
    "locations_page",
    "locations_with_warehouses",
    "lock_alert_pairs",
    "lock_expired_reservations",
    "lock_levels",
    "lock_product_costs",
    "movement_flows",
    "movements_page",
    "movements_since",
    "on_hand_totals",
    "product_stock",
    "raise_alerts",
    "reservation_by_id",
    "reservations_by_ids",
    "reservations_page",
    "resolve_alerts",
    "set_product_costs",
    "stock_value_by_category",
    "stock_value_by_warehouse",
    "store_idempotent_response",
    "stream_levels",
    "tenants_with_stock",
    "violated_constraint",
    "warehouse_availability",
    "warehouse_by_id",
    "warehouse_codes",
    "warehouses_page",
]
