"""Draw 学时证明 as PDF pages: an official-looking A4 page per certificate.

fpdf2 embeds a subset of the installed CJK font (server/common/fonts.py), so every
Chinese word stays text; the QR code is drawn with qrcode and placed as an image.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass

import qrcode
from fpdf import FPDF
from fpdf.fonts import FontFace

from server.common.fonts import cjk_font_spec

PAGE_W, PAGE_H = 210, 297
MARGIN = 20
TEXT_W = PAGE_W - 2 * MARGIN
#: The seal red of official papers, for the frame and the title.
RED = (168, 28, 28)
INK = (25, 25, 25)
GREY = (105, 105, 105)
#: Height of the bottom block (QR code, issuer, date, note), drawn at the page's foot.
FOOT_H = 62
QR_MM = 32
#: Table type size and line height (mm), largest first.
TABLE_SIZES = ((9.5, 6.2), (8.5, 5.0), (7.5, 4.0))
ROLE_NAMES = {"presenter": "授课", "attendee": "参加"}
COLUMNS = (
    ("序号", 10),
    ("日期", 21),
    ("活动名称", 57),
    ("承办园", 38),
    ("类别", 19),
    ("角色", 11),
    ("学时", 14),
)


@dataclass(frozen=True)
class CertificateDoc:
    """What one certificate page prints."""

    number: str
    holder: str
    kindergarten: str
    period_label: str  #: 2026秋季学期 or 2026年度
    period_span: str  #: 2026年8月1日至2027年1月31日
    lines: list[dict]  #: date, title, kind, host, role, hours
    issuer: str
    issued_on: str  #: 2026年12月8日
    verify_url: str

    @property
    def total(self) -> float:
        """All hours on it."""
        return sum(line["hours"] for line in self.lines)

    def hours_of(self, role: str) -> float:
        """Its hours in one role."""
        return sum(line["hours"] for line in self.lines if line["role"] == role)


#: Runs that must not be split across lines (numbers, dates in digits, Latin words).
_TOKENS = re.compile(r"[0-9A-Za-z.:/_-]+|.", re.S)
#: Punctuation that may not begin a line (禁则): it stays at the end of the line before.
_NO_LINE_START = set("，。、；：？！）》」』”’%")


def wrap_lines(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """Chinese text broken into lines of at most `width` (as `measure` counts): between any
    two characters, but never inside a number, and never before closing punctuation."""
    lines, line = [], ""
    for token in _TOKENS.findall(text):
        if line and measure(line + token) > width and token not in _NO_LINE_START:
            lines.append(line.rstrip(" "))
            line = token.lstrip(" ")
        else:
            line += token
    if line:
        lines.append(line)
    return lines


def hours_text(value: float) -> str:
    """1.5 → "1.5", 2.0 → "2"."""
    return f"{value:g}"


def qr_png(text: str) -> bytes:
    """A QR code of `text` as a PNG (error correction M, two modules of quiet zone)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2, box_size=10)
    code.add_data(text)
    code.make(fit=True)
    image = code.make_image(fill_color="black", back_color="white").get_image().convert("L")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


class _Pdf(FPDF):
    def header(self) -> None:
        # Every page, continuation pages too, gets the double frame of an official paper.
        self.set_draw_color(*RED)
        self.set_line_width(0.9)
        self.rect(10, 10, PAGE_W - 20, PAGE_H - 20)
        self.set_line_width(0.3)
        self.rect(12.5, 12.5, PAGE_W - 25, PAGE_H - 25)
        self.set_draw_color(0, 0, 0)


class CertificateBook:
    """A PDF of certificates, one (or, for a very long ledger, more) page each."""

    def __init__(self) -> None:
        regular, index = cjk_font_spec()
        bold, bold_index = cjk_font_spec(bold=True)
        self.pdf = _Pdf(format="A4")
        self.pdf.set_margins(MARGIN, MARGIN, MARGIN)
        self.pdf.set_auto_page_break(True, margin=MARGIN)
        self.pdf.add_font("cjk", "", regular, collection_font_number=index)
        self.pdf.add_font("cjk", "B", bold, collection_font_number=bold_index)
        self.pdf.set_title("学时证明")
        self.pdf.set_creator("送教通")
        self.pages = 0

    def add(self, doc: CertificateDoc) -> None:
        """Draw one certificate from a new page."""
        pdf = self.pdf
        pdf.add_page()
        self.pages += 1
        pdf.set_y(24)
        pdf.set_text_color(*RED)
        pdf.set_font("cjk", "B", size=26)
        pdf.cell(TEXT_W, 14, "学 时 证 明", align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(*GREY)
        pdf.set_font("cjk", size=9)
        pdf.cell(TEXT_W, 6, f"编号：{doc.number}", align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(6)
        pdf.set_text_color(*INK)
        pdf.set_font("cjk", size=12)
        presenter, attendee = doc.hours_of("presenter"), doc.hours_of("attendee")
        parts = [f"授课 {hours_text(presenter)} 学时"] if presenter else []
        parts += [f"参加 {hours_text(attendee)} 学时"] if attendee else []
        text = (
            f"　　兹证明{doc.holder}老师（{doc.kindergarten}）在{doc.period_label}"
            f"（{doc.period_span}）参加结对帮扶与送教等教研培训活动，经核实共获得学时 "
            f"{hours_text(doc.total)} 学时（{'，'.join(parts)}）。明细如下："
        )
        for line in wrap_lines(text, TEXT_W, pdf.get_string_width):
            pdf.cell(TEXT_W, 8, line, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        self._table(doc)
        self._foot(doc)

    def _table(self, doc: CertificateDoc) -> None:
        # The largest type that leaves room for the foot on this page; a very long ledger
        # takes the smallest and runs on (the foot then follows on the next page).
        room = PAGE_H - MARGIN - FOOT_H - 2
        for size, height in TABLE_SIZES:
            with self.pdf.offset_rendering() as trial:
                _draw_table(trial, doc, size, height)
                end = trial.y  # read before the trial is rewound
            if not trial.page_break_triggered and end <= room:
                break
        _draw_table(self.pdf, doc, size, height)

    def _foot(self, doc: CertificateDoc) -> None:
        pdf = self.pdf
        top = PAGE_H - MARGIN - FOOT_H
        if pdf.get_y() > top - 2:
            pdf.add_page()
            self.pages += 1
        # The QR code, and how to use it.
        pdf.image(io.BytesIO(qr_png(doc.verify_url)), x=MARGIN + 2, y=top + 4, w=QR_MM, h=QR_MM)
        left = MARGIN + QR_MM + 6
        pdf.set_xy(left, top + 6)
        pdf.set_text_color(*INK)
        pdf.set_font("cjk", size=10)
        pdf.cell(60, 6, "扫描二维码核验本证明", new_x="LMARGIN", new_y="NEXT")
        pdf.set_x(left)
        pdf.set_text_color(*GREY)
        pdf.set_font("cjk", size=8)
        pdf.multi_cell(62, 4.2, "核验网址：" + doc.verify_url, new_x="LMARGIN", new_y="NEXT")
        # The issuing body and the date, where a seal and signature would go.
        pdf.set_text_color(*INK)
        pdf.set_font("cjk", size=12)
        right = MARGIN + TEXT_W
        pdf.set_xy(right - 72, top + 12)
        pdf.cell(72, 8, f"出具单位：{doc.issuer}", align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.set_xy(right - 72, top + 21)
        pdf.cell(72, 8, f"出具日期：{doc.issued_on}", align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.set_draw_color(*RED)
        pdf.set_line_width(0.3)
        pdf.line(MARGIN, top + QR_MM + 10, right, top + QR_MM + 10)
        pdf.set_xy(MARGIN, top + QR_MM + 12)
        pdf.set_text_color(*GREY)
        pdf.set_font("cjk", size=8)
        pdf.multi_cell(
            TEXT_W,
            4.2,
            "说明：本证明依据送教通的签到、授课记录生成，学时按活动课时计入（参加者在场不足活动时长一半的按比例计）。"
            "证明出具后如有学时被作废或更正，扫码核验将显示“已变更”及现学时合计，请以核验结果为准。",
            new_x="LMARGIN",
            new_y="NEXT",
        )

    def output(self) -> bytes:
        """The whole PDF."""
        return bytes(self.pdf.output())


def _draw_table(pdf: FPDF, doc: CertificateDoc, size: float, height: float) -> None:
    """The ledger lines as a table with a total row, in `size` pt type."""
    pdf.set_font("cjk", size=size)
    pdf.set_text_color(*INK)
    pdf.set_draw_color(90, 90, 90)
    pdf.set_line_width(0.2)
    with pdf.table(
        col_widths=[w for _, w in COLUMNS],
        width=TEXT_W,
        line_height=height,
        text_align=("CENTER", "CENTER", "LEFT", "LEFT", "CENTER", "CENTER", "RIGHT"),
        headings_style=FontFace(emphasis="BOLD", fill_color=(246, 236, 236)),
        first_row_as_headings=True,
    ) as table:
        heading = table.row()
        for name, _ in COLUMNS:
            heading.cell(name, align="CENTER")
        for number, line in enumerate(doc.lines, start=1):
            row = table.row()
            row.cell(str(number))
            row.cell(line["date"])
            row.cell(line["title"])
            row.cell(line["host"])
            row.cell(line["kind"])
            row.cell(ROLE_NAMES.get(line["role"], line["role"]))
            row.cell(hours_text(line["hours"]))
        total = table.row()
        total.cell("合计", colspan=len(COLUMNS) - 1, align="RIGHT")
        total.cell(hours_text(doc.total))


def render_certificates(docs: list[CertificateDoc]) -> bytes:
    """Certificates as one PDF, one page each."""
    book = CertificateBook()
    for doc in docs:
        book.add(doc)
    return book.output()
