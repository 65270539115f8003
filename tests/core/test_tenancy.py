"""Row-level security isolates tenants in the database itself, whatever the code above does.

The catalog tests read PostgreSQL's own description of the schema, so a table added by any
future migration is covered the day it appears; the behaviour tests then show the policies
doing their job for the app role, on one connection and on a pooled one.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

from quartermaster.core.db import Database
from quartermaster.core.settings import Settings
from tests.conftest import TestServices, plain
from tests.identity.conftest import Account, Identity

IDENTITY_TENANT_TABLES = {"memberships", "refresh_tokens", "api_keys", "audit_events"}
GLOBAL_TABLES = {"tenants", "users"}
# The outbox relay claims every tenant's events as the owner role (migration 0009), and
# the mail sweeper and `qm mail` read and update every e-mail as the owner (0011): the
# only policies that may ignore the tenant, on those tables, for that one role.
OWNER_POLICIES = {
    ("outbox_events", "outbox_relay_select"),
    ("outbox_events", "outbox_relay_update"),
    ("outbox_events", "outbox_relay_delete"),
    ("mail_messages", "mail_operator_select"),
    ("mail_messages", "mail_operator_update"),
}
# Tables whose rows belong to a tenant or, with tenant_id NULL, to one account (mail about
# the account itself: a password reset). Such a row is visible only to a transaction
# acting as that user, and a CHECK makes exactly one owner set.
ACCOUNT_SCOPED = {"mail_messages": "account_user_id"}
OWNER_READABLE = {"outbox_events", "mail_messages"}
TENANT_SETTING = "app.tenant_id"
USER_SETTING = "app.user_id"

TENANT_OWNED_TABLES_SQL = """
SELECT c.table_name AS name, c.is_nullable = 'NO' AS not_null,
       t.relrowsecurity AS rls, t.relforcerowsecurity AS forced
FROM information_schema.columns c
JOIN pg_class t ON t.relname = c.table_name
JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = c.table_schema
WHERE c.table_schema = 'public' AND c.column_name = 'tenant_id' AND t.relkind IN ('r', 'p')
ORDER BY 1
"""

UNIQUE_INDEXES_SQL = """
SELECT t.relname AS table_name, i.relname AS index_name, ix.indisprimary AS is_primary,
       array_agg(a.attname ORDER BY k.ord) AS columns
FROM pg_index ix
JOIN pg_class t ON t.oid = ix.indrelid
JOIN pg_class i ON i.oid = ix.indexrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
CROSS JOIN LATERAL unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
WHERE n.nspname = 'public' AND ix.indisunique AND t.relname = ANY($1::text[])
  AND k.ord <= ix.indnkeyatts
GROUP BY t.relname, i.relname, ix.indisprimary
ORDER BY 1, 2
"""


@pytest.fixture
async def superuser_conn(services: TestServices) -> AsyncIterator[asyncpg.Connection]:
    """A superuser in the test database: the only view of the rows RLS does not filter."""
    database = make_url(services.owner_url).database
    url = make_url(services.admin_url).set(database=database)
    connection = await asyncpg.connect(plain(url.render_as_string(hide_password=False)))
    yield connection
    await connection.close()


async def tenant_owned_tables(connection: asyncpg.Connection) -> list[str]:
    return [row["name"] for row in await connection.fetch(TENANT_OWNED_TABLES_SQL)]


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def _count(connection: asyncpg.Connection, table: str, where: str = "", *args: object) -> int:
    # Table names come from the catalog, quoted; values are bound parameters.
    query = f"SELECT count(*) FROM {_ident(table)} {where}"  # noqa: S608
    value = await connection.fetchval(query, *args)
    assert isinstance(value, int)
    return value


async def _two_populated_tenants(identity: Identity) -> tuple[Account, Account]:
    """Two tenants, each with a membership, a refresh token, an API key and audit events."""
    alpha = await identity.signup("Alpha")
    beta = await identity.signup("Beta")
    for owner in (alpha, beta):
        await identity.api_key(owner, "viewer")
    return alpha, beta


class TestEveryTenantOwnedTableIsUnderForcedRls:
    async def test_every_table_with_tenant_id_has_forced_rls_and_a_tenant_policy(
        self, owner_conn: asyncpg.Connection
    ) -> None:
        tables = await owner_conn.fetch(TENANT_OWNED_TABLES_SQL)
        names = {row["name"] for row in tables}
        assert names >= IDENTITY_TENANT_TABLES, f"tables with tenant_id: {sorted(names)}"
        owner_role = await owner_conn.fetchval("SELECT current_user")

        policies: dict[str, list[asyncpg.Record]] = {}
        for policy in await owner_conn.fetch(
            "SELECT tablename, policyname, permissive, roles, cmd, qual, with_check "
            "FROM pg_policies WHERE schemaname = 'public'"
        ):
            policies.setdefault(policy["tablename"], []).append(policy)

        def scoped(expression: str | None) -> bool:
            return expression is not None and TENANT_SETTING in expression

        def own_rows(expression: str | None) -> bool:
            return expression is not None and USER_SETTING in expression

        one_owner_checks = {
            row["table"]: row["definition"]
            for row in await owner_conn.fetch(
                "SELECT conrelid::regclass::text AS table, pg_get_constraintdef(oid) AS definition "
                "FROM pg_constraint WHERE contype = 'c' AND conrelid::regclass::text = ANY($1)",
                list(ACCOUNT_SCOPED),
            )
            if "tenant_id IS NULL" in row["definition"]
        }

        def account_rows(name: str, expression: str | None) -> bool:
            column = ACCOUNT_SCOPED.get(name)
            return (
                column is not None
                and expression is not None
                and "tenant_id IS NULL" in expression
                and f"{column} = " in expression
                and USER_SETTING in expression
            )

        offenders: list[str] = []
        for table in tables:
            name = table["name"]
            problems = []
            if not table["not_null"] and not (
                name in ACCOUNT_SCOPED
                and f"{ACCOUNT_SCOPED[name]} IS NULL" in one_owner_checks.get(name, "")
            ):
                problems.append("tenant_id is nullable")
            if not table["rls"]:
                problems.append("RLS not enabled")
            if not table["forced"]:
                problems.append("RLS not forced")
            table_policies = policies.get(name, [])
            # One policy for every command and role that filters reads by the tenant, and
            # checks writes against it (a policy without WITH CHECK checks with USING).
            if not any(
                p["cmd"] == "ALL"
                and list(p["roles"]) == ["public"]
                and scoped(p["qual"])
                and (p["with_check"] is None or scoped(p["with_check"]))
                for p in table_policies
            ):
                problems.append("no ALL policy comparing tenant_id to app.tenant_id")
            # Permissive policies are OR-ed: one ignoring the tenant opens the table. Only a
            # read-only policy may widen the view, and only to the current user's own rows.
            for p in table_policies:
                if p["permissive"] != "PERMISSIVE":
                    continue
                if (name, p["policyname"]) in OWNER_POLICIES and list(p["roles"]) == [owner_role]:
                    continue
                if account_rows(name, p["qual"]) and (
                    p["with_check"] is None or account_rows(name, p["with_check"])
                ):
                    continue
                if p["cmd"] == "SELECT":
                    if not (scoped(p["qual"]) or own_rows(p["qual"])):
                        problems.append(f"read policy {p['policyname']} is not scoped")
                elif not (scoped(p["qual"]) or (p["qual"] is None and scoped(p["with_check"]))):
                    problems.append(f"{p['cmd']} policy {p['policyname']} ignores app.tenant_id")
            if problems:
                offenders.append(f"{name}: {', '.join(problems)}")
        assert offenders == [], "tenant-owned tables not isolated:\n" + "\n".join(offenders)

    async def test_global_tables_tenants_and_users_are_under_forced_rls_too(
        self, owner_conn: asyncpg.Connection
    ) -> None:
        rows = await owner_conn.fetch(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
            "  (SELECT count(*) FROM pg_policies p "
            "   WHERE p.schemaname = 'public' AND p.tablename = c.relname) AS policies "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relname = ANY($1::text[])",
            sorted(GLOBAL_TABLES),
        )
        assert {
            row["relname"]: (row["relrowsecurity"], row["relforcerowsecurity"]) for row in rows
        } == dict.fromkeys(GLOBAL_TABLES, (True, True))
        assert all(row["policies"] >= 1 for row in rows)


class TestUniquenessIsPerTenant:
    async def test_every_unique_index_of_a_tenant_owned_table_includes_tenant_id(
        self, owner_conn: asyncpg.Connection
    ) -> None:
        """A deployment-wide unique constraint on tenant data lets one tenant learn what
        another stored (its INSERT fails with a conflict) and stop it from storing the same
        value. So uniqueness in a tenant-owned table is per tenant: tenant_id is part of
        every unique index. A primary key on a single ``id`` column (a UUIDv7 generated by
        us) is exempt. Users are global on purpose: one account (one e-mail address) may
        belong to many tenants, so ``users.email`` is unique across the deployment."""
        tables = await tenant_owned_tables(owner_conn)
        indexes = await owner_conn.fetch(UNIQUE_INDEXES_SQL, tables)

        checked, offenders = [], []
        for index in indexes:
            columns = list(index["columns"])
            if index["is_primary"] and columns == ["id"]:
                continue
            checked.append(index["index_name"])
            if "tenant_id" not in columns:
                offenders.append(f"{index['table_name']}.{index['index_name']} {columns}")
        assert offenders == [], "unique across tenants:\n" + "\n".join(offenders)
        # Not vacuous: the memberships primary key is (tenant_id, user_id).
        assert "pk_memberships" in checked


class TestAppRoleIsBoundByTenantScope:
    async def test_app_role_sees_no_rows_without_a_tenant(
        self,
        identity: Identity,
        app_conn: asyncpg.Connection,
        owner_conn: asyncpg.Connection,
        superuser_conn: asyncpg.Connection,
    ) -> None:
        alpha, beta = await _two_populated_tenants(identity)
        for table in IDENTITY_TENANT_TABLES:
            for tenant in (alpha, beta):
                assert (
                    await _count(
                        superuser_conn, table, "WHERE tenant_id = $1", uuid.UUID(tenant.tenant_id)
                    )
                    > 0
                ), f"{table} has no row of tenant {tenant.tenant_id}; the test would be vacuous"
        for table in GLOBAL_TABLES:
            assert await _count(superuser_conn, table) >= 2

        tables = [*await tenant_owned_tables(owner_conn), *sorted(GLOBAL_TABLES)]
        visible = {table: await _count(app_conn, table) for table in tables}
        assert visible == dict.fromkeys(tables, 0)
        # FORCE: the owner of the tables is bound as well (except on the outbox, which the
        # relay reads as the owner: see tests/realtime/test_relay.py, and the mail outbox,
        # which the mail sweeper reads as the owner: tests/core/test_mail.py).
        owner_bound = [table for table in tables if table not in OWNER_READABLE]
        visible_to_owner = {table: await _count(owner_conn, table) for table in owner_bound}
        assert visible_to_owner == dict.fromkeys(owner_bound, 0)

    async def test_app_role_scoped_to_one_tenant_sees_only_that_tenants_rows(
        self,
        identity: Identity,
        app_conn: asyncpg.Connection,
        owner_conn: asyncpg.Connection,
        superuser_conn: asyncpg.Connection,
    ) -> None:
        alpha, beta = await _two_populated_tenants(identity)
        alpha_id, beta_id = uuid.UUID(alpha.tenant_id), uuid.UUID(beta.tenant_id)
        tables = await tenant_owned_tables(owner_conn)
        expected = {
            table: await _count(superuser_conn, table, "WHERE tenant_id = $1", alpha_id)
            for table in tables
        }

        async with app_conn.transaction():
            await app_conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(alpha_id))
            seen = {table: await _count(app_conn, table) for table in tables}
            tenants_seen = {
                table: {
                    row["tenant_id"]
                    for row in await app_conn.fetch(
                        f"SELECT DISTINCT tenant_id FROM {_ident(table)}"  # noqa: S608
                    )
                }
                for table in tables
            }
            visible_tenants = {row["id"] for row in await app_conn.fetch("SELECT id FROM tenants")}
        assert seen == expected
        assert all(expected[table] > 0 for table in IDENTITY_TENANT_TABLES)
        assert all(ids <= {alpha_id} for ids in tenants_seen.values())
        assert visible_tenants == {alpha_id}
        assert beta_id not in visible_tenants

    async def test_app_role_scoped_to_a_tenant_cannot_write_into_another(
        self,
        identity: Identity,
        app_conn: asyncpg.Connection,
        superuser_conn: asyncpg.Connection,
    ) -> None:
        alpha, beta = await _two_populated_tenants(identity)
        beta_events_before = await superuser_conn.fetch(
            "SELECT * FROM audit_events WHERE tenant_id = $1 ORDER BY id", uuid.UUID(beta.tenant_id)
        )

        async def scoped_to_alpha(statement: str) -> str:
            async with app_conn.transaction():
                await app_conn.execute(
                    "SELECT set_config('app.tenant_id', $1, true)", alpha.tenant_id
                )
                return await app_conn.execute(statement, uuid.UUID(beta.tenant_id))

        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
            await scoped_to_alpha(
                "INSERT INTO audit_events (id, tenant_id, action, actor_type) "
                "VALUES (gen_random_uuid(), $1, 'forged', 'system')"
            )
        # Moving one of alpha's rows into beta is a write into beta, refused the same way.
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
            await scoped_to_alpha("UPDATE audit_events SET tenant_id = $1")
        # Beta's rows are invisible, so they cannot be changed or deleted either.
        assert (
            await scoped_to_alpha("UPDATE audit_events SET action = 'x' WHERE tenant_id = $1")
            == "UPDATE 0"
        )
        assert await scoped_to_alpha("DELETE FROM audit_events WHERE tenant_id = $1") == "DELETE 0"

        beta_events_after = await superuser_conn.fetch(
            "SELECT * FROM audit_events WHERE tenant_id = $1 ORDER BY id", uuid.UUID(beta.tenant_id)
        )
        assert beta_events_after == beta_events_before
        assert await _count(superuser_conn, "audit_events", "WHERE action = 'forged'") == 0

    async def test_a_member_of_two_tenants_can_read_but_not_change_the_other_from_one(
        self,
        identity: Identity,
        client: AsyncClient,
        app_conn: asyncpg.Connection,
        superuser_conn: asyncpg.Connection,
    ) -> None:
        """Seeing one's memberships in every tenant (to switch) must not make them, or
        those tenants, writable from a transaction scoped to another tenant."""
        alpha, beta = await _two_populated_tenants(identity)
        await identity.join(alpha, beta, "viewer")
        beta_id = uuid.UUID(beta.tenant_id)

        async def scoped_to_alpha_as_alpha_owner(statement: str) -> object:
            async with app_conn.transaction():
                await app_conn.execute(
                    "SELECT set_config('app.tenant_id', $1, true), "
                    "set_config('app.user_id', $2, true)",
                    alpha.tenant_id,
                    alpha.user_id,
                )
                if statement.startswith("SELECT"):
                    return await app_conn.fetchval(statement, beta_id)
                return await app_conn.execute(statement, beta_id)

        # Readable: the tenant switcher lists beta.
        assert (
            await scoped_to_alpha_as_alpha_owner("SELECT count(*) FROM tenants WHERE id = $1") == 1
        )
        assert (
            await scoped_to_alpha_as_alpha_owner(
                "SELECT count(*) FROM memberships WHERE tenant_id = $1"
            )
            == 1
        )
        # Not deletable or changeable from alpha's scope.
        assert (
            await scoped_to_alpha_as_alpha_owner("DELETE FROM tenants WHERE id = $1") == "DELETE 0"
        )
        assert (
            await scoped_to_alpha_as_alpha_owner("DELETE FROM memberships WHERE tenant_id = $1")
            == "DELETE 0"
        )
        assert (
            await scoped_to_alpha_as_alpha_owner(
                "UPDATE memberships SET role = 'owner' WHERE tenant_id = $1"
            )
            == "UPDATE 0"
        )
        assert await _count(superuser_conn, "tenants", "WHERE id = $1", beta_id) == 1
        roles = await superuser_conn.fetch(
            "SELECT user_id::text AS user_id, role FROM memberships WHERE tenant_id = $1", beta_id
        )
        assert {r["user_id"]: r["role"] for r in roles} == {
            beta.user_id: "owner",
            alpha.user_id: "viewer",
        }

    async def test_a_tenant_cannot_change_or_delete_an_account_it_shares(
        self,
        identity: Identity,
        client: AsyncClient,
        app_conn: asyncpg.Connection,
        superuser_conn: asyncpg.Connection,
    ) -> None:
        """User accounts are global; a tenant that has a user as a member may read the
        account but only the user themselves may change it, and nobody deletes it."""
        alpha, beta = await _two_populated_tenants(identity)
        await identity.join(beta, alpha, "viewer")

        async def as_alpha_owner(statement: str) -> object:
            async with app_conn.transaction():
                await app_conn.execute(
                    "SELECT set_config('app.tenant_id', $1, true), "
                    "set_config('app.user_id', $2, true)",
                    alpha.tenant_id,
                    alpha.user_id,
                )
                if statement.startswith("SELECT"):
                    return await app_conn.fetchval(statement, uuid.UUID(beta.user_id))
                return await app_conn.execute(statement, uuid.UUID(beta.user_id))

        assert await as_alpha_owner("SELECT count(*) FROM users WHERE id = $1") == 1
        assert (
            await as_alpha_owner("UPDATE users SET password_hash = 'x' WHERE id = $1") == "UPDATE 0"
        )
        assert await as_alpha_owner("DELETE FROM users WHERE id = $1") == "DELETE 0"
        row = await superuser_conn.fetchrow(
            "SELECT password_hash FROM users WHERE id = $1", uuid.UUID(beta.user_id)
        )
        assert row is not None
        assert row["password_hash"].startswith("$argon2id$")


async def test_a_pooled_connection_carries_nothing_from_one_tenants_transaction_into_the_next(
    identity: Identity, settings: Settings
) -> None:
    alpha, beta = await _two_populated_tenants(identity)
    alpha_id, beta_id = uuid.UUID(alpha.tenant_id), uuid.UUID(beta.tenant_id)
    events = text("SELECT DISTINCT tenant_id FROM audit_events")
    scope = text("SELECT current_setting('app.tenant_id', true)")
    pid = text("SELECT pg_backend_pid()")
    # One connection in the pool: every transaction below runs on the same server backend.
    database = Database(str(settings.database_url), pool_size=1, max_overflow=0)
    try:
        async with database.transaction(alpha_id) as session:
            alpha_pid = (await session.execute(pid)).scalar_one()
            assert set((await session.execute(events)).scalars()) == {alpha_id}
        async with database.transaction(beta_id) as session:
            assert (await session.execute(pid)).scalar_one() == alpha_pid
            assert set((await session.execute(events)).scalars()) == {beta_id}
            assert (await session.execute(scope)).scalar_one() == str(beta_id)
        async with database.transaction() as session:
            assert (await session.execute(pid)).scalar_one() == alpha_pid
            assert (await session.execute(scope)).scalar_one() in (None, "")
            assert list((await session.execute(events)).scalars()) == []
    finally:
        await database.dispose()
