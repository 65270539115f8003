"""Realtime: the outbox relay's access to every tenant's events (policies for the owner).

``outbox_events`` is under forced row-level security, so no role that the policies bind
can read more than one tenant's events at a time — but the relay must claim every
tenant's. These permissive policies let exactly one role, ``CURRENT_USER`` at migration
time (the owner, which runs every migration and owns the table), select, mark and prune
every row. It grants the owner nothing it could not take anyway (it may ``ALTER TABLE …
DISABLE ROW LEVEL SECURITY``); the application role stays bound to its tenant, and the
owner still cannot INSERT an event for a tenant that is not in scope.

``TO CURRENT_USER`` resolves to the role at CREATE time and is stored as that role (checked
on PostgreSQL 15 and 18). The relay checks at start-up that its role is covered.

Revision ID: 0009_realtime
Revises: 0008_product_search
Create Date: 2026-11-23 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009_realtime"
down_revision: str | None = "0008_product_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (policy, command, clauses): read, mark published, prune. No INSERT: events are written
# in their tenant's transaction, under the tenant policy.
RELAY_POLICIES = (
    ("outbox_relay_select", "SELECT", "USING (true)"),
    ("outbox_relay_update", "UPDATE", "USING (true) WITH CHECK (true)"),
    ("outbox_relay_delete", "DELETE", "USING (true)"),
)


def upgrade() -> None:
    for name, command, clauses in RELAY_POLICIES:
        op.execute(
            f"CREATE POLICY {name} ON outbox_events AS PERMISSIVE FOR {command} "
            f"TO CURRENT_USER {clauses}"
        )


def downgrade() -> None:
    for name, _, _ in RELAY_POLICIES:
        op.execute(f"DROP POLICY IF EXISTS {name} ON outbox_events")
