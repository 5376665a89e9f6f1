"""Small images made with Pillow for upload tests."""

from __future__ import annotations

import io

from PIL import Image


def image_bytes(fmt: str, size: tuple[int, int] = (64, 64)) -> bytes:
    """An image of `size` encoded as `fmt` ("PNG", "JPEG", "GIF", "BMP", "WEBP")."""
    out = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(out, format=fmt)
    return out.getvalue()


def noisy_jpeg(min_bytes: int) -> bytes:
    """A JPEG of at least `min_bytes` (random noise does not compress)."""
    side = 64
    while True:
        out = io.BytesIO()
        Image.effect_noise((side, side), 100).convert("RGB").save(out, format="JPEG", quality=95)
        if out.tell() >= min_bytes:
            return out.getvalue()
        side *= 2


def padded(data: bytes, total: int) -> bytes:
    """`data` padded with zero bytes to `total` bytes (type sniffing only reads the header)."""
    return data + b"\0" * (total - len(data))
