"""The system programs the topology needs (Debian packages), installed when missing and
we are root — like a fresh CI machine — or else named in one line."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Tool:
    name: str
    path: Path
    package: str


PGBOUNCER = Tool("pgbouncer", Path("/usr/sbin/pgbouncer"), "pgbouncer")
NGINX = Tool("nginx", Path("/usr/sbin/nginx"), "nginx-light")
PROMTOOL = Tool("promtool", Path("/usr/bin/promtool"), "prometheus")


class MissingTool(RuntimeError):
    pass


# While packages install, tell Debian's maintainer scripts not to start their services
# (a system pgbouncer on 6432, nginx on 80): we run our own copies on free ports.
_POLICY = Path("/usr/sbin/policy-rc.d")


def ensure(*tools: Tool) -> None:
    """Every tool present; install the missing ones with apt when root, else raise
    :class:`MissingTool` with the one command that installs them."""
    missing = [tool for tool in tools if not _found(tool)]
    if not missing:
        return
    packages = sorted({tool.package for tool in missing})
    command = f"apt-get install -y {' '.join(packages)}"
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise MissingTool(
            f"{', '.join(t.name for t in missing)} not found: install with `sudo {command}`"
        )
    placed_policy = not _POLICY.exists()
    if placed_policy:
        _POLICY.write_text("#!/bin/sh\nexit 101\n")
        _POLICY.chmod(0o755)
    try:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for argv in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", *packages]):
            result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                raise MissingTool(f"`{' '.join(argv)}` failed: {result.stderr.strip()[-500:]}")
    finally:
        if placed_policy:
            _POLICY.unlink(missing_ok=True)
    still = [tool.name for tool in missing if not _found(tool)]
    if still:
        raise MissingTool(f"{', '.join(still)} still missing after `{command}`")


def _found(tool: Tool) -> bool:
    return tool.path.exists() or shutil.which(tool.name) is not None


def path_of(tool: Tool) -> str:
    return str(tool.path) if tool.path.exists() else (shutil.which(tool.name) or tool.name)
