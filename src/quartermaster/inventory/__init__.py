"""Inventory: warehouses, locations, the stock ledger, stock levels, idempotent writes,
reservations, offline-safe stock counts and reorder alerts.

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
- One locked write (``service.movements``): ``post_ledger`` for everything that writes the
  ledger (movements, reservation fulfilments, stock counts) and ``change_levels`` for
  level-only changes (reserving, releasing, expiring). Both lock the level rows in the
  fixed order, check availability, write, and then raise or resolve the reorder alerts of
  the touched (product, warehouse) pairs under per-pair advisory locks taken in sorted
  order after the row locks.
- Reservations add to ``reserved``; fulfilling one is a ``fulfilment`` ledger row (on_hand
  and reserved down together), releasing or expiring gives it back. The reservation row is
  locked before the levels.
- Stock counts compare each line with the ledger *as of* ``counted_at`` (summed after the
  level rows are locked) and apply the difference now as ``count`` movements.
"""
