"""Module boundaries (DESIGN.md §2), checked from the source tree so new modules are
covered the day they appear."""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import quartermaster
from quartermaster.core.db import Base

PACKAGE_DIR = Path(quartermaster.__file__).parent
INFRASTRUCTURE = {"core", "runtime", "migrations"}
# Application layer, like api.py and cli.py: it orchestrates several modules' services.
APPLICATION_PACKAGES = {"demo"}
BUSINESS_MODULES = sorted(
    p.name
    for p in PACKAGE_DIR.iterdir()
    if p.is_dir()
    and (p / "__init__.py").exists()
    and p.name not in INFRASTRUCTURE | APPLICATION_PACKAGES
)


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def violations(source_dir: Path, allowed: Callable[[list[str]], bool]) -> list[str]:
    found = []
    for path in sorted(source_dir.rglob("*.py")):
        for lineno, name in imported_modules(path):
            parts = name.split(".")
            if parts[0] != "quartermaster" or len(parts) < 2:
                continue
            if not allowed(parts):
                found.append(f"{path.relative_to(PACKAGE_DIR)}:{lineno} imports {name}")
    return found


def test_core_imports_no_business_module_or_application_layer() -> None:
    application = {"api", "cli", "cli_common", "cli_demo", "demo", "modules", "runtime"}
    forbidden = {*BUSINESS_MODULES, *application}
    assert violations(PACKAGE_DIR / "core", lambda parts: parts[1] not in forbidden) == []


@pytest.mark.parametrize("module", BUSINESS_MODULES or ["<none yet>"])
def test_modules_reach_each_other_only_through_public(module: str) -> None:
    if module == "<none yet>":
        assert BUSINESS_MODULES == []
        return

    def allowed(parts: list[str]) -> bool:
        target = parts[1]
        if target not in BUSINESS_MODULES or target == module:
            return True
        return len(parts) == 2 or parts[2] == "public"

    assert violations(PACKAGE_DIR / module, allowed) == []


def importlinter_contracts() -> list[dict[str, Any]]:
    pyproject = PACKAGE_DIR.parents[1] / "pyproject.toml"
    contracts: list[dict[str, Any]] = tomllib.loads(pyproject.read_text())["tool"]["importlinter"][
        "contracts"
    ]
    return contracts


def test_every_business_module_is_in_the_independence_contract() -> None:
    """`lint-imports` proves the boundaries only for the modules its contract names: a new
    module left out of it would be free to import another's internals."""
    (independence,) = [c for c in importlinter_contracts() if c["type"] == "independence"]
    assert sorted(independence["modules"]) == [f"quartermaster.{m}" for m in BUSINESS_MODULES]
    assert sorted(independence["ignore_imports"]) == sorted(
        f"quartermaster.** -> quartermaster.{m}.public" for m in BUSINESS_MODULES
    )


def test_the_core_contract_forbids_every_business_module() -> None:
    contracts = importlinter_contracts()
    (kernel,) = [c for c in contracts if c.get("source_modules") == ["quartermaster.core"]]
    forbidden = set(kernel["forbidden_modules"])
    assert {f"quartermaster.{m}" for m in BUSINESS_MODULES} - forbidden == set()


def test_every_relationship_loads_only_when_asked() -> None:
    lazy_loaders = [
        f"{mapper.class_.__name__}.{rel.key}={rel.lazy}"
        for mapper in Base.registry.mappers
        for rel in mapper.relationships
        if rel.lazy not in ("raise", "raise_on_sql", "selectin", "joined", "noload", "write_only")
    ]
    assert lazy_loaders == []


def test_no_route_dependency_runs_in_the_thread_pool() -> None:
    """FastAPI runs a plain ``def`` dependency in the thread pool: a hand-off per request
    that costs more than such dependencies' work. Every dependency must be async."""
    import inspect

    from fastapi.dependencies.models import Dependant
    from fastapi.routing import iter_route_contexts

    from quartermaster.api import create_app
    from quartermaster.core.settings import Settings

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url="postgresql://u:p@127.0.0.1:1/db",
        redis_url="redis://127.0.0.1:1/0",
    )
    app = create_app(settings)

    def is_async(call: object) -> bool:
        method = getattr(call, "__call__", None)  # noqa: B004 (callable instances)
        return any(
            inspect.iscoroutinefunction(c) or inspect.isasyncgenfunction(c)
            for c in (call, method)
            if c is not None
        )

    def sync_calls(dependant: Dependant) -> Iterator[str]:
        for sub in dependant.dependencies:
            if sub.call is not None and not is_async(sub.call):
                yield getattr(sub.call, "__qualname__", repr(sub.call))
            yield from sync_calls(sub)

    dependants = [
        (str(route.path), dependant)
        for route in iter_route_contexts(app.routes)
        if (dependant := getattr(route, "dependant", None)) is not None
    ]
    assert len(dependants) > 50  # the walk reached the modules' routes
    found = {f"{path}: {name}" for path, dependant in dependants for name in sync_calls(dependant)}
    assert sorted(found) == []
