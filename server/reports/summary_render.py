"""A summary rendered three ways: chart image (Pillow, Chinese labels), WeCom markdown, bot text.

All three read the stored summary data only, so they always agree with the page.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from server.common.fonts import cjk_font

#: The chart's size in pixels: portrait, twice a phone's width. The summary page shows it the
#: screen's width (375 px on most phones), so every font below is at least 24 px here to be
#: 12 px there; WeCom shows images up to 2 MB and this stays far below.
CHART_SIZE = (750, 1500)
#: The smallest font drawn on the chart (tests/reports/test_summary_chart.py measures it).
CHART_MIN_FONT = 24
#: WeCom markdown content limit, in UTF-8 bytes.
MARKDOWN_LIMIT = 4096

STATUS_COLOURS = {
    "met": (46, 160, 67),
    "on_track": (52, 120, 246),
    "at_risk": (230, 145, 30),
    "missed": (214, 60, 60),
}
WECOM_COLOURS = {"met": "info", "on_track": "info", "at_risk": "warning", "missed": "warning"}
INK, GREY, LIGHT, BAR = (33, 37, 41), (110, 117, 125), (236, 239, 243), (88, 132, 214)


def _number(value: float | int | None) -> str:
    if value is None:
        return "—"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)}%"


def _stars(found: dict | None) -> str:
    if not found or found.get("average") is None:
        return "暂无评价"
    return f"{found['average']:.1f} 分（{found['count']} 份评价）"


def title_of(data: dict) -> str:
    """e.g. 湘江县 工作周报."""
    return f"{data['scope']['name']} {data['kind_label']}"


def key_numbers(data: dict) -> list[tuple[str, str]]:
    """(label, value) of the figures every rendering leads with."""
    h = data["happened"]
    return [
        ("开展活动", f"{h['activities']} 场"),
        ("签到", f"{h['checkins']} 人次"),
        ("送教课时", f"{_number(h['send_hours'])} 课时"),
        ("覆盖教师", f"{h['teachers_reached']} 人"),
    ]


# ---- chart -------------------------------------------------------------------------------


def _fit(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> str:
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…"


MARGIN = 36
#: Rows each panel has room for (the chart's height is fixed).
TARGET_ROWS, KIND_ROWS = 6, 7


def _panel_title(draw: ImageDraw.ImageDraw, y: int, text: str) -> None:
    draw.text((MARGIN, y), text, font=cjk_font(32, bold=True), fill=INK)


def _targets_panel(draw: ImageDraw.ImageDraw, data: dict, top: int) -> None:
    """A row per target: its name, done/target and state on one line, the bar below."""
    width = CHART_SIZE[0]
    _panel_title(draw, top, f"{data['semester']} 目标进度")
    items = data["targets"]["items"][:TARGET_ROWS]
    label_font, note_font = cjk_font(26), cjk_font(CHART_MIN_FONT)
    if not items:
        draw.text((MARGIN, top + 56), "暂无需跟踪的目标", font=label_font, fill=GREY)
        return
    bar_w = width - 2 * MARGIN
    for n, m in enumerate(items):
        y = top + 56 + n * 84
        colour = STATUS_COLOURS.get(m["status"], BAR)
        note = f"{_number(m['done'])}/{_number(m['target'])} {m['unit']} · {m['status_label']}"
        note_w = int(draw.textlength(note, font=note_font))
        draw.text((width - MARGIN - note_w, y + 2), note, font=note_font, fill=colour)
        label = _fit(draw, m["label"], label_font, bar_w - note_w - 16)
        draw.text((MARGIN, y), label, font=label_font, fill=INK)
        draw.rounded_rectangle((MARGIN, y + 40, MARGIN + bar_w, y + 62), radius=8, fill=LIGHT)
        rate = min(1.0, (m["done"] or 0) / m["target"]) if m["target"] else 0.0
        if rate > 0:
            right = MARGIN + max(16, int(bar_w * rate))
            draw.rounded_rectangle((MARGIN, y + 40, right, y + 62), radius=8, fill=colour)


def _kinds_panel(draw: ImageDraw.ImageDraw, data: dict, top: int) -> None:
    """A bar per activity kind, longest for the most held."""
    width = CHART_SIZE[0]
    _panel_title(draw, top, "本期活动类型")
    kinds = data["happened"]["by_kind"][:KIND_ROWS]
    font = cjk_font(26)
    if not kinds:
        draw.text((MARGIN, top + 56), "本期没有已开展的活动", font=font, fill=GREY)
        return
    most = max(k["count"] for k in kinds)
    bar_x = MARGIN + 200
    bar_w = width - MARGIN - 70 - bar_x
    for n, k in enumerate(kinds):
        y = top + 56 + n * 50
        draw.text((MARGIN, y), _fit(draw, k["kind"], font, 188), font=font, fill=INK)
        length = max(10, int(bar_w * k["count"] / most))
        draw.rounded_rectangle((bar_x, y + 4, bar_x + length, y + 32), radius=8, fill=BAR)
        draw.text((bar_x + length + 12, y), str(k["count"]), font=font, fill=INK)


def chart_png(data: dict) -> bytes:
    """The summary as a PNG chart: key numbers, targets progress, activities by kind."""
    width, height = CHART_SIZE
    image = Image.new("RGB", CHART_SIZE, (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, 140), fill=(41, 98, 186))
    title_font = cjk_font(44, bold=True)
    title = _fit(draw, title_of(data), title_font, width - 2 * MARGIN)
    draw.text((MARGIN, 22), title, font=title_font, fill=(255, 255, 255))
    draw.text((MARGIN, 86), data["period_label"], font=cjk_font(28), fill=(220, 230, 250))
    card_w = (width - 2 * MARGIN - 24) // 2
    for n, (label, value) in enumerate(key_numbers(data)):
        x, y = MARGIN + (n % 2) * (card_w + 24), 164 + (n // 2) * 120
        draw.rounded_rectangle((x, y, x + card_w, y + 100), radius=12, fill=(243, 246, 251))
        draw.text((x + 20, y + 10), label, font=cjk_font(26), fill=GREY)
        draw.text((x + 20, y + 44), value, font=cjk_font(40, bold=True), fill=INK)
    targets_top = 412
    _targets_panel(draw, data, targets_top)
    kinds_top = targets_top + 56 + TARGET_ROWS * 84 + 24
    _kinds_panel(draw, data, kinds_top)
    alerts = data["alerts"]
    footer_top = kinds_top + 56 + KIND_ROWS * 50 + 16
    draw.line((MARGIN, footer_top, width - MARGIN, footer_top), fill=LIGHT, width=2)
    footer = cjk_font(CHART_MIN_FONT)
    draw.text(
        (MARGIN, footer_top + 14),
        f"进度预警 {alerts['count']} 条（{alerts['pairings']} 个结对）",
        font=footer,
        fill=INK,
    )
    stars = f"家长满意度 {_stars(data['satisfaction']['semester'])}"
    draw.text((MARGIN, footer_top + 48), stars, font=footer, fill=INK)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


# ---- markdown (WeCom) --------------------------------------------------------------------


def _fits(lines: list[str], limit: int) -> bool:
    return len("\n".join(lines).encode()) <= limit


def markdown(data: dict, *, limit: int = MARKDOWN_LIMIT) -> str:
    """WeCom markdown within `limit` bytes: alert and ranking lines are dropped to fit."""
    h = data["happened"]
    head = [
        f"## {title_of(data)}",
        f"> {data['period_label']}",
        "",
        "**本期工作**",
        *(f'> {label}：<font color="info">{value}</font>' for label, value in key_numbers(data)),
        f"> 参训学时：{_number(h['attendee_hours'])}　出勤率：{_percent(h['attendance_rate'])}",
        f"> 公众号推文：{h.get('posts_published', 0)} 篇",
    ]
    books = h.get("ledger")  # summaries stored before the ledger existed have none
    if books:
        head.append(
            f"> 捐赠物资：{books['donated_value']} 元"
            f"（已确认 {books['donated_confirmed_value']} 元）　经费支出：{books['spent']} 元"
        )
    kinds = "、".join(f"{k['kind']} {k['count']}" for k in h["by_kind"][:8])
    if kinds:
        head.append(f"> 活动类型：{kinds}")
    head += ["", f"**{data['semester']} 目标进度**（完成度 {_percent(data['targets']['score'])}）"]
    for m in data["targets"]["items"]:
        colour = WECOM_COLOURS.get(m["status"], "comment")
        head.append(
            f"> {m['label']}：{_number(m['done'])}/{_number(m['target'])} {m['unit']} "
            f'<font color="{colour}">{m["status_label"]}</font>'
        )
    stars = data["satisfaction"]
    tail = [
        "",
        f"**家长满意度**：本期 {_stars(stars['period'])}；本学期 {_stars(stars['semester'])}",
        "详情请在「送教通」小程序「工作简报」中查看。",
    ]
    alerts = data["alerts"]
    middle = ["", f"**进度预警**（{alerts['count']} 条）"]
    middle += [f'> <font color="warning">{a["message"]}</font>' for a in alerts["items"]] or [
        "> 暂无进度落后的结对"
    ]
    ranking = data["ranking"]
    ranked = [f"**{ranking['by_label']}排名**（共 {ranking['total']} 个）"] + [
        f"> {r['rank'] or '—'}. {r['name']}　{_percent(r['score'])}" for r in ranking["items"]
    ]
    lines = head
    for block in (middle, ["", *ranked]):
        kept: list[str] = []
        for line in block:
            if not _fits([*lines, *kept, line, "> ……", *tail], limit):
                kept.append("> ……")
                break
            kept.append(line)
        lines = [*lines, *kept]
    text = "\n".join([*lines, *tail])
    if len(text.encode()) > limit:  # only with absurd names: cut, never overflow
        text = text.encode()[: limit - 3].decode(errors="ignore") + "…"
    return text


# ---- text (公众号 reply) -----------------------------------------------------------------


def text_lines(data: dict) -> list[str]:
    """The key numbers as plain lines for the 公众号 bot."""
    lines = [f"{title_of(data)}（{data['period_label']}）"]
    lines.append("；".join(f"{label} {value}" for label, value in key_numbers(data)))
    score = _percent(data["targets"]["score"])
    behind = [m for m in data["targets"]["items"] if m["status"] in ("at_risk", "missed")]
    lines.append(
        f"{data['semester']} 目标完成度 {score}"
        + (f"，落后 {len(behind)} 项：" + "、".join(m["label"] for m in behind) if behind else "")
    )
    alerts = data["alerts"]
    lines.append(f"进度预警 {alerts['count']} 条（{alerts['pairings']} 个结对）")
    lines.append(f"家长满意度：{_stars(data['satisfaction']['semester'])}")
    return lines
