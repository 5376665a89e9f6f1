"""Drawn stand-ins for the demo's activity photos: plainly marked 演示照片, never real people."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw

from server.common.fonts import cjk_font

SIZE = (1200, 800)
PALETTES = (
    ((232, 245, 233), (129, 199, 132), (46, 125, 50)),
    ((227, 242, 253), (100, 181, 246), (21, 101, 192)),
    ((255, 243, 224), (255, 183, 77), (230, 81, 0)),
    ((243, 229, 245), (186, 104, 200), (106, 27, 154)),
)


def demo_photo(caption: str, *, seed: int) -> bytes:
    """A JPEG of a classroom scene in flat shapes, with the caption and 演示照片 on it."""
    rng = random.Random(seed)
    light, mid, dark = PALETTES[seed % len(PALETTES)]
    image = Image.new("RGB", SIZE, light)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 560, SIZE[0], SIZE[1]), fill=mid)  # the floor
    draw.rectangle((80, 90, 760, 380), fill=(255, 255, 255), outline=dark, width=6)  # board
    for i in range(7):  # children in a row, as round heads and bodies
        x, y = 150 + i * 150 + rng.randint(-20, 20), rng.randint(560, 640)
        draw.ellipse((x - 34, y - 120, x + 34, y - 52), fill=(255, 224, 189))
        draw.rounded_rectangle((x - 46, y - 50, x + 46, y + 60), radius=22, fill=dark)
    draw.ellipse((900, 150, 980, 230), fill=(255, 224, 189))  # the teacher
    draw.rounded_rectangle((880, 232, 1000, 420), radius=30, fill=(255, 255, 255), outline=dark)
    draw.text((110, 130), caption[:15], font=cjk_font(40, bold=True), fill=dark)
    draw.text((110, 200), "演示照片", font=cjk_font(30), fill=(120, 120, 120))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()
