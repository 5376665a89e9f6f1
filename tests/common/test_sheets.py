"""Cells from user text are written one way only: server/common/sheets.py, as text."""

from __future__ import annotations

import ast
import io
from pathlib import Path

from openpyxl import Workbook

from server.common.sheets import append_row
from tests.support.sheets import HOSTILE, assert_text_cells, formula_elements

ROOT = Path(__file__).resolve().parents[2]
HELPER = ROOT / "server" / "common" / "sheets.py"
#: Calls that hand out a worksheet.
SHEET_SOURCES = {"active", "create_sheet", "get_sheet_by_name", "copy_worksheet"}


def _is_sheet_source(node: ast.AST) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr in SHEET_SOURCES
    if isinstance(node, ast.Call):
        return _is_sheet_source(node.func)
    return False


def _sheet_names(tree: ast.AST) -> set[str]:
    """Names bound to a worksheet: `ws`, assignments from wb.active / create_sheet, and
    parameters annotated Worksheet."""
    names = {"ws"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and _is_sheet_source(node.value):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.arg) and node.annotation is not None:
            if "Worksheet" in ast.unparse(node.annotation):
                names.add(node.arg)
    return names


def direct_writes(source: str) -> list[str]:
    """Cell writes that bypass the helper, as "line: code" strings."""
    tree = ast.parse(source)
    sheets = _sheet_names(tree)
    found = []
    for node in ast.walk(tree):
        bad = False
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            receiver = node.func.value
            on_sheet = isinstance(receiver, ast.Name) and receiver.id in sheets
            if on_sheet and node.func.attr == "append":
                bad = True
            if on_sheet and node.func.attr == "cell":
                bad = len(node.args) > 2 or any(k.arg == "value" for k in node.keywords)
        elif isinstance(node, ast.Assign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr == "value":
                    bad = True
                if (
                    isinstance(target, ast.Subscript)
                    and isinstance(target.value, ast.Name)
                    and target.value.id in sheets
                ):
                    bad = True
        if bad:
            found.append(f"{node.lineno}: {ast.unparse(node)[:80]}")
    return found


def test_no_module_writes_cells_around_the_helper():
    offenders = {}
    for path in sorted(
        [*ROOT.joinpath("server").rglob("*.py"), *ROOT.joinpath("bots").rglob("*.py")]
    ):
        if path == HELPER:
            continue
        source = path.read_text(encoding="utf-8")
        if "openpyxl" not in source:
            continue
        if writes := direct_writes(source):
            offenders[str(path.relative_to(ROOT))] = writes
    assert offenders == {}, "write cells through server.common.sheets.append_row"


def test_the_check_sees_each_way_around_the_helper():
    snippets = [
        "ws.append(['=1'])",
        "sheet = wb.active\nsheet.append(['=1'])",
        "page = wb.create_sheet('x')\npage.cell(1, 1, '=1')",
        "ws.cell(row=1, column=1, value='=1')",
        "ws['A1'] = '=1'",
        "ws.cell(row=1, column=1).value = '=1'",
        "def f(target: Worksheet):\n    target.append(['=1'])",
    ]
    assert all(direct_writes(s) for s in snippets)
    assert direct_writes("ws.cell(row=1, column=1).font = bold\nlines.append('x')") == []


def test_append_row_keeps_formula_like_text_as_typed():
    wb = Workbook()
    ws = wb.active
    append_row(ws, [*HOSTILE, "#N/A", "名\x01字", 3, None])
    append_row(ws)
    append_row(ws, ["下一行"])
    out = io.BytesIO()
    wb.save(out)
    assert_text_cells(out.getvalue(), [*HOSTILE, "#N/A", "名字", "下一行"])
    assert ws.cell(row=1, column=7).value == 3 and ws.cell(row=1, column=7).data_type == "n"
    assert ws.cell(row=3, column=1).value == "下一行"  # the empty row is kept


def test_a_formula_would_be_seen_in_the_sheet_xml():
    wb = Workbook()
    wb.active.append(["=1+1"])  # what the helper prevents: the check must notice it
    out = io.BytesIO()
    wb.save(out)
    assert formula_elements(out.getvalue()) == ["xl/worksheets/sheet1.xml"]
