"""Movement throughput of 1 vs 2 API processes through nginx and pgbouncer (issue 16).

For each size, the topology of `make topology` is started afresh (PostgreSQL embedded
with durable commits, or QM_TOPOLOGY_DATABASE_URL; pgbouncer in transaction mode; Redis;
N x `qm api`; one `qm relay`; no job worker; nginx in front), an organization gets
``--products`` products stocked in ``--locations`` bins, and wrk sends one-unit transfers
(``bench/lua/ledger_transfers.lua``: the ledger-writes benchmark's request) through nginx
for ``--seconds`` at ``--connections`` connections. Printed per size: movements/s (201s),
latency percentiles, errors, and the CPU each process used — on a machine with fewer
cores than processes the second replica competes with the first for the same cores, so
read the figures with the core count beside them.

Usage: uv run python bench/topology_throughput.py [--seconds 20] [--connections 32] [--record]
(`make bench-topology`). Needs wrk (Debian package wrk), pgbouncer and nginx-light.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import append_record, machine, wrk

from topology.clients import API, Organization
from topology.cluster import Topology

SCRIPT = Path(__file__).resolve().parent / "lua" / "ledger_transfers.lua"
console = Console(stderr=True)


async def _stock(topology: Topology, products: int, locations: int) -> dict[str, Any]:
    """An organization with stocked products in several bins; the wrk script's inputs."""
    async with httpx.AsyncClient(timeout=60) as http:
        org = await Organization.create(http, topology.base_url, "Bench")
        bins = [org.location_id]
        for index in range(locations - 1):
            location = await org.post(
                http,
                "/locations",
                {"warehouse_id": org.warehouse_id, "code": f"B-{index:02d}", "name": "Bin"},
            )
            bins.append(location["id"])
        ids = [org.product_id]
        for index in range(products - 1):
            product = await org.post(
                http, "/products", {"sku": f"BENCH-{index:04d}", "name": "Bench item"}
            )
            ids.append(product["id"])
        lines = [
            {"kind": "receipt", "product_id": p, "to_location_id": b, "quantity": "1000000"}
            for p in ids
            for b in bins
        ]
        for start in range(0, len(lines), 100):
            response = await http.post(
                f"{topology.base_url}{API}/stock/movements",
                headers=org.headers,
                json={"lines": lines[start : start + 100]},
            )
            response.raise_for_status()
    return {"token": org.token, "products": ids, "locations": bins}


def _cpu(topology: Topology) -> dict[str, float]:
    used = {}
    for proc in [*topology.apis, topology.relay, topology.pgbouncer, topology.nginx]:
        if proc is None or not proc.alive():
            continue
        process = psutil.Process(proc.pid)
        family = [process, *process.children(recursive=True)]
        used[proc.name] = sum(p.cpu_times().user + p.cpu_times().system for p in family)
    return used


def run(replicas: int, args: argparse.Namespace) -> dict[str, Any]:
    directory = Path(tempfile.mkdtemp(prefix=f"qm-bench-topology-{replicas}-"))
    topology = Topology(
        directory,
        api_replicas=replicas,
        workers=0,
        env={"QM_PASSWORD_ARGON2_TIME_COST": "1", "QM_PASSWORD_ARGON2_MEMORY_KIB": "1024"},
        bouncer_pool_size=args.bouncer_pool,
    )
    with console.status(f"Starting the topology with {replicas} API process(es) …"):
        topology.start()
    try:
        data = asyncio.run(_stock(topology, args.products, args.locations))
        products_file = directory / "products.txt"
        products_file.write_text("\n".join(data["products"]) + "\n")
        env = {
            **os.environ,
            "WRK_PRODUCTS": str(products_file),
            "WRK_LOCATIONS": ",".join(data["locations"]),
        }
        before = _cpu(topology)
        with console.status(f"wrk: {args.seconds} s at {args.connections} connections …"):
            values, _ = wrk(
                f"{topology.base_url}{API}/stock/movements",
                seconds=args.seconds,
                script=SCRIPT,
                env=env,
                connections=args.connections,
                threads=2,
                headers={"Authorization": f"Bearer {data['token']}"},
            )
        after = _cpu(topology)
        cpu = {name: after[name] - before.get(name, 0.0) for name in after}
        return {"replicas": replicas, **values, "cpu": cpu}
    finally:
        topology.stop()
        topology.remove()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--products", type=int, default=50)
    parser.add_argument("--locations", type=int, default=4)
    parser.add_argument("--bouncer-pool", type=int, default=20)
    parser.add_argument("--sizes", default="1,2", help="API process counts to compare")
    parser.add_argument("--record", action="store_true", help="append to docs/benchmarks.md")
    args = parser.parse_args()
    results = [run(int(size), args) for size in args.sizes.split(",")]

    table = Table(title="Movements through nginx and pgbouncer")
    for column in ("API processes", "movements/s", "p50 ms", "p99 ms", "errors", "CPU s"):
        table.add_column(column, justify="right")
    for result in results:
        cpu = ", ".join(f"{name} {seconds:.1f}" for name, seconds in result["cpu"].items())
        table.add_row(
            str(result["replicas"]),
            f"{result.get('s201', 0) / result['seconds']:.0f}",
            f"{result['p50']:.1f}",
            f"{result['p99']:.1f}",
            f"{int(result['errors'] + result['non2xx'])}",
            cpu,
        )
    console.print(table)
    console.print(f"Machine: {machine()}")
    if args.record:
        lines = [
            "",
            "### Topology: movements through nginx and pgbouncer, 1 vs 2 API processes — "
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            "",
            f"Machine: {machine()}; wrk {args.connections} connections, {args.seconds:g} s, "
            f"one-unit transfers of {args.products} products between {args.locations} bins.",
            "",
            "| API processes | movements/s | p50 ms | p99 ms | errors |",
            "| --- | --- | --- | --- | --- |",
        ]
        for result in results:
            lines.append(
                f"| {result['replicas']} | {result.get('s201', 0) / result['seconds']:.0f} | "
                f"{result['p50']:.1f} | {result['p99']:.1f} | "
                f"{int(result['errors'] + result['non2xx'])} |"
            )
        console.print(f"Recorded in {append_record(lines)}")


if __name__ == "__main__":
    main()
