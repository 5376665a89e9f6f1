"""Writing spreadsheet rows: text stays text, never a formula.

openpyxl turns any string that starts with "=" into a formula cell (and "#N/A" and the like
into error cells), so a teacher named `=HYPERLINK("http://…","点我")` would become a live
link in the sign-in sheet. Every export writes its cells through this module: a string is
always a string cell (an inline string in the sheet XML, no `<f>` element), shown exactly as
typed. Excel evaluates nothing in a string cell, so `+1+1`, `-2+3` and `@SUM(A1)` stay
text as well. A deliberate link goes through `cell.hyperlink`, never a HYPERLINK formula.
tests/common/test_sheets.py checks that no module under server/ writes cells another way.
"""

from __future__ import annotations

from collections.abc import Iterable

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.worksheet.worksheet import Worksheet

#: What `Cell.data_type` says for a string cell.
TEXT = "s"


def _text(value: str) -> str:
    # Control characters cannot be stored in the sheet XML (openpyxl raises); a name pasted
    # with one must not break the whole export.
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def text_cell(ws: Worksheet, value: object) -> Cell:
    """A cell of `ws` holding `value`; a string is kept as text, never as a formula."""
    if isinstance(value, str):
        cell = Cell(ws, value=_text(value))
        cell.data_type = TEXT
        return cell
    return Cell(ws, value=value)


def append_row(ws: Worksheet, values: Iterable[object] = ()) -> tuple[Cell, ...]:
    """Append a row of values below the sheet's last row; strings become text cells."""
    cells = tuple(text_cell(ws, value) for value in values)
    ws.append(list(cells))
    return cells
