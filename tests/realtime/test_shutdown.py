"""A real server process (Uvicorn started as `qm serve` starts it, with the relay inside)
shut down with SIGTERM: sockets are closed with 1001, event streams end, the process
exits cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from quartermaster.core.db import Database
from tests.conftest import TEST_SECRET, TestServices
from tests.identity.conftest import Account
from tests.realtime.conftest import WAIT, LiveServer, _free_port, emit_events, open_socket

pytestmark = pytest.mark.slow


@pytest.fixture
def server_process(services: TestServices) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = _free_port()
    env = {
        **os.environ,
        "QM_DATABASE_URL": services.app_url,
        "QM_DATABASE_OWNER_URL": services.owner_url,
        "QM_REDIS_URL": services.redis_url,
        "QM_SECRET_KEY": TEST_SECRET,
        "QM_RUN_RELAY": "true",
        "QM_LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "quartermaster.api:create_app_from_environment",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--timeout-graceful-shutdown",
            "10",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


async def test_sigterm_closes_sockets_with_1001_and_ends_event_streams(
    server_process: tuple[subprocess.Popen[bytes], int], database: Database, alice: Account
) -> None:
    process, port = server_process
    live = LiveServer(
        app=None,  # type: ignore[arg-type]  # another process's
        http_url=f"http://127.0.0.1:{port}",
        ws_url=f"ws://127.0.0.1:{port}/api/v1/ws",
    )
    async with (
        open_socket(live, alice.access_token) as socket,
        httpx.AsyncClient(base_url=live.http_url, timeout=WAIT) as http,
        http.stream(
            "GET",
            "/api/v1/events/stream",
            params={"channels": "inventory:updates"},
            headers={"Authorization": f"Bearer {alice.access_token}"},
        ) as stream,
    ):
        await socket.subscribe("inventory:updates")
        # The relay inside the server publishes what we commit.
        ids = await emit_events(database, alice.tenant_id)
        assert [e["event_id"] for e in await socket.events(1)] == ids

        process.send_signal(signal.SIGTERM)

        assert await socket.closed_with() == 1001

        async def drain() -> str:
            return (await stream.aread()).decode()

        body = await asyncio.wait_for(drain(), WAIT)  # the stream ends instead of hanging
        assert '"op":"subscribed"' in body
    # Uvicorn re-raises the SIGTERM it handled once it has shut down gracefully.
    assert await asyncio.to_thread(process.wait, WAIT) in (0, -signal.SIGTERM)
