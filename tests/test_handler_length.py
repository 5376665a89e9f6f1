"""Thin handlers (issue 19, item 5): every route handler's body fits in 15 lines.

A handler validates (a pydantic model through sanic-ext), calls a service and answers;
what is longer belongs in a service or a small helper beside it. Read from the source with
ast: every function decorated as a route (`@bp.get(…)`, `@bp.post(…)`, … or a helper that
registers routes, like the ledger's `@unit_route(…)`) in server/**/views.py,
server/**/*_views.py and server/web/views/. The docstring does not count.
"""

from __future__ import annotations

import ast
from pathlib import Path

SERVER = Path(__file__).resolve().parents[1] / "server"
MAX_LINES = 15
ROUTE_METHODS = {"get", "post", "put", "patch", "delete", "head", "options", "route", "websocket"}


def _view_modules() -> list[Path]:
    found = {*SERVER.glob("**/views.py"), *SERVER.glob("**/*_views.py")}
    found |= set((SERVER / "web" / "views").glob("**/*.py"))
    return sorted(found)


def _is_route(decorator: ast.expr) -> bool:
    if not isinstance(decorator, ast.Call):
        return False
    target = decorator.func
    if isinstance(target, ast.Attribute):
        return target.attr in ROUTE_METHODS
    return isinstance(target, ast.Name) and target.id.endswith("_route")


def _body_lines(function: ast.AsyncFunctionDef | ast.FunctionDef) -> int:
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    return body[-1].end_lineno - body[0].lineno + 1 if body else 0


def _handlers():
    for path in _view_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
                _is_route(d) for d in node.decorator_list
            ):
                yield path.relative_to(SERVER.parent), node


def test_the_walk_finds_the_handlers():
    names = {(str(path), node.name) for path, node in _handlers()}
    assert ("server/checkin/views.py", "check_in") in names
    assert ("server/web/views/notices.py", "create") in names
    assert ("server/web/views/ledger.py", "record_donation") in names  # via unit_route
    assert len(names) > 200


def test_every_handler_body_fits_in_fifteen_lines():
    long = {
        f"{path}:{node.lineno} {node.name} ({_body_lines(node)} lines)"
        for path, node in _handlers()
        if _body_lines(node) > MAX_LINES
    }
    assert not long, f"handlers longer than {MAX_LINES} lines: {sorted(long)}"
