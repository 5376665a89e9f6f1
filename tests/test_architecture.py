"""The import graph between domains, read from the source: no cycle, no foreign models.

A domain is a package under server/; `server/common` lies below all of them. The modules
directly under server/ (app.py, cli.py, demo*.py, lifecycle.py, wiring.py …) are the
composition root: they may import everything and are not part of the graph. Every import
counts, at the top of a file or inside a function; only `if TYPE_CHECKING:` blocks are left
out (they never run). A domain reads another through that domain's service (or public
module), and a domain low in the graph calls back up through hooks the composition root
connects (server/wiring.py), never by importing the domain above it.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

SERVER = Path(__file__).resolve().parents[1] / "server"
ROOT = SERVER.parent
DOMAINS = frozenset(p.name for p in SERVER.iterdir() if (p / "__init__.py").is_file())

#: Imports exempted from every check here: file -> imported module (server.<domain>.<module>),
#: each with the reason. Empty: issue 19 untied them all; keep it so.
ALLOWED: dict[tuple[str, str], str] = {}


def _type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def _imported(tree: ast.AST) -> list[str]:
    """Every name a file imports, as a dotted path (`from server.x import y`: server.x.y)."""
    found: list[str] = []
    todo = [tree]
    while todo:
        node = todo.pop()
        if _type_checking(node):
            todo.extend(getattr(node, "orelse", []))
            continue
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # server.x.models.Y is cut to server.x.models below; server.x + y names server.x.y.
            found.extend(f"{node.module}.{alias.name}" for alias in node.names)
        todo.extend(ast.iter_child_nodes(node))
    return found


def _imports() -> list[tuple[str, str, str, str]]:
    """(file, its domain, imported module as server.<domain>.<module>, that domain)."""
    rows = set()
    for path in sorted(SERVER.rglob("*.py")):
        parts = path.relative_to(SERVER).parts
        if len(parts) < 2 or parts[0] not in DOMAINS:
            continue
        domain, name = parts[0], path.relative_to(ROOT).as_posix()
        for module in _imported(ast.parse(path.read_text(encoding="utf-8"))):
            bits = module.split(".")
            if bits[0] != "server" or len(bits) < 2 or bits[1] not in DOMAINS:
                continue
            if bits[1] == domain:
                continue
            rows.add((name, domain, ".".join(bits[:3]), bits[1]))
    return sorted(rows)


def _graph() -> dict[str, dict[str, list[str]]]:
    """domain -> imported domain -> the files (and modules) that make the edge."""
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for name, domain, module, target in _imports():
        if (name, module) not in ALLOWED:
            graph[domain][target].append(f"{name} -> {module}")
    return graph


def _cycle(graph: dict[str, dict[str, list[str]]]) -> list[str] | None:
    """One cycle of domains (first domain repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(domain: str) -> list[str] | None:
        state[domain] = 1
        path.append(domain)
        for target in sorted(graph.get(domain, {})):
            if state.get(target) == 1:
                return path[path.index(target) :] + [target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[domain] = 2
        return None

    for domain in sorted(set(graph) | {t for targets in graph.values() for t in targets}):
        if domain not in state and (found := visit(domain)):
            return found
    return None


def test_the_domains_import_each_other_without_a_cycle():
    graph = _graph()
    cycle = _cycle(graph)
    if cycle:
        edges = [
            f"  {a} -> {b}: " + "; ".join(graph[a][b])
            for a, b in zip(cycle, cycle[1:], strict=False)
        ]
        raise AssertionError(
            "import cycle between domains: " + " -> ".join(cycle) + "\n" + "\n".join(edges)
        )


def test_common_imports_no_domain():
    found = [
        f"{name} -> {module}"
        for name, domain, module, _ in _imports()
        if domain == "common" and (name, module) not in ALLOWED
    ]
    assert not found, "server/common lies below every domain:\n" + "\n".join(found)


def test_no_domain_imports_another_domains_models():
    found = [
        f"{name} -> {module}"
        for name, _, module, _ in _imports()
        if module.endswith(".models") and (name, module) not in ALLOWED
    ]
    assert not found, "read another domain through its service, not its models:\n" + "\n".join(
        found
    )


def test_the_check_sees_imports_inside_functions_and_skips_type_checking_blocks():
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from server.wechat.client import WeChatClient\n"
        "def f():\n    from server.checkin.models import Checkin\n"
        "import server.orgs.service\n"
    )
    found = _imported(ast.parse(source))
    assert "server.checkin.models.Checkin" in found
    assert "server.orgs.service" in found
    assert not any(m.startswith("server.wechat") for m in found)


def test_a_cycle_is_found_and_named():
    graph = {"a": {"b": ["x"]}, "b": {"c": ["y"]}, "c": {"a": ["z"]}}
    assert _cycle(graph) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b": ["x"]}, "b": {}}) is None


def _python_files(*tops: str):
    """The hand-written Python files under `tops` (aerich's generated migrations left out)."""
    for top in tops:
        yield from (p for p in sorted((ROOT / top).rglob("*.py")) if "migrations" not in p.parts)


def test_the_bots_read_the_server_through_services_not_models():
    found = [
        f"{path.relative_to(ROOT).as_posix()} -> {module}"
        for path in _python_files("bots")
        for module in _imported(ast.parse(path.read_text(encoding="utf-8")))
        if module.startswith("server.") and ".models" in module
    ]
    assert not found, "the bots read the server through its services:\n" + "\n".join(found)


#: What `server.common.runtime.Runtime` holds: reached through `current()` and nothing else.
RUNTIME_RESOURCES = frozenset(
    {"settings", "redis", "wechat", "official_account", "broker", "limiter"}
)


def _ctx_resources(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, name) of every `<anything>.ctx.<resource>` read or written in a file."""
    return [
        (node.lineno, node.attr)
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr in RUNTIME_RESOURCES
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "ctx"
    ]


def test_process_resources_are_reached_one_way_through_current():
    found = [
        f"{path.relative_to(ROOT).as_posix()}:{line} .ctx.{name}"
        for path in _python_files("server", "bots")
        for line, name in _ctx_resources(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert not found, "reach settings, Redis, WeChat, the broker and the limiter through " + (
        "server.common.runtime.current():\n" + "\n".join(found)
    )
    made = [
        path.relative_to(ROOT).as_posix()
        for path in _python_files("server", "bots")
        if "Runtime(" in path.read_text(encoding="utf-8")
    ]
    assert made == ["server/lifecycle.py"], made


def test_the_one_way_check_sees_a_resource_on_app_ctx():
    source = "x = request.app.ctx.settings.data_dir\napp.ctx.limiter = y\nrequest.ctx.principal\n"
    assert sorted(_ctx_resources(ast.parse(source))) == [(1, "settings"), (2, "limiter")]
