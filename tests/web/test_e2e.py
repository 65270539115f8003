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
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from quartermaster.core.settings import Settings
from tests.conftest import Outbox
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


@asynccontextmanager
async def mailbox(outbox: Outbox) -> AsyncIterator[str]:
    """What a person would find in their inbox, for the journeys that follow a mailed link
    (an invitation): ``GET /token?to=…&kind=…`` answers the newest link's token from the
    mail the app queued. Outside the system under test, like the person's mail client."""

    async def token(request: Request) -> JSONResponse:
        to, kind = request.query_params["to"], request.query_params["kind"]
        return JSONResponse({"token": await outbox.token(to, kind)})

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = Starlette(routes=[Route("/token", token)])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def test_the_browser_journeys_pass_in_real_chromium(
    settings: Settings, tmp_path: Path, outbox: Outbox
) -> None:
    chromium = _run_tool("chromium").splitlines()[-1]
    _run_tool("build")
    async with (
        serve(
            settings,
            web_dir=ROOT / "web" / "dist",
            run_relay=True,
            run_worker=True,
            jobs_files_dir=tmp_path / "jobs",
            jobs_import_chunk_rows=50,
            # Signing up many organisations from one address is what these journeys do.
            login_max_failures=1000,
        ) as live,
        mailbox(outbox) as mail_url,
    ):
        env = {
            **os.environ,
            "QM_E2E_BASE_URL": live.http_url,
            "QM_E2E_MAILBOX_URL": mail_url,
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
