"""Sandbox getwxacodeunlimit: a real PNG whose QR decodes to the scene."""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image

from tests.support.sandbox import read_outbox


async def _wxacode(sandbox, body: dict):
    token = await sandbox.token()
    return await sandbox.http.post(
        f"{sandbox.url}/wxa/getwxacodeunlimit", params={"access_token": token}, json=body
    )


async def test_wxacode_png_decodes_to_the_scene(sandbox):
    scene = "a=K7QX2&t=5811&s=Zx9_-~"
    response = await _wxacode(sandbox, {"scene": scene, "page": "pages/checkin/index"})
    assert response.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.size == (430, 430)
    assert [code.text for code in zxingcpp.read_barcodes(image)] == [scene]


async def test_wxacode_width_is_clamped_to_wechat_range(sandbox):
    small = await _wxacode(sandbox, {"scene": "x", "width": 100})
    large = await _wxacode(sandbox, {"scene": "x", "width": 5000})
    assert Image.open(io.BytesIO(small.content)).size == (280, 280)
    assert Image.open(io.BytesIO(large.content)).size == (1280, 1280)


async def test_bad_scene_is_refused_with_40169(sandbox):
    for scene in ["", "x" * 33, "含中文", "has space", None]:
        answer = (await _wxacode(sandbox, {"scene": scene})).json()
        assert answer["errcode"] == 40169, scene
        assert answer["errmsg"] == "invalid length for scene, or the data is not json string"


async def test_page_with_leading_slash_is_refused(sandbox):
    answer = (await _wxacode(sandbox, {"scene": "x", "page": "/pages/index"})).json()
    assert answer["errcode"] == 41030


async def test_wxacode_is_recorded_with_its_scene(sandbox):
    await _wxacode(sandbox, {"scene": "abc"})
    [entry] = await read_outbox(sandbox.url, kind="wxacode")
    assert entry["request"]["scene"] == "abc" and entry["errcode"] == 0


async def test_with_check_path_the_page_must_be_released(sandbox):
    # check_path defaults to true: then "page 必须是已经发布的小程序存在的页面（否则报错）".
    unreleased = {"scene": "x", "page": "pages/index/index"}
    assert (await _wxacode(sandbox, unreleased)).json()["errcode"] == 41030
    checked = {**unreleased, "check_path": False}
    assert (await _wxacode(sandbox, checked)).headers["content-type"] == "image/png"
