"""The browser journeys (web/e2e/*.spec.ts) in real Chromium against a real server.

This test starts the application the way the rest of the suite does — real PostgreSQL and
Redis, a real Uvicorn on a free port, the outbox relay and the job worker in the process —
serving the built web app, then runs Playwright (Node) against it with the machine's
Chromium (QM_CHROMIUM, one on PATH, or Debian's package installed as root; never a
downloaded browser). No Chromium fails the test with what to install; it never skips.

Screenshots of each main screen go to web/test-results/screenshots (QM_E2E_SCREENSHOTS
elsewhere; `make screenshots` writes the README's into docs/screenshots).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from quartermaster.core.settings import Settings
from tests.realtime.conftest import serve

ROOT = Path(__file__).resolve().parents[2]
WEB_TOOL = [sys.executable, str(ROOT / "scripts" / "web.py")]
# Journeys take about a minute on a quiet machine; a busy one gets a generous margin.
TIMEOUT_SECONDS = 900

pytestmark = pytest.mark.slow


def _run_tool(*args: str) -> str:
    result = subprocess.run([*WEB_TOOL, *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.fail(f"scripts/web.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout.strip()


async def test_the_browser_journeys_pass_in_real_chromium(
    settings: Settings, tmp_path: Path
) -> None:
    chromium = _run_tool("chromium").splitlines()[-1]
    _run_tool("build")
    async with serve(
        settings,
        web_dir=ROOT / "web" / "dist",
        run_relay=True,
        run_worker=True,
        jobs_files_dir=tmp_path / "jobs",
        jobs_import_chunk_rows=50,
        # Signing up many organisations from one address is what these journeys do.
        login_max_failures=1000,
    ) as live:
        env = {
            **os.environ,
            "QM_E2E_BASE_URL": live.http_url,
            "QM_CHROMIUM": chromium,
            "CI": "1",
        }
        # QM_E2E_GREP runs only the journeys whose title matches (while working on one).
        only = ["--", "--grep", os.environ["QM_E2E_GREP"]] if os.environ.get("QM_E2E_GREP") else []
        process = await asyncio.create_subprocess_exec(
            *WEB_TOOL,
            "npm",
            "--",
            "run",
            "e2e",
            *only,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            output, _ = await asyncio.wait_for(process.communicate(), TIMEOUT_SECONDS)
        except TimeoutError:
            process.kill()
            await process.wait()
            pytest.fail(f"the browser journeys did not finish within {TIMEOUT_SECONDS} s")
    text = output.decode(errors="replace")
    assert process.returncode == 0, f"browser journeys failed:\n{text}"
    assert " passed" in text, text
