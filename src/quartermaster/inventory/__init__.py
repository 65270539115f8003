"""Inventory: warehouses, locations, the stock ledger, stock levels, idempotent writes.

Design notes:
- Every table is tenant-owned under forced RLS; references are composite
  ``(tenant_id, …)`` foreign keys (FK checks bypass RLS). The ledger and the levels point
  at catalog products with plain (NO ACTION) foreign keys, so the database refuses to
  delete a product that has stock; catalog turns that into 409 ``product-in-use``.
  Inventory reads products only through ``catalog.public``.
- ``stock_movements`` is an append-only ledger (a trigger refuses UPDATE and DELETE);
  corrections are new movements. ``stock_levels`` is the ledger's running sum per
  (product, location), kept in the same transaction, and ``qm check-ledger`` proves it.
- Correct under concurrency by construction: a batch computes its net change per
  (product, location), creates missing level rows and then locks every touched level row
  in one fixed order (product_id, location_id), checks availability
  (``on_hand - reserved``) and writes. Two batches touching the same rows in any order
  queue instead of deadlocking.
- ``reserved`` exists from the start (always 0 until reservations land) so ``available``
  already means what it will mean; counts and fulfilments are further ledger kinds the
  table's check constraint already admits.
"""
