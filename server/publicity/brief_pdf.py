"""Draw a 简报 as a PDF: Chinese text in an embedded CJK font, photos, numbers, a footer.

fpdf2 embeds a subset of the installed Noto CJK font (the face fontconfig names for
simplified Chinese), so the text stays text: searchable, copyable, never boxes.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from fpdf import FPDF
from PIL import Image

from server.common.fonts import cjk_font_spec

PAGE_WIDTH_MM = 210
MARGIN_MM = 18
#: Photos are scaled to at most this many pixels wide before embedding (keeps files small).
PHOTO_PIXELS = 1200
#: Photos are at most this high on the page (a 3:2 photo across the page is 116 mm).
PHOTO_MAX_MM = 95
_TEXT_TAGS = {"p", "li", "blockquote", "section"}
_HEADING_TAGS = {"h1", "h2", "h3", "h4"}
#: Marks the end of an inline figure while reading; printed as an ideographic space.
_GAP = "\x1f"
#: Marks a <br> while reading (source newlines are mere spaces, as in HTML).
_BREAK = "\x1e"
_SPACES = re.compile(r"[ \t\r\n\f]+")


@dataclass
class Block:
    """One piece of a 简报: a heading, a paragraph, a photo (with caption) or a figure line."""

    kind: str  #: "heading", "text", "quote", "photo", "figures", "byline"
    text: str = ""
    image: bytes | None = None
    figures: list[tuple[str, str]] = field(default_factory=list)
    #: A photo's width as a share of the text width (a semester 简报 shows smaller ones).
    scale: float = 1.0


@dataclass
class Brief:
    """A whole 简报: its title, the line under it, blocks, and the footer."""

    title: str
    subtitle: str
    blocks: list[Block]
    footer: str


class _Reader(HTMLParser):
    """Post HTML to blocks: text of paragraphs and headings, image sources in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, str]] = []
        self._kind: str | None = None
        self._text: list[str] = []

    def _flush(self) -> None:
        text = "".join(self._text)
        # Spaces collapse as in HTML (ASCII whitespace only: a 全角 space stays); a <br>
        # stays a line break; figures get a gap.
        lines = []
        for line in text.split(_BREAK):
            parts = (_SPACES.sub(" ", part).strip(" ") for part in line.split(_GAP))
            lines.append("　".join(part for part in parts if part))
        text = "\n".join(line for line in lines if line)
        if self._kind and text:
            self.blocks.append((self._kind, text))
        self._kind, self._text = None, []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HEADING_TAGS or tag in _TEXT_TAGS:
            self._flush()
            self._kind = "heading" if tag in _HEADING_TAGS else "text"
            if tag == "blockquote":
                self._kind = "quote"
        elif tag == "img":
            self._flush()
            src = dict(attrs).get("src") or ""
            if src:
                self.blocks.append(("img", src))
        elif tag == "br":
            self._text.append(_BREAK)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HEADING_TAGS or tag in _TEXT_TAGS:
            self._flush()
        elif tag == "span":
            # The post's figures are inline spans ("23 名教师参加" "2 位教师授课"); on paper
            # they need a gap, not "23 名教师参加2 位教师授课".
            self._text.append(_GAP)

    def handle_data(self, data: str) -> None:
        if self._kind is None and data.strip():
            self._kind = "text"
        self._text.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


def read_post_html(html: str) -> list[tuple[str, str]]:
    """(kind, text or image src) pairs of a post's body, in reading order."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.blocks


def _photo_for_pdf(data: bytes) -> io.BytesIO | None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            rgb = image.convert("RGB")
    except Exception:  # noqa: BLE001 - an unreadable photo is left out, the 简报 still renders
        return None
    if rgb.width > PHOTO_PIXELS:
        rgb = rgb.resize((PHOTO_PIXELS, round(rgb.height * PHOTO_PIXELS / rgb.width)))
    out = io.BytesIO()
    rgb.save(out, "JPEG", quality=82)
    out.seek(0)
    return out


#: Every paragraph starts again at the left margin, on the next line.
_NEXT = {"new_x": "LMARGIN", "new_y": "NEXT"}


class _Pdf(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("cjk", size=8)
        self.set_text_color(120, 120, 120)
        self.cell(0, 6, f"{self.footer_text}　第 {self.page_no()} 页", align="C")


def render_brief(brief: Brief) -> bytes:
    """The 简报 as PDF bytes (A4, Chinese text embedded)."""
    path, index = cjk_font_spec()
    pdf = _Pdf(format="A4")
    pdf.footer_text = brief.footer
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_font("cjk", "", path, collection_font_number=index)
    pdf.add_page()
    width = PAGE_WIDTH_MM - 2 * MARGIN_MM
    pdf.set_font("cjk", size=18)
    pdf.set_text_color(20, 20, 20)
    pdf.multi_cell(width, 9, brief.title, align="C", **_NEXT)
    pdf.set_font("cjk", size=10)
    pdf.set_text_color(110, 110, 110)
    pdf.multi_cell(width, 6, brief.subtitle, align="C", **_NEXT)
    pdf.ln(4)
    for block in brief.blocks:
        _draw(pdf, block, width)
    return bytes(pdf.output())


def _quoted(text: str) -> str:
    """A quote in Chinese quote marks, once: the post's quote carries its own already."""
    return text if text.startswith("“") else f"“{text}”"


#: A heading with less room than this below it starts the next page (no orphan headings).
HEADING_ROOM_MM = 45


def _draw(pdf: _Pdf, block: Block, width: float) -> None:
    if block.kind == "heading":
        if pdf.get_y() > pdf.page_break_trigger - HEADING_ROOM_MM:
            pdf.add_page()
        pdf.ln(2)
        pdf.set_font("cjk", size=13)
        pdf.set_text_color(25, 94, 60)
        pdf.multi_cell(width, 7, block.text, **_NEXT)
        pdf.ln(1)
    elif block.kind in ("text", "quote"):
        pdf.set_font("cjk", size=11)
        pdf.set_text_color(90, 90, 90) if block.kind == "quote" else pdf.set_text_color(30, 30, 30)
        text = _quoted(block.text) if block.kind == "quote" else block.text
        if block.kind == "quote":
            # A quote and its source stay on one page.
            lines = pdf.multi_cell(width, 6.5, text, dry_run=True, output="LINES")
            if pdf.get_y() + len(lines) * 6.5 > pdf.page_break_trigger:
                pdf.add_page()
        pdf.multi_cell(width, 6.5, text, **_NEXT)
        pdf.ln(1.5)
    elif block.kind == "byline":
        pdf.ln(2)
        pdf.set_font("cjk", size=9)
        pdf.set_text_color(110, 110, 110)
        pdf.multi_cell(width, 5, block.text, align="R", **_NEXT)
    elif block.kind == "figures":
        pdf.set_font("cjk", size=11)
        pdf.set_text_color(30, 30, 30)
        for name, value in block.figures:
            pdf.cell(width * 0.6, 7, name, border="B")
            pdf.cell(width * 0.4, 7, value, border="B", align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    elif block.kind == "photo" and block.image:
        photo = _photo_for_pdf(block.image)
        if photo is not None:
            with Image.open(photo) as probe:
                ratio = probe.height / probe.width
            photo.seek(0)
            # A tall (or large) photo would take a page to itself: at most PHOTO_MAX_MM high.
            shown = min(width * block.scale, PHOTO_MAX_MM / ratio)
            pdf.image(photo, x=pdf.l_margin + (width - shown) / 2, w=shown)
        if block.text:
            pdf.set_font("cjk", size=9)
            pdf.set_text_color(110, 110, 110)
            pdf.multi_cell(width, 5, block.text, align="C", **_NEXT)
        pdf.ln(2)
