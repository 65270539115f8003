"""The business modules an application can mount.

Each entry names a module whose ``router`` module exposes ``router: APIRouter``.
``create_app(modules=[...])`` mounts any subset, so one bounded context can be served on
its own (``qm serve --modules inventory``). Modules register here as they land.
"""

from __future__ import annotations

import importlib

from fastapi import APIRouter

AVAILABLE_MODULES: tuple[str, ...] = ("identity", "catalog", "inventory")
# Modules whose models.py defines tables (Alembic needs them all in Base.metadata).
MODEL_MODULES: tuple[str, ...] = ("identity", "catalog", "inventory")


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
    for name in MODEL_MODULES:
        importlib.import_module(f"quartermaster.{name}.models")


def load_router(name: str) -> APIRouter:
    module = importlib.import_module(f"quartermaster.{name}.router")
    router = module.router
    assert isinstance(router, APIRouter)
    return router
