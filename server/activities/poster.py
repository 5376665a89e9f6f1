"""Check-in code images and the printable activity poster.

The code is the mini-program code from getwxacodeunlimit; when no mini-program is
configured (empty appid) or WeChat refuses, a plain QR code of
`<public base URL>/checkin?scene=<scene>` stands in (a WeChat "scan a plain link to open
the mini-program" rule can point that URL at the check-in page). Posters are cached on
disk under data_dir/posters, keyed by activity id and code, version and how the code
was made.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import qrcode
from PIL import Image, ImageDraw, ImageFont
from redis.exceptions import RedisError

from server.activities import access
from server.activities.codes import static_scene
from server.activities.models import Activity, ActivityKind, ActivityStatus
from server.common.auth import Principal
from server.common.fonts import cjk_font
from server.common.miniprogram_pages import CHECKIN
from server.common.time import china
from server.settings import Settings
from server.wechat.client import WeChatClient
from server.wechat.errors import WeChatError

log = logging.getLogger("songjiao.activities")

#: A4 at 150 dpi.
POSTER_SIZE = (1240, 1754)
POSTER_DPI = (150, 150)
MARGIN = 90
BAND_HEIGHT = 210
#: Where the title is drawn (left, top, right, bottom); tests look for ink here.
TITLE_AREA = (MARGIN, 250, POSTER_SIZE[0] - MARGIN, 540)
INFO_TOP = 575
CODE_TOP = 890
CODE_SIZE = 600
INK = (33, 37, 41)
MUTED = (108, 117, 125)
ACCENT = (14, 110, 96)
WARN = (200, 35, 35)
WEEKDAYS = "一二三四五六日"
#: Characters that must not start a line.
NO_LINE_START = set("，。、；：！？）》」』”’,.;:!?)")
#: Characters that must not end a line.
NO_LINE_END = set("（《「『“‘(")


@dataclass(frozen=True)
class PosterInfo:
    """What a poster shows."""

    title: str
    kind: str
    starts_at: datetime
    ends_at: datetime
    opens_at: datetime
    closes_at: datetime
    address: str
    host_name: str
    code: str
    cancelled: bool = False


# ---- text ---------------------------------------------------------------------------------


def _day(moment: datetime, *, year: bool = True) -> str:
    text = f"{moment.month}月{moment.day}日（周{WEEKDAYS[moment.weekday()]}）"
    return f"{moment.year}年{text}" if year else text


def time_range_text(starts: datetime, ends: datetime) -> str:
    """China time, e.g. 2026年11月25日（周三）09:00–11:30."""
    a, b = china(starts), china(ends)
    if a.date() == b.date():
        return f"{_day(a)} {a:%H:%M}–{b:%H:%M}"
    return f"{_day(a)} {a:%H:%M} 至 {_day(b, year=a.year != b.year)} {b:%H:%M}"


def window_text(info: PosterInfo) -> str:
    """The check-in window; just the hours when it lies on the day the activity starts."""
    day = china(info.starts_at).date()
    a, b = china(info.opens_at), china(info.closes_at)
    if a.date() == day == b.date():
        return f"{a:%H:%M}–{b:%H:%M} 扫码签到"
    return time_range_text(info.opens_at, info.closes_at)


def wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Break text into lines no wider than `width` (any character may break in Chinese)."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for char in paragraph:
            if line and font.getlength(line + char) > width and char not in NO_LINE_START:
                carried = ""
                while len(line) > 1 and line[-1] in NO_LINE_END:
                    line, carried = line[:-1], line[-1] + carried
                lines.append(line)
                line = (carried + char).lstrip()
            else:
                line += char
        lines.append(line)
    return lines


def _clip(lines: list[str], font: ImageFont.FreeTypeFont, width: int, most: int) -> list[str]:
    if len(lines) <= most:
        return lines
    kept = lines[:most]
    last = kept[-1]
    while last and font.getlength(last + "…") > width:
        last = last[:-1]
    kept[-1] = last + "…"
    return kept


# ---- codes --------------------------------------------------------------------------------


def checkin_url(settings: Settings, scene: str) -> str:
    """The link a plain QR code carries when no mini-program code can be had."""
    base = (settings.public_base_url or settings.self_base_url).rstrip("/")
    return f"{base}/checkin?scene={quote(scene, safe='')}"


def plain_qr_png(text: str, width: int) -> bytes:
    """A square PNG of about `width` pixels holding a QR code of `text`."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    code.add_data(text)
    code.make(fit=True)
    code.box_size = max(2, width // (code.modules_count + 2 * code.border))
    image = code.make_image(fill_color="black", back_color="white").get_image().convert("L")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


async def code_image(
    *, scene: str, settings: Settings, wechat: WeChatClient, width: int
) -> tuple[bytes, str]:
    """(PNG, "wxa") of the mini-program code, or (PNG, "qr") of the fallback QR code."""
    if settings.wechat_appid:
        try:
            png = await wechat.get_unlimited_wxacode(scene=scene, page=CHECKIN.path, width=width)
            return png, "wxa"
        except (WeChatError, RedisError, OSError) as exc:
            log.warning(
                "mini-program code unavailable (%s %s); drawing a plain QR code instead",
                type(exc).__name__,
                getattr(exc, "errcode", ""),
            )
    url = checkin_url(settings, scene)
    return await asyncio.to_thread(plain_qr_png, url, width), "qr"


# ---- drawing ------------------------------------------------------------------------------


def _title_lines(title: str, width: int, height: int) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest bold size at which the title fits the title area (clipped at the end)."""
    for size in (84, 76, 68, 60, 52, 46):
        font = cjk_font(size, bold=True)
        lines = wrap(title, font, width)
        if len(lines) * int(size * 1.3) <= height:
            return font, lines
    font = cjk_font(46, bold=True)
    return font, _clip(wrap(title, font, width), font, width, height // int(46 * 1.3))


def render_poster(info: PosterInfo, code_png: bytes | None) -> bytes:
    """The A4 poster as PNG bytes: title, kind, time, venue, host, code, instruction."""
    width, height = POSTER_SIZE
    image = Image.new("RGB", POSTER_SIZE, "white")
    draw = ImageDraw.Draw(image)
    inner = width - 2 * MARGIN

    draw.rectangle((0, 0, width, BAND_HEIGHT), fill=ACCENT)
    draw.text((MARGIN, 48), info.host_name, font=cjk_font(38), fill="white")
    draw.text((MARGIN, 108), f"{info.kind} · 活动签到", font=cjk_font(56, bold=True), fill="white")

    left, top, right, bottom = TITLE_AREA
    font, lines = _title_lines(info.title, right - left, bottom - top)
    step = int(font.size * 1.3)
    y = top + max(0, (bottom - top - step * len(lines)) // 2)
    for line in lines:
        draw.text((left, y), line, font=font, fill=INK)
        y += step

    label_font, value_font = cjk_font(36, bold=True), cjk_font(36)
    label_width = int(label_font.getlength("时间")) + 30
    rows = [
        ("时间", time_range_text(info.starts_at, info.ends_at), 2),
        ("地点", info.address or "见活动通知", 2),
        ("签到", window_text(info), 1),
    ]
    y = INFO_TOP
    draw.line((MARGIN, y - 22, width - MARGIN, y - 22), fill=(222, 226, 230), width=2)
    for label, value, most in rows:
        value_lines = _clip(wrap(value, value_font, inner - label_width), value_font, inner, most)
        draw.text((MARGIN, y), label, font=label_font, fill=ACCENT)
        for line in value_lines:
            draw.text((MARGIN + label_width, y), line, font=value_font, fill=INK)
            y += 50
        y += 10

    box = ((width - CODE_SIZE) // 2, CODE_TOP)
    if code_png is not None:
        code = Image.open(io.BytesIO(code_png)).convert("RGB")
        code = code.resize((CODE_SIZE, CODE_SIZE), Image.Resampling.NEAREST)
        image.paste(code, box)
    draw.rounded_rectangle(
        (box[0] - 24, box[1] - 24, box[0] + CODE_SIZE + 24, box[1] + CODE_SIZE + 24),
        radius=24,
        outline=ACCENT,
        width=4,
    )
    if info.cancelled:
        banner = (MARGIN, CODE_TOP + CODE_SIZE // 2 - 90, width - MARGIN, CODE_TOP + 390)
        draw.rectangle(banner, fill=WARN)
        _centered(draw, "活动已取消", cjk_font(110, bold=True), banner, fill="white")

    y = CODE_TOP + CODE_SIZE + 60
    instruction = "活动已取消，请勿扫码" if info.cancelled else "微信扫码签到"
    _centered(draw, instruction, cjk_font(76, bold=True), (0, y, width, y + 100), fill=INK)
    footer = f"送教通 · 活动码 {info.code} · 请在签到时间内扫码"
    _centered(draw, footer, cjk_font(28), (0, height - 90, width, height - 40), fill=MUTED)

    out = io.BytesIO()
    image.save(out, format="PNG", dpi=POSTER_DPI, optimize=True)
    return out.getvalue()


def _centered(draw: ImageDraw.ImageDraw, text: str, font, box: tuple, *, fill) -> None:
    left, top, right, bottom = box
    x0, y0, x1, y1 = draw.textbbox((0, 0), text, font=font)
    x = left + (right - left - (x1 - x0)) // 2 - x0
    y = top + (bottom - top - (y1 - y0)) // 2 - y0
    draw.text((x, y), text, font=font, fill=fill)


# ---- the cached poster ----------------------------------------------------------------------


def _cache_dir(settings: Settings) -> Path:
    return Path(settings.data_dir) / "posters"


def _store(directory: Path, activity_id: int, name: str, png: bytes) -> None:
    """Write atomically (several workers may render at once) and drop older versions."""
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=directory, suffix=".tmp", delete=False) as tmp:
        tmp.write(png)
    os.replace(tmp.name, directory / name)
    for old in directory.glob(f"{activity_id}-*.png"):
        if old.name != name:
            old.unlink(missing_ok=True)


async def poster_info(activity: Activity) -> PosterInfo:
    """The poster's facts, with the host kindergarten's name."""
    host = await Activity.filter(id=activity.id).values_list("host__name", flat=True)
    return PosterInfo(
        title=activity.title,
        kind=ActivityKind(activity.kind).value,
        starts_at=activity.starts_at,
        ends_at=activity.ends_at,
        opens_at=activity.checkin_opens_at,
        closes_at=activity.checkin_closes_at,
        address=activity.address,
        host_name=host[0] if host else "",
        code=activity.code,
        cancelled=ActivityStatus(activity.status) == ActivityStatus.CANCELLED,
    )


async def activity_poster(
    *, principal: Principal, activity_id: int, settings: Settings, wechat: WeChatClient
) -> bytes:
    """The activity's poster PNG, from the cache while the activity is unchanged."""
    activity = await access.get_managed_activity(principal=principal, activity_id=activity_id)
    wanted = "wxa" if settings.wechat_appid else "qr"
    # The random code keeps a reused id (a restored database) from hitting an old poster.
    name = f"{activity.id}-{activity.code}-v{activity.version}-{wanted}.png"
    directory = _cache_dir(settings)
    cached = directory / name
    if await asyncio.to_thread(cached.is_file):
        return await asyncio.to_thread(cached.read_bytes)
    info = await poster_info(activity)
    code_png, made = None, wanted
    if not info.cancelled:
        code_png, made = await code_image(
            scene=static_scene(activity.code), settings=settings, wechat=wechat, width=CODE_SIZE
        )
    png = await asyncio.to_thread(render_poster, info, code_png)
    if made == wanted:
        # A fallback drawn because WeChat failed is not kept: the next request tries again.
        await asyncio.to_thread(_store, directory, activity.id, name, png)
    return png
