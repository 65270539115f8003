"""jobs/worker.py's LeasedWorker builds on private parts of arq's Worker (pyproject.toml
caps arq for them): this fails when an arq release moves one, before the worker silently
loses its leases, its wake-ups or its clean shutdown."""

from __future__ import annotations

import inspect

from arq.worker import Worker


def test_the_worker_internals_leasedworker_relies_on_are_there() -> None:
    assert inspect.iscoroutinefunction(Worker._poll_iteration)
    source = inspect.getsource(Worker)
    for attribute in ("in_progress_timeout_s", "_handle_signals", "_pool", "self.tasks"):
        assert attribute in source, attribute
    # The lease: start_jobs gives the in-progress key the worker's in_progress_timeout_s.
    assert "in_progress_timeout_s" in inspect.getsource(Worker.start_jobs)
