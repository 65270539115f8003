"""Inventory use cases: warehouses.py (warehouses and locations), movements.py (the
ledger writer and the one locked level write), reservations.py, counts.py (offline-safe
stock counts), alerts.py (reorder alerts, kept by the ledger writer), levels.py (levels,
product stock, history), idempotency.py, ledger.py.

Services flush, never commit (the request owns the transaction), raise domain errors and
write outbox events in the same transaction as the change they describe. A rejected
request is rolled back whole: no level, ledger, outbox or idempotency-key row survives it.
"""
