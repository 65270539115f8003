"""The business modules an application can mount.

Each entry names a module whose ``router`` module exposes ``router: APIRouter``.
``create_app(modules=[...])`` mounts any subset, so one bounded context can be served on
its own (``qm serve --modules inventory``). Modules register here as they land.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from fastapi import APIRouter

if TYPE_CHECKING:
    from arq.cron import CronJob
    from arq.worker import Function

    from quartermaster.core.settings import Settings

AVAILABLE_MODULES: tuple[str, ...] = (
    "identity",
    "catalog",
    "inventory",
    "jobs",
    "realtime",  # live updates (WebSocket, SSE); no tables
    "mail",  # the outbox of e-mails for administrators (core/mail has the table)
    "servicedesk",
    "knowledge",
    "search",  # one search over the others' documents
)
# Modules whose models.py defines tables (Alembic needs them all in Base.metadata).
MODEL_MODULES: tuple[str, ...] = (
    "identity",
    "catalog",
    "inventory",
    "jobs",
    "servicedesk",
    "knowledge",
    "search",
)


class UnknownModule(ValueError):
    pass


def resolve_modules(names: list[str] | None) -> list[str]:
    """Validate module names; ``None`` means every available module."""
    if names is None:
        return list(AVAILABLE_MODULES)
    unknown = [name for name in names if name not in AVAILABLE_MODULES]
    if unknown:
        available = ", ".join(AVAILABLE_MODULES) or "none yet"
        raise UnknownModule(f"Unknown module(s): {', '.join(unknown)}. Available: {available}.")
    return names


def import_models() -> None:
    """Import every module's tables so Base.metadata is complete (autogenerate, tests)."""
    importlib.import_module("quartermaster.core.events")
    importlib.import_module("quartermaster.core.mail.models")
    for name in MODEL_MODULES:
        importlib.import_module(f"quartermaster.{name}.models")


def load_routers(name: str) -> list[APIRouter]:
    """A module's routers (``routers`` in its router.py, else its one ``router``), which
    the app includes side by side: FastAPI matches each request once per level of nested
    routers, so one level is cheaper than a module router holding the others."""
    module = importlib.import_module(f"quartermaster.{name}.router")
    routers = getattr(module, "routers", None) or [module.router]
    assert all(isinstance(router, APIRouter) for router in routers)
    return list(routers)


# --- Background jobs: each module's tasks.py (TASKS, schedules(settings)) --------------

TASK_MODULES: tuple[str, ...] = ("jobs", "catalog", "inventory", "servicedesk", "search")


def load_tasks(settings: Settings) -> tuple[list[Function], list[CronJob]]:
    """Every module's arq tasks and schedules, for `qm worker` and the in-process worker
    (a worker runs all of them, whichever modules the API mounts)."""
    functions: list[Function] = []
    schedules: list[CronJob] = []
    for name in TASK_MODULES:
        module = importlib.import_module(f"quartermaster.{name}.tasks")
        functions.extend(module.TASKS)
        schedules.extend(module.schedules(settings))
    return functions, schedules
