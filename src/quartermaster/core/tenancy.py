"""Row-level security for tenant-owned tables, in one line per table.

Every tenant-owned table has ``tenant_id uuid NOT NULL`` and, through
:func:`isolate_by_tenant` in its migration, RLS *enabled and forced* (forced: the owner is
bound too) with a policy that compares ``tenant_id`` to the transaction's
``app.tenant_id``. With no tenant set, the comparison is NULL and no row is visible or
writable. ``tests/core/test_tenancy.py`` fails if any table with a ``tenant_id`` column
lacks this.
"""

from __future__ import annotations

from alembic import op

# current_setting(..., true) is '' (not NULL) once a transaction-local value has been reset
# on a pooled connection, so NULLIF keeps the cast from failing.
CURRENT_TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"
CURRENT_USER = "NULLIF(current_setting('app.user_id', true), '')::uuid"
LOOKUP_EMAIL = "NULLIF(current_setting('app.lookup_email', true), '')"

POLICY = "tenant_isolation"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def enable_forced_rls(table: str) -> None:
    op.execute(f"ALTER TABLE {_ident(table)} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {_ident(table)} FORCE ROW LEVEL SECURITY")


def isolate_by_tenant(table: str) -> None:
    """Make ``table`` visible and writable only within its tenant's transactions."""
    enable_forced_rls(table)
    op.execute(
        f"CREATE POLICY {POLICY} ON {_ident(table)} "
        f"USING (tenant_id = {CURRENT_TENANT}) WITH CHECK (tenant_id = {CURRENT_TENANT})"
    )
