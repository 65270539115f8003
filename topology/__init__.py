"""Quartermaster as several processes on one machine, the way it runs on Kubernetes:
PostgreSQL, pgbouncer (transaction mode), Redis, API replicas, a relay, workers and nginx
in front — real processes on free ports, configuration generated into a directory of
its own, nothing installed as a system service.

Used by `make topology` (``python -m topology``), by ``tests/ops/test_topology.py`` and
by ``bench/topology_throughput.py``.
"""
