"""`make topology`: Quartermaster as it runs in production, on this machine, until Ctrl-C.

Starts PostgreSQL (embedded, or QM_TOPOLOGY_DATABASE_URL's server), pgbouncer in
transaction mode, Redis, two `qm api` replicas, one `qm relay`, two `qm worker`s and nginx
in front — real processes on free ports, configuration generated into one directory —
signs up a demo organization through nginx, and prints where everything is.
"""

from __future__ import annotations

import argparse
import secrets
import signal
import tempfile
import threading
from pathlib import Path
from types import FrameType

import httpx
from rich.console import Console

from topology.cluster import Topology
from topology.tools import MissingTool

console = Console(stderr=True, highlight=False, soft_wrap=True)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m topology", description=__doc__)
    parser.add_argument("--api-replicas", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--dir", type=Path, help="where configuration, data and logs go")
    args = parser.parse_args()
    directory = args.dir or Path(tempfile.mkdtemp(prefix="qm-topology-"))
    topology = Topology(directory, api_replicas=args.api_replicas, workers=args.workers)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        with console.status(f"Starting the topology in {directory} …"):
            topology.start()
    except MissingTool as exc:
        console.print(f"[bold red]error:[/] {exc}")
        return 1
    try:
        login = _demo_login(topology)
        _report(topology, login)
        stop.wait()
    finally:
        with console.status("Stopping …"):
            topology.stop()
    console.print(f"Stopped. Configuration and logs stay in {directory}.")
    return 0


def _demo_login(topology: Topology) -> tuple[str, str]:
    email = f"demo-{secrets.token_hex(3)}@topology.example"
    password = secrets.token_urlsafe(12)
    response = httpx.post(
        f"{topology.base_url}/api/v1/auth/signup",
        json={
            "organization": "Topology Demo",
            "email": email,
            "password": password,
            "full_name": "Demo",
        },
        timeout=30,
    )
    response.raise_for_status()
    return email, password


def _report(topology: Topology, login: tuple[str, str]) -> None:
    assert topology.database is not None
    assert topology.nginx is not None
    lines = [
        "[bold]Quartermaster topology[/] is running (Ctrl-C stops it):",
        f"  nginx      {topology.base_url}/docs   (API {topology.base_url}/api/v1, "
        f"live {topology.ws_url})",
        f"  login      {login[0]} / {login[1]}  (organization Topology Demo)",
    ]
    for proc in [*topology.apis, topology.relay, *topology.workers]:
        assert proc is not None
        lines.append(
            f"  {proc.name:<10} pid {proc.pid:<7} http://127.0.0.1:{proc.port}/readyz  "
            f"log {proc.log}"
        )
    lines += [
        f"  pgbouncer  127.0.0.1:{topology.bouncer_port} (transaction mode)  "
        f'psql "{topology.bouncer("app")}"',
        f'  postgres   psql "{topology.database.direct("owner")}"  (direct: relay, migrations)',
        f"  redis      {topology.redis_url}",
        f"  configs    {topology.directory}  (nginx.conf, pgbouncer/pgbouncer.ini)",
        "Pin a request to one replica with the header X-QM-Replica: a|b; each response "
        "names its upstream in X-QM-Upstream.",
    ]
    console.print("\n".join(lines))


if __name__ == "__main__":
    raise SystemExit(main())
