"""Prometheus metrics of the job workers (registered in the worker's registry: the API's
for the in-process worker, `qm worker`'s own otherwise)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)


class JobMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self.finished = Counter(
            "qm_jobs_finished",
            "Jobs this worker ended, by kind and final status (succeeded, failed, cancelled).",
            ("kind", "status"),
            registry=self.registry,
        )
        self.retried = Counter(
            "qm_jobs_retried",
            "Job attempts handed back for a retry after a temporary error.",
            ("kind",),
            registry=self.registry,
        )
        self.duration = Histogram(
            "qm_job_duration_seconds",
            "Duration of the job attempts this worker ended, by kind and final status.",
            ("kind", "status"),
            buckets=_DURATION_BUCKETS,
            registry=self.registry,
        )
        self.running = Gauge(
            "qm_jobs_running",
            "Jobs this worker is running now.",
            registry=self.registry,
        )
        self.queued = Gauge(
            "qm_jobs_queued",
            "Jobs in the queue, waiting or running, across all workers (sampled every few "
            "seconds by each worker).",
            registry=self.registry,
        )
        self.schedule_items = Counter(
            "qm_schedule_items",
            "What the runs of a schedule handled, by schedule: SLA breaches marked "
            "(check_sla_breaches), reservations released at expiry (expire_reservations), …",
            ("schedule",),
            registry=self.registry,
        )
        self.schedule_failures = Counter(
            "qm_schedule_tenant_failures",
            "Tenants a schedule failed for (the others went on).",
            ("schedule",),
            registry=self.registry,
        )
