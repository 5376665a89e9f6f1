"""Images for WeChat: body images (JPG/PNG < 1 MB), the cover thumb (JPG ≤ 64 KB), previews."""

from __future__ import annotations

import base64
import io

from PIL import Image, ImageDraw, ImageOps

from server.common.errors import DomainError
from server.common.fonts import cjk_font

#: media/uploadimg takes JPG/PNG strictly under 1 MB.
BODY_MAX_BYTES = 1024 * 1024 - 1
#: Wider than any phone shows; WeChat scales down anyway.
BODY_MAX_WIDTH = 1280
#: material/add_material type=thumb takes a JPG of at most 64 KB.
THUMB_MAX_BYTES = 64 * 1024
#: The 公众号 cover ratio 2.35:1.
THUMB_SIZE = (900, 383)
PREVIEW_WIDTH = 640


def _open(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Exception as exc:  # Pillow raises many kinds for broken files
        raise DomainError("bad_image", "照片无法读取，请重新上传") from exc
    return ImageOps.exif_transpose(image)


def _rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        canvas = Image.new("RGB", image.size, (255, 255, 255))
        canvas.paste(image, mask=image.split()[-1])
        return canvas
    return image.convert("RGB")


def _jpeg_under(image: Image.Image, limit: int, *, what: str) -> bytes:
    """The image as a JPEG of at most `limit` bytes: lower quality first, then smaller."""
    image = _rgb(image)
    while True:
        for quality in (88, 80, 72, 64, 56, 48, 40):
            out = io.BytesIO()
            image.save(out, format="JPEG", quality=quality, optimize=True)
            if out.tell() <= limit:
                return out.getvalue()
        if min(image.size) < 64:
            raise DomainError("image_too_large", f"{what}无法压缩到微信要求的大小")
        image = image.resize((int(image.width * 0.8), int(image.height * 0.8)), Image.LANCZOS)


def body_image(data: bytes) -> tuple[bytes, str]:
    """(bytes, filename) of a JPG or PNG under 1 MB and at most 1280 px wide."""
    fmt = (Image.open(io.BytesIO(data)).format or "").upper() if data else ""
    if fmt in ("JPEG", "PNG") and len(data) <= BODY_MAX_BYTES:
        image = _open(data)
        if image.width <= BODY_MAX_WIDTH:
            return data, "photo.png" if fmt == "PNG" else "photo.jpg"
    image = _open(data)
    if image.width > BODY_MAX_WIDTH:
        height = round(image.height * BODY_MAX_WIDTH / image.width)
        image = image.resize((BODY_MAX_WIDTH, max(height, 1)), Image.LANCZOS)
    return _jpeg_under(image, BODY_MAX_BYTES, what="照片"), "photo.jpg"


def cover_from_photo(data: bytes) -> bytes:
    """A 900×383 JPG of at most 64 KB cropped from the middle of a photo."""
    image = ImageOps.fit(_rgb(_open(data)), THUMB_SIZE, Image.LANCZOS)
    return _jpeg_under(image, THUMB_MAX_BYTES, what="封面")


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> list[str]:
    lines, line = [], ""
    for char in text:
        if draw.textlength(line + char, font=font) > width and line:
            lines.append(line)
            line = char
        else:
            line += char
    return [*lines, line] if line else lines


def title_card(*, kindergarten: str, title: str) -> bytes:
    """A generated cover: the kindergarten's name and the title in Chinese, ≤ 64 KB JPG."""
    image = Image.new("RGB", THUMB_SIZE, (46, 125, 50))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, THUMB_SIZE[1] - 18, THUMB_SIZE[0], THUMB_SIZE[1]), fill=(165, 214, 167))
    name_font, title_font = cjk_font(34), cjk_font(52, bold=True)
    draw.text((48, 40), kindergarten, font=name_font, fill=(232, 245, 233))
    y = 120
    for line in _wrap(draw, title, title_font, THUMB_SIZE[0] - 96)[:3]:
        draw.text((48, y), line, font=title_font, fill=(255, 255, 255))
        y += 68
    return _jpeg_under(image, THUMB_MAX_BYTES, what="封面")


def preview_data_uri(data: bytes, *, width: int = PREVIEW_WIDTH) -> str:
    """A small JPEG data: URI of an image, so the preview page needs no login for images."""
    image = _rgb(_open(data))
    if image.width > width:
        image = image.resize((width, max(round(image.height * width / image.width), 1)))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=75)
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode()
