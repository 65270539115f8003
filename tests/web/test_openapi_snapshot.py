"""The web app's API client is generated from web/openapi.json; this fails when the
snapshot no longer matches the server's routes (run `make web-client` and commit)."""

from __future__ import annotations

import json
from pathlib import Path

from quartermaster.api import openapi_document

SNAPSHOT = Path(__file__).resolve().parents[2] / "web" / "openapi.json"


def _changed_operations(old: dict[str, object], new: dict[str, object]) -> list[str]:
    def operations(spec: dict[str, object]) -> dict[str, object]:
        paths = spec.get("paths", {})
        assert isinstance(paths, dict)
        return {f"{m.upper()} {p}": op for p, ops in paths.items() for m, op in ops.items()}

    before, after = operations(old), operations(new)
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def test_the_committed_openapi_snapshot_matches_the_server() -> None:
    current = openapi_document()
    committed = SNAPSHOT.read_text(encoding="utf-8")
    if committed != current:
        changed = _changed_operations(json.loads(committed), json.loads(current))
        listed = "\n  ".join(changed[:20]) or "(schemas or metadata only)"
        raise AssertionError(
            "web/openapi.json is out of date with the API: run `make web-client` (it also "
            f"regenerates web/src/api/schema.d.ts) and commit both. Changed:\n  {listed}"
        )


def test_the_snapshot_is_deterministic() -> None:
    assert openapi_document() == openapi_document()
