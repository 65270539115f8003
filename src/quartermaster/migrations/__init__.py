"""Alembic migrations (run with `qm migrate`)."""
