"""Catalog: units, categories, products, price lists and price history.

Design notes:
- Every table is tenant-owned under forced RLS. References between catalog tables are
  composite foreign keys on ``(tenant_id, …)``: foreign-key checks bypass row-level
  security, so a plain ``category_id`` FK would let one tenant point at another's row.
- Deleting a product is a hard delete today. Once the inventory module exists, its
  ledger references products with a plain (NO ACTION) foreign key on
  ``(tenant_id, product_id)``; PostgreSQL then refuses to delete a product that has stock
  movements, and ``service.delete_product`` turns that foreign-key violation into
  ``ProductInUse`` (409, advising ``is_active=false``). Catalog never imports inventory:
  the database is the hook, so the rule holds for every writer, not only this service.
- ``below_reorder`` needs stock levels and belongs to the inventory module.
"""
