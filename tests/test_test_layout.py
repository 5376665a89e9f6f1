"""The tests' own layout: helper modules are named helpers.py, worlds are built by one builder
(tests/support/world.py) and the sandbox's outbox is read by one reader (tests/support/sandbox.py).

The exceptions below are files other work had in hand when this check came; each is to go.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
SUPPORT = TESTS / "support"

#: support.py modules still to be renamed helpers.py (their importers switched with them).
SUPPORT_MODULES_LEFT: set[str] = set()

#: World builders outside tests/support, by file: function names.
WORLD_BUILDERS_LEFT = {
    # An alliance with its lead and members, no pairing: not the pairing world.
    "ledger/helpers.py": {"make_alliance_world"},
    # Two regions built through the admin api on purpose (the foreign-id matrix watches rows).
    "security/world.py": {"build_world"},
}

#: Files that still GET /sandbox/outbox themselves instead of calling read_outbox.
OUTBOX_READERS_LEFT: set[str] = set()

WORLD_BUILDER = re.compile(r"^_?(make|build)_(\w+_)?world$")


def _test_files() -> list[Path]:
    return [p for p in TESTS.rglob("*.py") if SUPPORT not in p.parents]


def _name(path: Path) -> str:
    return path.relative_to(TESTS).as_posix()


def _reads_outbox(node: ast.AST) -> bool:
    """A `.get(url, …)` call whose url (a string or f-string) names /sandbox/outbox."""
    if not (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and node.args
    ):
        return False
    url = node.args[0]
    parts = url.values if isinstance(url, ast.JoinedStr) else [url]
    return any(
        isinstance(p, ast.Constant) and isinstance(p.value, str) and "sandbox/outbox" in p.value
        for p in parts
    )


def test_helper_modules_are_named_helpers():
    found = {_name(p) for p in TESTS.rglob("support.py")}
    assert found == SUPPORT_MODULES_LEFT, "name a tests package's helper module helpers.py"


def test_worlds_are_built_by_tests_support_world_only():
    found: dict[str, set[str]] = {}
    for path in _test_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and WORLD_BUILDER.match(
                node.name
            ):
                found.setdefault(_name(path), set()).add(node.name)
    assert found == WORLD_BUILDERS_LEFT, (
        "build a world with tests.support.world.make_world and a Setting, not a builder of its own"
    )


def test_the_outbox_is_read_by_tests_support_sandbox_only():
    found = set()
    for path in _test_files():
        if any(_reads_outbox(n) for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))):
            found.add(_name(path))
    assert found == OUTBOX_READERS_LEFT, (
        "read the sandbox outbox with tests.support.sandbox.read_outbox"
    )


def test_the_one_builder_and_the_one_reader_exist():
    world = ast.parse((SUPPORT / "world.py").read_text(encoding="utf-8"))
    sandbox = ast.parse((SUPPORT / "sandbox.py").read_text(encoding="utf-8"))
    assert "make_world" in {n.name for n in world.body if isinstance(n, ast.AsyncFunctionDef)}
    assert "read_outbox" in {n.name for n in sandbox.body if isinstance(n, ast.AsyncFunctionDef)}


def test_http_clients_share_one_ssl_context():
    # An httpx client of its own SSL context costs 33 ms of CPU to build (certifi's bundle),
    # two to four times a test: tests/support/http.py makes them on one.
    direct = re.compile(r"httpx\.(Async)?Client\(")
    found = {
        _name(p)
        for p in _test_files() + list(SUPPORT.glob("*.py"))
        if p != SUPPORT / "http.py" and direct.search(p.read_text())
    }
    assert found == set(), "build test clients with tests.support.http.http_client"


def test_artifacts_go_to_the_runs_own_folder():
    # The embedded and services runs go side by side: one shared folder had each overwrite
    # the other's certificate pages while they were read back (tests/support/artifacts.py).
    shared = re.compile(r"""/\s*["']artifacts["']""")
    found = {
        _name(p)
        for p in _test_files() + list(SUPPORT.glob("*.py"))
        if p != SUPPORT / "artifacts.py" and shared.search(p.read_text())
    }
    assert found == set(), "put files for people to see under tests.support.artifacts.artifacts"
