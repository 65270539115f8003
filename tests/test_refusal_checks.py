"""The suite's own rule (issue 12): a test that expects a refusal (a 4xx) reads what the
refusal says — its problem code, detail or body — not only its status, so a refusal for
the wrong reason fails. Checked from the source of every test module, so a new module's
tests are covered the day they appear."""

from __future__ import annotations

import ast
import re
from pathlib import Path

TESTS_DIR = Path(__file__).parent
REFUSAL = re.compile(r"status_code\s*(==|in)\s*\(?\s*4\d\d")


def _reads(name: str, text: str) -> bool:
    """Whether ``text`` reads the response ``name`` beyond its status."""
    return (
        re.search(rf"\b{name}\.(json\(\)|headers|text|content)|problem\(\s*{name}\b", text)
        is not None
    )


def status_only_refusals(path: Path, root: Path = TESTS_DIR) -> list[str]:
    source = path.read_text()
    lines = source.splitlines()
    found = []
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if not function.name.startswith("test"):
            continue
        assert function.end_lineno is not None
        for node in ast.walk(function):
            if not isinstance(node, ast.Assert):
                continue
            text = ast.get_source_segment(source, node) or ""
            if not REFUSAL.search(text):
                continue
            assert node.end_lineno is not None
            after = "\n".join(lines[node.end_lineno : function.end_lineno])
            names = re.findall(r"(\w+)\.status_code", text)
            inline = re.search(r"\)\)?\.status_code", text) is not None
            if inline or not names or not all(_reads(name, after) for name in names):
                found.append(f"{path.relative_to(root)}:{node.lineno} {function.name}")
    return found


def test_every_expected_refusal_is_read_beyond_its_status() -> None:
    found = [
        where
        for path in sorted(TESTS_DIR.rglob("test_*.py"))
        for where in status_only_refusals(path)
    ]
    assert found == [], (
        "Read the refusal, not only its status: problem(response, status, code) from "
        "tests/builders.py (and nothing_written(...) around a refused write):\n" + "\n".join(found)
    )


def test_the_check_finds_a_status_only_refusal(tmp_path: Path) -> None:
    """Not vacuous: the shapes it exists for are found."""
    sample = tmp_path / "test_sample.py"
    sample.write_text(
        "async def test_x(client):\n"
        "    response = await client.get('/x')\n"
        "    assert response.status_code == 404\n"
        "    assert (await client.get('/y')).status_code == 403\n"
        "    read = await client.get('/z')\n"
        "    assert read.status_code == 422\n"
        "    assert read.json()['code'] == 'validation-failed'\n"
    )
    assert [where.split()[0] for where in status_only_refusals(sample, tmp_path)] == [
        "test_sample.py:3",
        "test_sample.py:4",
    ]
