"""The roster template workbook a director downloads, fills in and uploads."""

from __future__ import annotations

import asyncio
import io

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from server.common.auth import Principal
from server.common.sheets import append_row
from server.orgs.models import Grade, Kindergarten
from server.orgs.roster_sheets import CHILD_SHEET, EXAMPLES, MAX_ROWS, SHEETS, TEACHER_SHEET
from server.orgs.scope import ensure_directs_kindergarten


def build_template() -> bytes:
    """The roster template workbook: 教师 and 幼儿 sheets with headers, an example and lists."""
    wb = Workbook()
    wb.remove(wb.active)
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="2F6F4E")
    example_font = Font(italic=True, color="808080")
    for sheet, columns in SHEETS.items():
        ws = wb.create_sheet(sheet)
        append_row(ws, [c.header for c in columns])
        append_row(ws, list(EXAMPLES[sheet]))
        for index, column in enumerate(columns, start=1):
            letter = ws.cell(row=1, column=index).column_letter
            head = ws.cell(row=1, column=index)
            head.font, head.fill = header_font, header_fill
            head.alignment = Alignment(horizontal="center")
            head.comment = Comment(column.note, "送教通")
            ws.cell(row=2, column=index).font = example_font
            ws.column_dimensions[letter].width = column.width
            if column.key == "phone":
                # Text cells, or Excel shows long numbers as 1.38E+10.
                for row in range(2, 502):
                    ws.cell(row=row, column=index).number_format = "@"
        ws.freeze_panes = "A2"
    _add_list(wb[TEACHER_SHEET], "D", ("是", "否"), "骨干教师", "请选择“是”或“否”")
    _add_list(wb[CHILD_SHEET], "B", tuple(g.value for g in Grade), "年级", "请从列表中选择年级")
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _add_list(ws, letter: str, values: tuple[str, ...], title: str, prompt: str) -> None:
    dv = DataValidation(
        type="list", formula1='"' + ",".join(values) + '"', allow_blank=True, showDropDown=False
    )
    dv.error, dv.errorTitle = f"只能填写：{'、'.join(values)}", f"{title}无效"
    dv.prompt, dv.promptTitle = prompt, title
    dv.showErrorMessage = True
    dv.showInputMessage = True
    ws.add_data_validation(dv)
    dv.add(f"{letter}2:{letter}{MAX_ROWS + 1}")


def template_filename(kindergarten_name: str) -> str:
    """The download name of a kindergarten's template."""
    return f"{kindergarten_name}花名册导入模板.xlsx"


async def template_for(*, principal: Principal, kindergarten_id: int) -> tuple[bytes, str]:
    """The template workbook and its Chinese file name, for a director of the kindergarten."""
    await ensure_directs_kindergarten(principal=principal, kindergarten_id=kindergarten_id)
    kg = await Kindergarten.get(id=kindergarten_id)
    return await asyncio.to_thread(build_template), template_filename(kg.name)
