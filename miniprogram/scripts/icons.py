"""Draw the mini-program's icons with Pillow: the tab bar's (images/tab/*.png) and home's grid
(images/grid/*.png); run again after changing a shape.

WeChat's tabBar list (微信开放文档, 全局配置 tabBar): "iconPath: 图片路径，icon 大小限制为
40kb，建议尺寸为 81px * 81px，不支持网络图片", and the same for selectedIconPath. Tab icons are
drawn in the tab bar's `color` and `selectedColor` of app.json; grid icons (shown 28 px wide by
WeUI's .weui-grid__icon, 96 px here for sharp phones) each in a colour of their own. Everything is
drawn four times larger and scaled down (smooth edges).

Usage: .venv/bin/python miniprogram/scripts/icons.py
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "images" / "tab"
GRID_OUT = ROOT / "images" / "grid"
SIZE = 81
GRID_SIZE = 96
SCALE = 4
LINE = 5 * SCALE

Colour = tuple[int, int, int, int]
Shape = Callable[[ImageDraw.ImageDraw, Colour], None]


def _hex(value: str) -> Colour:
    value = value.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16), 255)


def _p(*xy: float) -> list[float]:
    """Coordinates given on the 81 px grid, drawn on the large canvas."""
    return [v * SCALE for v in xy]


def home(draw: ImageDraw.ImageDraw, ink: Colour) -> None:
    """A house: roof, walls, a door."""
    draw.line(_p(10, 40, 40.5, 12, 71, 40), fill=ink, width=LINE, joint="curve")
    draw.line(_p(19, 34, 19, 70, 62, 70, 62, 34), fill=ink, width=LINE, joint="curve")
    draw.rectangle(_p(34, 50, 47, 70), fill=ink)


def notices(draw: ImageDraw.ImageDraw, ink: Colour) -> None:
    """A bell: dome, flared rim, clapper."""
    # Pillow draws an arc's width inside its box: the box is the stroke's outer edge.
    draw.arc(_p(17.5, 12, 63.5, 58), start=180, end=360, fill=ink, width=LINE)
    rim = _p(20, 35, 20, 52, 13, 61, 68, 61, 61, 52, 61, 35)
    draw.line(rim, fill=ink, width=LINE, joint="curve")
    draw.ellipse(_p(34, 63, 47, 74), fill=ink)
    draw.ellipse(_p(37, 7, 44, 14), fill=ink)


def inbox(draw: ImageDraw.ImageDraw, ink: Colour) -> None:
    """An envelope."""
    draw.rounded_rectangle(_p(10, 19, 71, 63), radius=6 * SCALE, outline=ink, width=LINE)
    draw.line(_p(13, 23, 40.5, 44, 68, 23), fill=ink, width=LINE, joint="curve")


def me(draw: ImageDraw.ImageDraw, ink: Colour) -> None:
    """A person: head and shoulders."""
    draw.ellipse(_p(26, 9, 55, 38), outline=ink, width=LINE)
    draw.arc(_p(12, 44, 69, 100), start=200, end=340, fill=ink, width=LINE)


def scan(draw: ImageDraw.ImageDraw, ink: Colour) -> None:
    """A code in a viewfinder: four corners and a scan line."""
    for x, y, dx, dy in ((10, 10, 1, 1), (71, 10, -1, 1), (10, 71, 1, -1), (71, 71, -1, -1)):
        draw.line(_p(x, y + 16 * dy, x, y, x + 16 * dx, y), fill=ink, width=LINE, joint="curve")
    draw.line(_p(18, 40.5, 63, 40.5), fill=ink, width=LINE)


def calendar(draw: ImageDraw.ImageDraw, ink: Colour) -> None:
    """A calendar page with two rings and a day marked."""
    draw.rounded_rectangle(_p(12, 18, 69, 70), radius=6 * SCALE, outline=ink, width=LINE)
    draw.line(_p(12, 32, 69, 32), fill=ink, width=LINE)
    draw.line(_p(27, 10, 27, 24), fill=ink, width=LINE)
    draw.line(_p(54, 10, 54, 24), fill=ink, width=LINE)
    draw.rectangle(_p(44, 46, 56, 58), fill=ink)


def clock(draw: ImageDraw.ImageDraw, ink: Colour) -> None:
    """A clock at ten past ten."""
    draw.ellipse(_p(10, 10, 71, 71), outline=ink, width=LINE)
    draw.line(_p(40.5, 22, 40.5, 40.5, 54, 48), fill=ink, width=LINE, joint="curve")


def school(draw: ImageDraw.ImageDraw, ink: Colour) -> None:
    """A kindergarten: a house with a flag."""
    home(draw, ink)
    draw.line(_p(40.5, 12, 40.5, 2), fill=ink, width=LINE // 2)
    draw.polygon(_p(40.5, 2, 54, 6, 40.5, 10), fill=ink)


def chart(draw: ImageDraw.ImageDraw, ink: Colour) -> None:
    """A bar chart on its axis."""
    draw.line(_p(10, 10, 10, 70, 71, 70), fill=ink, width=LINE, joint="curve")
    for x, top in ((22, 44), (38, 28), (54, 50)):
        draw.rectangle(_p(x, top, x + 10, 64), fill=ink)


def document(draw: ImageDraw.ImageDraw, ink: Colour) -> None:
    """A page with lines of text and a tick (a post to review)."""
    draw.rounded_rectangle(_p(16, 8, 65, 73), radius=5 * SCALE, outline=ink, width=LINE)
    for y in (24, 36, 48):
        draw.line(_p(26, y, 55, y), fill=ink, width=LINE)
    draw.line(_p(40, 60, 46, 65, 58, 55), fill=ink, width=LINE, joint="curve")


def podium(draw: ImageDraw.ImageDraw, ink: Colour) -> None:
    """A podium: second, first and third."""
    draw.rectangle(_p(8, 40, 30, 72), outline=ink, width=LINE)
    draw.rectangle(_p(30, 22, 52, 72), fill=ink)
    draw.rectangle(_p(52, 50, 74, 72), outline=ink, width=LINE)


def monitor(draw: ImageDraw.ImageDraw, ink: Colour) -> None:
    """A computer screen on its stand."""
    draw.rounded_rectangle(_p(8, 12, 73, 56), radius=5 * SCALE, outline=ink, width=LINE)
    draw.line(_p(40.5, 56, 40.5, 68), fill=ink, width=LINE)
    draw.line(_p(24, 70, 57, 70), fill=ink, width=LINE)


#: Grid icons of home's entries (utils/roles.js keys): shape and colour. checkin-white is the
#: big 扫码签到 tile's, white on the brand green.
GRID: dict[str, tuple[Shape, str]] = {
    "checkin": (scan, "#07c160"),
    "checkin-white": (scan, "#ffffff"),
    "activities": (calendar, "#10aeff"),
    "hours": (clock, "#fa9d3b"),
    "notices": (notices, "#576b95"),
    "kindergarten": (school, "#07c160"),
    "summary": (chart, "#6467f0"),
    "posts": (document, "#fa5151"),
    "rankings": (podium, "#ffc300"),
    "scan-login": (monitor, "#10aeff"),
    "settings": (me, "#888888"),
}

#: Icon file stem per tab page, in app.json's order.
SHAPES: dict[str, tuple[str, Shape]] = {
    "pages/home/index": ("home", home),
    "pages/notices/index": ("notices", notices),
    "pages/inbox/index": ("inbox", inbox),
    "pages/settings/index": ("me", me),
}


def draw_icon(shape: Shape, ink: Colour, size: int = SIZE) -> Image.Image:
    """One icon: transparent background, `ink` strokes, `size` pixels square."""
    big = Image.new("RGBA", (SIZE * SCALE, SIZE * SCALE), (0, 0, 0, 0))
    shape(ImageDraw.Draw(big), ink)
    return big.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    """Write the normal and selected icon of every tab, and every grid icon."""
    bar = json.loads((ROOT / "app.json").read_text(encoding="utf-8"))["tabBar"]
    OUT.mkdir(parents=True, exist_ok=True)
    for stem, shape in SHAPES.values():
        for suffix, colour in (("", bar["color"]), ("-active", bar["selectedColor"])):
            target = OUT / f"{stem}{suffix}.png"
            draw_icon(shape, _hex(colour)).save(target, optimize=True)
            print(f"{target.relative_to(ROOT)}: {target.stat().st_size} bytes")
    GRID_OUT.mkdir(parents=True, exist_ok=True)
    for stem, (shape, colour) in GRID.items():
        target = GRID_OUT / f"{stem}.png"
        draw_icon(shape, _hex(colour), GRID_SIZE).save(target, optimize=True)
        print(f"{target.relative_to(ROOT)}: {target.stat().st_size} bytes")


if __name__ == "__main__":
    main()
