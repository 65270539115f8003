"""`qm check-ledger`: recompute levels from the ledger; exit 1 naming any mismatch."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from quartermaster.core.db import Database
from tests.conftest import TEST_SECRET, TestServices, plain
from tests.inventory.conftest import Inventory, mismatches

pytestmark = pytest.mark.slow


async def qm_check_ledger(
    services: TestServices, cwd: Path, *args: str, admin: bool = True
) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "QM_DATABASE_URL": services.app_url,
        "QM_DATABASE_OWNER_URL": services.owner_url,
        "QM_REDIS_URL": services.redis_url,
        "QM_SECRET_KEY": TEST_SECRET,
        "QM_LOG_LEVEL": "WARNING",
    }
    if admin:
        env["QM_DATABASE_ADMIN_URL"] = services.admin_url
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "quartermaster", "check-ledger", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


async def _stock(inventory: Inventory) -> dict[str, Any]:
    location = (await inventory.warehouse("W"))["default_location_id"]
    product = (await inventory.product())["id"]
    await inventory.receive(product, location, "5")
    return {"location": location, "product": product}


async def test_consistent_levels_exit_0_with_a_summary(
    inventory: Inventory, services: TestServices, tmp_path: Path
) -> None:
    await _stock(inventory)
    result = await qm_check_ledger(services, tmp_path, "--tenant", inventory.account.tenant_id)
    assert result.returncode == 0, result.stderr
    assert "Ledger OK: 1 tenant(s) checked" in result.stdout


async def test_a_tampered_level_is_named_and_exits_1_for_every_tenant_with_all(
    inventory: Inventory,
    identity: Any,
    services: TestServices,
    database: Database,
    tmp_path: Path,
) -> None:
    mine = await _stock(inventory)
    other = Inventory(inventory.client, await identity.signup("Beta"))
    await _stock(other)
    tenant = inventory.account.tenant_id
    connection = await asyncpg.connect(plain(services.owner_url))
    try:
        async with connection.transaction():
            await connection.execute("SELECT set_config('app.tenant_id', $1, true)", tenant)
            await connection.execute("UPDATE stock_levels SET on_hand = 7")
    finally:
        await connection.close()
    [found] = await mismatches(database, tenant)
    assert (found.ledger_quantity, found.level_quantity) == (5, 7)

    result = await qm_check_ledger(services, tmp_path, "--all")
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.splitlines() == [  # (stderr shown on failure)
        f"MISMATCH tenant={tenant} product={mine['product']} location={mine['location']} "
        "ledger=5 level=7"
    ], result.stderr
    assert "1 stock level(s) differ from the ledger" in result.stderr

    clean = await qm_check_ledger(services, tmp_path, "--tenant", other.account.tenant_id)
    assert clean.returncode == 0, clean.stderr


async def test_all_without_a_connection_that_sees_every_tenant_is_refused(
    services: TestServices, tmp_path: Path
) -> None:
    result = await qm_check_ledger(services, tmp_path, "--all", admin=False)
    assert result.returncode == 1
    assert "QM_DATABASE_ADMIN_URL" in result.stderr
    bare = await qm_check_ledger(services, tmp_path)
    assert bare.returncode == 1
    assert "--tenant" in bare.stderr
