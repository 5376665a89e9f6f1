"""Images for WeChat: body images under 1 MB, the 64 KB cover thumb, the title card."""

from __future__ import annotations

import io

from PIL import Image

from server.publicity import images


def _noisy(size, fmt="JPEG", **kw) -> bytes:
    out = io.BytesIO()
    Image.effect_noise(size, 90).convert("RGB").save(out, format=fmt, **kw)
    return out.getvalue()


def test_large_photo_is_recompressed_under_one_megabyte():
    data = _noisy((4000, 3000), quality=98)
    assert len(data) > 2 * 1024 * 1024
    out, filename = images.body_image(data)
    image = Image.open(io.BytesIO(out))
    assert len(out) < 1024 * 1024 and image.format == "JPEG" and filename == "photo.jpg"
    assert image.width <= images.BODY_MAX_WIDTH
    assert abs(image.width / image.height - 4 / 3) < 0.01


def test_small_jpeg_and_png_pass_unchanged_and_webp_becomes_jpeg():
    small = _noisy((300, 200), quality=80)
    assert images.body_image(small) == (small, "photo.jpg")
    png = _noisy((200, 100), "PNG")
    assert images.body_image(png) == (png, "photo.png")
    webp = _noisy((200, 100), "WEBP")
    out, filename = images.body_image(webp)
    assert Image.open(io.BytesIO(out)).format == "JPEG" and filename == "photo.jpg"


def test_cover_is_a_cropped_jpeg_of_at_most_64_kb():
    out = images.cover_from_photo(_noisy((2000, 2000), quality=95))
    image = Image.open(io.BytesIO(out))
    # Pure noise does not compress: the cover shrinks, keeping the 2.35:1 crop.
    assert image.format == "JPEG" and len(out) <= 64 * 1024
    assert abs(image.width / image.height - 900 / 383) < 0.02
    plain = io.BytesIO()
    Image.new("RGB", (1600, 1200), (120, 160, 90)).save(plain, format="JPEG")
    cover = Image.open(io.BytesIO(images.cover_from_photo(plain.getvalue())))
    assert cover.size == images.THUMB_SIZE


def test_title_card_draws_chinese_and_stays_small():
    out = images.title_card(kindergarten="石桥村幼儿园", title="送教下乡｜绘本教学示范课")
    image = Image.open(io.BytesIO(out))
    assert image.format == "JPEG" and len(out) <= 64 * 1024
    # Text was drawn: the card is not one flat colour.
    assert len(set(image.convert("L").tobytes())) > 10  # mode L: a byte a pixel
