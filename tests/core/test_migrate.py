"""Migrations: idempotent upgrades, reversible downgrades, grants for the app role."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import asyncpg
import pytest

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


class TestUpgradeUnlessCurrent:
    """`qm serve` checks the schema on every start; Alembic runs only when it must."""

    async def test_a_current_database_is_checked_with_one_query_and_left_alone(
        self, services: TestServices, tmp_path: Path
    ) -> None:
        app_role = migrate.application_role(services.app_url, services.owner_url)
        stamp = tmp_path / "schema.json"

        def run() -> bool:
            return migrate.upgrade_unless_current(
                services.owner_url, app_role=app_role, stamp=stamp
            )

        assert await asyncio.to_thread(run) is True  # no stamp yet: Alembic decides
        recorded = json.loads(stamp.read_text())
        assert recorded == {"digest": migrate.migrations_digest(), "head": migrate.head_revision()}
        assert await asyncio.to_thread(run) is False  # the same files, the database at head

        stamp.write_text(json.dumps({**recorded, "digest": "other files"}))
        assert await asyncio.to_thread(run) is True  # a migration was added or edited
        assert json.loads(stamp.read_text()) == recorded

    async def test_a_database_behind_the_recorded_head_is_upgraded(
        self, services: TestServices, tmp_path: Path
    ) -> None:
        app_role = migrate.application_role(services.app_url, services.owner_url)
        stamp = tmp_path / "schema.json"
        stamp.write_text(
            json.dumps({"digest": migrate.migrations_digest(), "head": migrate.head_revision()})
        )
        try:
            await asyncio.to_thread(migrate.downgrade, services.owner_url, steps=1)
            ran = await asyncio.to_thread(
                migrate.upgrade_unless_current,
                services.owner_url,
                app_role=app_role,
                stamp=stamp,
            )
        finally:
            await asyncio.to_thread(migrate.upgrade, services.owner_url, app_role=app_role)
        assert ran is True
        assert await _revision(services) == migrate.head_revision()

    def test_the_digest_changes_with_any_migration_file(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        copy = tmp_path / "migrations"
        shutil.copytree(migrate.MIGRATIONS_DIR / "versions", copy / "versions")
        monkeypatch.setattr(migrate, "MIGRATIONS_DIR", copy)
        first = migrate.migrations_digest()
        assert first == migrate.migrations_digest()
        (some, *_) = sorted((copy / "versions").glob("*.py"))
        some.write_text(some.read_text().replace('"""', '""" ', 1))  # an edit
        edited = migrate.migrations_digest()
        (copy / "versions" / "2099-01-01-0000_next.py").write_text("revision = 'next'\n")
        added = migrate.migrations_digest()
        assert len({first, edited, added}) == 3
