"""A summary rendered three ways: chart image (Pillow, Chinese labels), WeCom markdown, bot text.

All three read the stored summary data only, so they always agree with the page.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from server.common.fonts import cjk_font

#: The chart's size in pixels (WeCom shows images up to 2 MB; this stays far below).
CHART_SIZE = (1000, 720)
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


def _panel_title(draw: ImageDraw.ImageDraw, x: int, y: int, text: str) -> None:
    draw.text((x, y), text, font=cjk_font(24, bold=True), fill=INK)


def _targets_panel(draw: ImageDraw.ImageDraw, data: dict, box: tuple[int, int, int, int]) -> None:
    x0, y0, x1, _ = box
    _panel_title(draw, x0, y0, f"{data['semester']} 目标进度")
    items = data["targets"]["items"][:6]
    font = cjk_font(18)
    if not items:
        draw.text((x0, y0 + 50), "暂无需跟踪的目标", font=font, fill=GREY)
        return
    label_w, bar_x = 130, x0 + 140
    bar_w = x1 - bar_x - 10
    for n, m in enumerate(items):
        y = y0 + 50 + n * 62
        draw.text((x0, y + 4), _fit(draw, m["label"], font, label_w), font=font, fill=INK)
        draw.rounded_rectangle((bar_x, y, bar_x + bar_w, y + 24), radius=6, fill=LIGHT)
        rate = min(1.0, (m["done"] or 0) / m["target"]) if m["target"] else 0.0
        colour = STATUS_COLOURS.get(m["status"], BAR)
        if rate > 0:
            draw.rounded_rectangle(
                (bar_x, y, bar_x + max(12, int(bar_w * rate)), y + 24), radius=6, fill=colour
            )
        note = f"{_number(m['done'])}/{_number(m['target'])} {m['unit']} · {m['status_label']}"
        draw.text((bar_x, y + 28), note, font=cjk_font(15), fill=colour)


def _kinds_panel(draw: ImageDraw.ImageDraw, data: dict, box: tuple[int, int, int, int]) -> None:
    x0, y0, x1, _ = box
    _panel_title(draw, x0, y0, "本期活动类型")
    kinds = data["happened"]["by_kind"][:7]
    font = cjk_font(18)
    if not kinds:
        draw.text((x0, y0 + 50), "本期没有已开展的活动", font=font, fill=GREY)
        return
    top = max(k["count"] for k in kinds)
    bar_x = x0 + 130
    bar_w = x1 - bar_x - 50
    for n, k in enumerate(kinds):
        y = y0 + 50 + n * 52
        draw.text((x0, y), _fit(draw, k["kind"], font, 120), font=font, fill=INK)
        width = max(8, int(bar_w * k["count"] / top))
        draw.rounded_rectangle((bar_x, y, bar_x + width, y + 24), radius=6, fill=BAR)
        draw.text((bar_x + width + 8, y), str(k["count"]), font=font, fill=INK)


def chart_png(data: dict) -> bytes:
    """The summary as a PNG chart: key numbers, targets progress, activities by kind."""
    width, height = CHART_SIZE
    image = Image.new("RGB", CHART_SIZE, (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, 96), fill=(41, 98, 186))
    draw.text(
        (36, 14),
        _fit(draw, title_of(data), cjk_font(34, bold=True), width - 72),
        font=cjk_font(34, bold=True),
        fill=(255, 255, 255),
    )
    draw.text((36, 60), data["period_label"], font=cjk_font(20), fill=(220, 230, 250))
    for n, (label, value) in enumerate(key_numbers(data)):
        x = 36 + n * 235
        draw.rounded_rectangle((x, 116, x + 215, 196), radius=10, fill=(243, 246, 251))
        draw.text((x + 16, 124), label, font=cjk_font(18), fill=GREY)
        draw.text((x + 16, 152), value, font=cjk_font(28, bold=True), fill=INK)
    _targets_panel(draw, data, (36, 222, 520, 660))
    _kinds_panel(draw, data, (560, 222, width - 36, 660))
    alerts = data["alerts"]
    footer = (
        f"进度预警 {alerts['count']} 条（{alerts['pairings']} 个结对）  ·  "
        f"家长满意度 {_stars(data['satisfaction']['semester'])}"
    )
    draw.line((36, height - 52, width - 36, height - 52), fill=LIGHT, width=2)
    draw.text((36, height - 40), footer, font=cjk_font(18), fill=INK)
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
