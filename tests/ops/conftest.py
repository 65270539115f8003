from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def serve_cwd(tmp_path: Path) -> Path:
    # A directory without a .env file, so only the environment we pass counts.
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    return cwd
