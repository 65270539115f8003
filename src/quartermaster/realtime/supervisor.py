"""Keeping the gateway's background tasks alive.

The hub's subscription loop and the heartbeat timer run for the life of the process; if
one of them ended on an exception nobody awaited, live delivery would stop in silence
while the API still answered. :func:`supervise` runs such a task for ever: an exception
it did not expect is logged with its traceback and the task starts again after a delay
that doubles up to a cap, with jitter (so the replicas of a deployment do not retry in
step). While a task is down, :class:`Supervised` says so, and ``/readyz`` reports live
delivery down (``gateway.live_delivery``).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable

import structlog

log = structlog.stdlib.get_logger(__name__)


class Backoff:
    """Delays that double from ``first`` up to ``cap`` seconds, each drawn at random from
    its upper half ("equal jitter"); :meth:`reset` after a success."""

    def __init__(self, first: float = 0.2, cap: float = 5.0) -> None:
        self.first, self.cap = first, cap
        self._next = first

    def reset(self) -> None:
        self._next = self.first

    def next_delay(self) -> float:
        delay = self._next
        self._next = min(self._next * 2, self.cap)
        return random.uniform(delay / 2, delay)  # noqa: S311 - jitter, not a secret


class Supervised:
    """A long-running task, restarted with backoff whenever it ends unexpectedly."""

    def __init__(self, name: str, backoff: Backoff | None = None) -> None:
        self.name = name
        self.backoff = backoff or Backoff()
        self.running = False
        self.restarts = 0

    async def run(self, body: Callable[[], Awaitable[None]]) -> None:
        """Run ``body()`` until cancelled: if it returns or raises, log it and run it again
        after the next backoff delay. Cancellation (shutdown) ends it."""
        while True:
            self.running = True
            started = time.monotonic()
            try:
                await body()
                log.error("live_task_ended", task=self.name)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("live_task_failed", task=self.name)
            finally:
                self.running = False
            if time.monotonic() - started > self.backoff.cap:
                self.backoff.reset()  # it ran well for a while: a new failure starts over
            delay = self.backoff.next_delay()
            log.info("live_task_restarting", task=self.name, in_seconds=round(delay, 2))
            await asyncio.sleep(delay)
            self.restarts += 1


def supervise(
    name: str, body: Callable[[], Awaitable[None]], backoff: Backoff | None = None
) -> tuple[Supervised, asyncio.Task[None]]:
    """Start ``body`` as a supervised task; returns its state and the task (cancel it to
    stop)."""
    supervised = Supervised(name, backoff)
    return supervised, asyncio.create_task(supervised.run(body), name=name)
