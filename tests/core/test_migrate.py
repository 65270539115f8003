"""Migrations: idempotent upgrades, reversible downgrades, grants for the app role."""

from __future__ import annotations

import asyncio

import asyncpg

from quartermaster.core import migrate
from tests.conftest import TestServices, plain


async def _revision(services: TestServices) -> str | None:
    connection = await asyncpg.connect(plain(services.owner_url))
    try:
        value: str | None = await connection.fetchval("SELECT version_num FROM alembic_version")
        return value
    finally:
        await connection.close()


async def test_upgrading_an_up_to_date_database_is_a_no_op(services: TestServices) -> None:
    # `qm serve` migrates on every start, so the second start must not fail.
    app_role = migrate.application_role(services.app_url, services.owner_url)
    await asyncio.to_thread(migrate.upgrade, services.owner_url, app_role=app_role)
    await asyncio.to_thread(migrate.upgrade, services.owner_url, app_role=app_role)
    assert await _revision(services) == migrate.head_revision()


async def test_downgrade_then_upgrade_returns_to_head(services: TestServices) -> None:
    app_role = migrate.application_role(services.app_url, services.owner_url)
    try:
        await asyncio.to_thread(migrate.downgrade, services.owner_url, steps=1)
        assert await _revision(services) != migrate.head_revision()
    finally:
        await asyncio.to_thread(migrate.upgrade, services.owner_url, app_role=app_role)
    assert await _revision(services) == migrate.head_revision()


def test_application_role_is_none_when_the_app_connects_as_the_owner() -> None:
    owner = "postgresql://qm_owner:x@db/qm"
    assert migrate.application_role(owner, owner) is None
    assert migrate.application_role("postgresql://qm_app:y@db/qm", owner) == "qm_app"
