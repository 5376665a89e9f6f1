"""Draw a 公示 as a PDF: tables of donations and funds in an embedded CJK font.

fpdf2 embeds a subset of the CJK font fontconfig finds (server/common/fonts.py), as the
简报 does, so figures and names stay text (the tests read them back). Cells wrap by
character (Chinese has no spaces to break at).
"""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import WrapMode
from fpdf.fonts import FontFace

from server.common.fonts import cjk_font_spec

MARGIN_MM = 15
HEADING = FontFace(emphasis="", fill_color=(232, 242, 236), color=(20, 60, 40))
_NEXT = {"new_x": "LMARGIN", "new_y": "NEXT"}
#: A section heading with less room than this below it starts the next page.
HEADING_ROOM_MM = 40


class _Pdf(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("cjk", size=8)
        self.set_text_color(120, 120, 120)
        self.cell(0, 6, f"{self.footer_text}　第 {self.page_no()} 页", align="C")


def _heading(pdf: _Pdf, text: str) -> None:
    if pdf.get_y() > pdf.page_break_trigger - HEADING_ROOM_MM:
        pdf.add_page()
    pdf.ln(3)
    pdf.set_font("cjk", size=12.5)
    pdf.set_text_color(25, 94, 60)
    pdf.cell(0, 8, text, **_NEXT)
    pdf.set_font("cjk", size=9)
    pdf.set_text_color(30, 30, 30)


def _table(
    pdf: _Pdf,
    headings: list[str],
    widths: list[float],
    rows: list[list[str]],
    *,
    right: set[int] = frozenset(),
) -> None:
    with pdf.table(
        col_widths=widths,
        width=sum(widths),
        align="LEFT",
        text_align=tuple("RIGHT" if i in right else "LEFT" for i in range(len(widths))),
        headings_style=HEADING,
        line_height=5,
        padding=1.2,
        wrapmode=WrapMode.CHAR,
        borders_layout="HORIZONTAL_LINES",
    ) as table:
        head = table.row()
        for text in headings:
            head.cell(text)
        for values in rows:
            row = table.row()
            for text in values:
                row.cell(text)


def _people(line: dict) -> str:
    parts = [f"经办：{line['recorded_by']}" if line["recorded_by"] else ""]
    if line["confirmed_by"]:
        parts.append(f"确认：{line['confirmed_by']}")
    return "\n".join(p for p in parts if p)


def _purpose(line: dict, kind: str) -> str:
    """The purpose; in an alliance's books also the two kindergartens the line is between."""
    if kind != "alliance":
        return line["purpose"]
    return f"{line['purpose']}\n（{line['recorder']}—{line['counterpart']}）"


def render_disclosure(data: dict) -> bytes:
    """The 公示 as PDF bytes (A4, Chinese text embedded)."""
    path, index = cjk_font_spec()
    pdf = _Pdf(format="A4")
    pdf.footer_text = f"送教通 · {data['unit']['name']} · {data['period']['label']}捐赠与经费公示"
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_font("cjk", "", path, collection_font_number=index)
    pdf.add_page()
    width = pdf.epw
    pdf.set_font("cjk", size=16)
    pdf.set_text_color(20, 20, 20)
    for line in data["title_lines"]:
        pdf.multi_cell(width, 8, line, align="C", **_NEXT)
    pdf.set_font("cjk", size=9.5)
    pdf.set_text_color(100, 100, 100)
    period = data["period"]
    pdf.multi_cell(
        width,
        5.5,
        f"公示期间：{period['first']} 至 {period['last']}　　数据截至：{data['generated_at']}",
        align="C",
        **_NEXT,
    )
    members = "；".join(f"{p['role']}：{p['name']}" for p in data["parties"])
    pdf.multi_cell(width, 5.5, members, align="C", **_NEXT)
    printed = data["printed"]
    d_totals, f_totals = data["donation_totals"], data["fund_totals"]

    _heading(pdf, "一、汇总")
    _table(
        pdf,
        ["项目", "合计（元）", "其中已确认（元）", "笔数"],
        [62, 40, 40, width - 142],
        [
            [
                "捐赠物资估值",
                printed["donated"],
                printed["donated_confirmed"],
                str(d_totals["count"]),
            ],
            [
                "经费拨付",
                printed["allocated"],
                printed["allocated_confirmed"],
                str(sum(1 for f in data["funds"] if f["direction"] == "allocated")),
            ],
            [
                "经费支出",
                printed["spent"],
                printed["spent_confirmed"],
                str(sum(1 for f in data["funds"] if f["direction"] == "spent")),
            ],
            ["经费结余（拨付−支出）", printed["balance"], "", ""],
        ],
        right={1, 2, 3},
    )
    pending = d_totals["pending_count"] + f_totals["pending_count"]
    if pending:
        pdf.ln(1)
        pdf.set_text_color(150, 90, 0)
        pdf.multi_cell(
            width, 5, f"另有 {pending} 笔记录尚待对方确认，已计入合计，未计入“已确认”。", **_NEXT
        )
        pdf.set_text_color(30, 30, 30)

    _heading(pdf, "二、捐赠物资")
    if data["donations"]:
        _table(
            pdf,
            ["日期", "捐赠方 → 接收方", "物品", "估值（元）", "接收确认", "负责人"],
            [20, 34, width - 20 - 34 - 22 - 28 - 26, 22, 28, 26],
            [
                [
                    d["date"],
                    f"{d['donor']} → {d['recipient']}",
                    d["items"],
                    d["value"],
                    d["state_label"],
                    _people(d),
                ]
                for d in data["donations"]
            ],
            right={3},
        )
    else:
        pdf.multi_cell(width, 6, "本期无捐赠记录。", **_NEXT)

    _heading(pdf, "三、经费收支（按类别）")
    if f_totals["by_category"]:
        _table(
            pdf,
            ["类别", "拨付（元）", "支出（元）"],
            [50, 45, 45],
            [[c["category"], c["allocated"], c["spent"]] for c in printed["categories"]]
            + [["合计", printed["allocated"], printed["spent"]]],
            right={1, 2},
        )
        _heading(pdf, "四、经费收支明细")
        _table(
            pdf,
            ["日期", "收支", "类别", "用途", "金额（元）", "票据", "状态", "负责人"],
            [20, 11, 17, width - 20 - 11 - 17 - 24 - 11 - 22 - 26, 24, 11, 22, 26],
            [
                [
                    f["date"],
                    f["direction_label"],
                    f["category"],
                    _purpose(f, data["unit"]["kind"]),
                    f["amount"],
                    f"{f['receipts']} 张" if f["receipts"] else "无",
                    f["state_label"],
                    _people(f),
                ]
                for f in data["funds"]
            ],
            right={4},
        )
    else:
        pdf.multi_cell(width, 6, "本期无经费收支记录。", **_NEXT)

    pdf.ln(3)
    pdf.set_font("cjk", size=8.5)
    pdf.set_text_color(110, 110, 110)
    pdf.multi_cell(width, 4.5, data["footer"], **_NEXT)
    return bytes(pdf.output())
