"""Image helpers of the sandbox: real type by magic bytes, and QR images for wxacodes."""

from __future__ import annotations

import io

import qrcode
from PIL import Image

CONTENT_TYPES = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "bmp": "image/bmp",
}


def sniff_image_type(data: bytes) -> str | None:
    """The image type of `data` from its first bytes ("png", "jpeg", "gif", "bmp") or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if data.startswith(b"BM") and len(data) > 14:
        return "bmp"
    return None


def render_qr_png(text: str, width: int) -> bytes:
    """A `width`×`width` PNG holding a QR code of `text` (stands in for a wxacode)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(text)
    code.make(fit=True)
    modules = code.modules_count + 2 * code.border
    code.box_size = max(1, width // modules)
    image = code.make_image(fill_color="black", back_color="white").get_image().convert("L")
    canvas = Image.new("L", (width, width), 255)
    offset = (width - image.width) // 2
    canvas.paste(image, (max(offset, 0), max(offset, 0)))
    out = io.BytesIO()
    canvas.save(out, format="PNG")
    return out.getvalue()
