"""Checks on downloaded workbooks: user text is stored as text, never as a formula."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable

from defusedxml.ElementTree import fromstring
from openpyxl import load_workbook

#: Names and titles a spreadsheet would run as formulas if they were not kept as text.
HOSTILE = ('=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)")


def formula_elements(content: bytes) -> list[str]:
    """The sheet parts of an .xlsx that hold an `<f>` (formula) element."""
    found = []
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        for name in book.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                root = fromstring(book.read(name))
                if any(el.tag.rpartition("}")[2] == "f" for el in root.iter()):
                    found.append(name)
    return found


def assert_text_cells(content: bytes, texts: Iterable[str]) -> None:
    """Each of `texts` is a string cell somewhere in the workbook, and no sheet has a formula."""
    cells = {}
    for ws in load_workbook(io.BytesIO(content)).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cells.setdefault(cell.value, cell)
    for text in texts:
        assert text in cells, f"{text!r} is not in the workbook as typed"
        assert cells[text].data_type == "s", f"{text!r} is stored as {cells[text].data_type!r}"
    assert formula_elements(content) == []
