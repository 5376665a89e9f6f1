"""Sandbox add_material, uploadimg and draft/add: real types by magic bytes, WeChat's limits."""

from __future__ import annotations

from tests.support.sandbox import read_outbox
from tests.wechat.images import image_bytes, noisy_jpeg, padded

MB = 1024 * 1024


async def _upload(sandbox, path: str, data: bytes, filename: str, **params: str) -> dict:
    params["access_token"] = await sandbox.token()
    response = await sandbox.http.post(
        f"{sandbox.url}{path}", params=params, files={"media": (filename, data)}
    )
    return response.json()


async def _material(sandbox, data: bytes, kind: str = "image", filename: str = "a.png") -> dict:
    return await _upload(sandbox, "/cgi-bin/material/add_material", data, filename, type=kind)


async def test_image_material_accepts_png_jpeg_gif_bmp_and_serves_the_bytes(sandbox):
    for fmt in ["PNG", "JPEG", "GIF", "BMP"]:
        data = image_bytes(fmt)
        answer = await _material(sandbox, data, filename="photo.dat")
        assert answer["media_id"], fmt
        served = await sandbox.http.get(answer["url"])
        assert served.status_code == 200 and served.content == data


async def test_image_material_type_is_checked_by_content_not_name(sandbox):
    answer = await _material(sandbox, image_bytes("WEBP"), filename="looks.png")
    assert answer == {"errcode": 40005, "errmsg": "invalid file type"}
    text = await _material(sandbox, b"hello, not an image", filename="x.jpg")
    assert text["errcode"] == 40005


async def test_image_material_over_10_mb_is_refused(sandbox):
    answer = await _material(sandbox, padded(image_bytes("PNG"), 10 * MB + 1))
    assert answer == {"errcode": 40006, "errmsg": "invalid media size"}


async def test_thumb_must_be_a_jpeg_within_64_kb(sandbox):
    ok = await _material(sandbox, image_bytes("JPEG"), kind="thumb", filename="t.jpg")
    png = await _material(sandbox, image_bytes("PNG"), kind="thumb", filename="t.jpg")
    big = await _material(sandbox, noisy_jpeg(64 * 1024 + 1), kind="thumb", filename="t.jpg")
    assert ok["media_id"]
    assert png["errcode"] == 40005
    assert big["errcode"] == 40006


async def test_material_upload_is_recorded_by_size_and_type_not_bytes(sandbox):
    data = image_bytes("PNG")
    await _material(sandbox, data, filename="poster.png")
    [entry] = await read_outbox(sandbox.url, kind="add_material")
    assert entry["request"]["media"] == {"filename": "poster.png", "size": len(data), "type": "png"}


async def test_uploadimg_accepts_jpg_and_png_under_1_mb(sandbox):
    for fmt in ["JPEG", "PNG"]:
        answer = await _upload(sandbox, "/cgi-bin/media/uploadimg", image_bytes(fmt), "i.jpg")
        assert answer["url"].startswith(sandbox.url + "/sandbox/media/")
    gif = await _upload(sandbox, "/cgi-bin/media/uploadimg", image_bytes("GIF"), "i.gif")
    big = await _upload(
        sandbox, "/cgi-bin/media/uploadimg", padded(image_bytes("PNG"), MB), "b.png"
    )
    assert gif["errcode"] == 40005
    assert big == {"errcode": 40009, "errmsg": "invalid image size"}


async def _thumb(sandbox) -> str:
    return (await _material(sandbox, image_bytes("JPEG"), kind="thumb", filename="t.jpg"))[
        "media_id"
    ]


def _article(thumb: str, **fields: str) -> dict:
    article = {
        "title": "送教下乡：大班科学活动",
        "author": "城关幼儿园",
        "digest": "结对帮扶第三次送教活动纪实",
        "content": "<p>活动现场</p>",
        "thumb_media_id": thumb,
    }
    return {**article, **fields}


async def test_draft_within_limits_returns_a_media_id(sandbox):
    thumb = await _thumb(sandbox)
    answer = await sandbox.call("/cgi-bin/draft/add", {"articles": [_article(thumb)]})
    assert answer["media_id"]


async def test_draft_limits_give_wechat_errcodes(sandbox):
    thumb = await _thumb(sandbox)
    cases = [
        (_article(thumb, title="题" * 33), 45003),
        (_article(thumb, author="作" * 17), 45110),
        (_article(thumb, digest="摘" * 129), 45004),
        (_article(thumb, content="字" * 20000), 45002),
        (_article(thumb, content="<p>" + "a" * MB + "</p>"), 45002),
        (_article("no-such-media"), 40007),
    ]
    for article, errcode in cases:
        answer = await sandbox.call("/cgi-bin/draft/add", {"articles": [article]})
        assert answer["errcode"] == errcode, errcode
    assert (await sandbox.call("/cgi-bin/draft/add", {"articles": []}))["errcode"] == 44003


async def test_draft_at_the_limits_is_accepted(sandbox):
    thumb = await _thumb(sandbox)
    article = _article(
        thumb, title="题" * 32, author="作" * 16, digest="摘" * 128, content="字" * 19999
    )
    assert (await sandbox.call("/cgi-bin/draft/add", {"articles": [article]}))["media_id"]
