"""A worker killed with SIGKILL in the middle of an import: another worker takes the job
over once the lease lapses, resumes after the last committed chunk, and the products
exist exactly once. Real `qm worker` processes against the test PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from quartermaster.core.settings import Settings
from tests.catalog.conftest import ok
from tests.conftest import TEST_SECRET, TestServices
from tests.identity.conftest import Account
from tests.jobs.conftest import Jobs, csv_bytes, tenant_rows

ROWS = 6_000
DEADLINE = 300.0  # seconds; only so a broken build cannot hang the suite


def _worker(env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "quartermaster", "worker"],
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def _job(services: TestServices, owner: Account, job_id: str) -> dict[str, Any]:
    (row,) = await tenant_rows(
        services,
        owner.tenant_id,
        f"SELECT status, progress, attempts, result, error FROM jobs WHERE id = '{job_id}'",  # noqa: S608
    )
    return row


async def _wait(
    services: TestServices,
    owner: Account,
    job_id: str,
    until: Any,
    worker: subprocess.Popen[bytes],
    log: Path,
) -> dict[str, Any]:
    give_up = time.monotonic() + DEADLINE
    while time.monotonic() < give_up:
        job = await _job(services, owner, job_id)
        if until(job):
            return job
        if worker.poll() is not None:
            output = log.read_text()[-3000:]  # noqa: ASYNC240 - a failing test's diagnostics
            pytest.fail(f"the worker exited ({worker.returncode}):\n{output}")
        await asyncio.sleep(0.02)
    pytest.fail(f"the job never got there: {await _job(services, owner, job_id)}")


@pytest.mark.slow
async def test_a_worker_killed_mid_import_is_replaced_and_every_product_exists_once(
    jobs: Jobs,
    owner: Account,
    services: TestServices,
    jobs_settings: Settings,
    tmp_path: Path,
) -> None:
    rows = [["sku", "name", "unit", "reorder_point"]]
    rows += [[f"KILL-{i:05d}", f"Item {i}", "pcs", str(i % 7)] for i in range(ROWS)]
    job_id = ok(await jobs.upload(csv_bytes(rows)), 202)["id"]

    env = {k: v for k, v in os.environ.items() if not k.startswith("QM_")}
    env.update(
        QM_DATABASE_URL=services.app_url,
        QM_DATABASE_OWNER_URL=services.owner_url,
        QM_REDIS_URL=services.redis_url,
        QM_SECRET_KEY=TEST_SECRET,
        QM_DATA_DIR=str(tmp_path / "data"),
        QM_JOBS_FILES_DIR=str(jobs_settings.jobs_files_dir),
        QM_JOBS_LEASE_SECONDS="2",  # short, so the test does not wait long for the takeover
        QM_JOBS_IMPORT_CHUNK_ROWS="50",
        QM_JOBS_POLL_SECONDS="0.2",
        QM_LOG_LEVEL="INFO",
    )
    log = tmp_path / "workers.log"
    first = _worker(env, tmp_path, log)
    try:
        at_kill = await _wait(services, owner, job_id, lambda j: j["progress"] > 0, first, log)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    assert at_kill["status"] == "running", at_kill
    assert at_kill["progress"] < 100, "the import finished before the kill; make it longer"
    assert at_kill["attempts"] == 1

    second = _worker(env, tmp_path, log)
    try:
        done = await _wait(
            services,
            owner,
            job_id,
            lambda j: j["status"] not in ("queued", "running"),
            second,
            log,
        )
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            second.wait(timeout=30)
        except subprocess.TimeoutExpired:
            second.kill()

    assert done["status"] == "succeeded", (done, log.read_text()[-3000:])
    assert done["attempts"] == 2
    result = done["result"]
    if isinstance(result, str):
        import json

        result = json.loads(result)
    # The resumed attempt continued after the last committed chunk: nothing counted twice.
    assert (result["created"], result["updated"], result["skipped"]) == (ROWS, 0, 0)
    counts = await tenant_rows(
        services,
        owner.tenant_id,
        "SELECT count(*) AS products, count(DISTINCT lower(sku)) AS skus, "
        "max(version) AS max_version FROM products",
    )
    assert counts == [{"products": ROWS, "skus": ROWS, "max_version": 1}]
