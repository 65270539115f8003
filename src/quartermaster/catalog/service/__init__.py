"""Catalog use cases, one module per aggregate: units, categories, products, prices.

Services flush, never commit (the request owns the transaction), raise domain errors and
write outbox events in the same transaction as the change they describe. Uniqueness is
left to the database's unique indexes (race-free) and their violations are translated
into domain errors here; the transaction is then rolled back by the request, so a
rejected request writes nothing, outbox rows included.
"""
