"""Draw the tab bar's icons (images/tab/*.png) with Pillow; run again after changing a shape.

WeChat's tabBar list (微信开放文档, 全局配置 tabBar): "iconPath: 图片路径，icon 大小限制为
40kb，建议尺寸为 81px * 81px，不支持网络图片", and the same for selectedIconPath. Each icon is
drawn four times larger and scaled down (smooth edges), in the tab bar's `color` and
`selectedColor` of app.json.

Usage: .venv/bin/python miniprogram/scripts/tab_icons.py
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "images" / "tab"
SIZE = 81
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


#: Icon file stem per tab page, in app.json's order.
SHAPES: dict[str, tuple[str, Shape]] = {
    "pages/home/index": ("home", home),
    "pages/notices/index": ("notices", notices),
    "pages/inbox/index": ("inbox", inbox),
    "pages/settings/index": ("me", me),
}


def draw_icon(shape: Shape, ink: Colour) -> Image.Image:
    """One icon: transparent background, `ink` strokes, 81 × 81."""
    big = Image.new("RGBA", (SIZE * SCALE, SIZE * SCALE), (0, 0, 0, 0))
    shape(ImageDraw.Draw(big), ink)
    return big.resize((SIZE, SIZE), Image.Resampling.LANCZOS)


def main() -> None:
    """Write the normal and selected icon of every tab."""
    bar = json.loads((ROOT / "app.json").read_text(encoding="utf-8"))["tabBar"]
    OUT.mkdir(parents=True, exist_ok=True)
    for stem, shape in SHAPES.values():
        for suffix, colour in (("", bar["color"]), ("-active", bar["selectedColor"])):
            target = OUT / f"{stem}{suffix}.png"
            draw_icon(shape, _hex(colour)).save(target, optimize=True)
            print(f"{target.relative_to(ROOT)}: {target.stat().st_size} bytes")


if __name__ == "__main__":
    main()
