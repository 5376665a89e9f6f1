"""The static code and the printable poster: scannable, Chinese drawn, cached."""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image, ImageChops, ImageDraw

from server.activities.codes import parse_scene, static_scene
from server.activities.models import Activity
from server.activities.poster import POSTER_SIZE, TITLE_AREA, checkin_url
from server.common.fonts import cjk_font
from server.common.miniprogram_pages import CHECKIN
from tests.activities.helpers import ACTIVITIES, create
from tests.support.sandbox import read_outbox
from tests.support.world import make_world


def _decoded(png: bytes) -> list[str]:
    image = Image.open(io.BytesIO(png))
    return [r.text for r in zxingcpp.read_barcodes(image)]


async def _wxacode_calls(sandbox_client) -> int:
    return len(await read_outbox(sandbox_client, kind="wxacode"))


async def test_code_endpoint_returns_the_static_scene(client, api):
    world = await make_world(client, ACTIVITIES)
    made = await create(client, world)
    resp = await client.get(
        f"/api/v1/activities/{made['id']}/code", headers=world.organizer.headers
    )
    assert resp.status_code == 200
    data = resp.json()
    code = (await Activity.get(id=made["id"])).code
    assert data["scene"] == static_scene(code) and len(data["scene"]) <= 32
    assert parse_scene(data["scene"]).code == code and not parse_scene(data["scene"]).dynamic
    assert data["page"] == CHECKIN.path


async def test_poster_carries_the_mini_program_code(client, sandbox_client):
    world = await make_world(client, ACTIVITIES)
    made = await create(client, world)
    resp = await client.get(
        f"/api/v1/activities/{made['id']}/poster.png", headers=world.organizer.headers
    )
    assert resp.status_code == 200 and resp.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(resp.content))
    assert image.size == POSTER_SIZE
    code = (await Activity.get(id=made["id"])).code
    assert _decoded(resp.content) == [static_scene(code)]
    outbox = await read_outbox(sandbox_client, kind="wxacode")
    assert outbox[-1]["request"]["scene"] == static_scene(code)


async def test_poster_falls_back_to_a_plain_qr_of_the_checkin_url(client, sandbox_client, api):
    world = await make_world(client, ACTIVITIES)
    made = await create(client, world)
    await sandbox_client.post(
        "/sandbox/faults", json={"kind": "wxacode", "errcode": -1, "times": 1}
    )
    url = f"/api/v1/activities/{made['id']}/poster.png"
    resp = await client.get(url, headers=world.organizer.headers)
    assert resp.status_code == 200
    scene = static_scene((await Activity.get(id=made["id"])).code)
    assert _decoded(resp.content) == [checkin_url(api.app.ctx.runtime.settings, scene)]
    # The fallback drawn during an outage is not cached: WeChat is asked again next time.
    before = await _wxacode_calls(sandbox_client)
    again = await client.get(url, headers=world.organizer.headers)
    assert _decoded(again.content) == [scene]
    assert await _wxacode_calls(sandbox_client) == before + 1


async def test_unchanged_poster_is_served_from_cache_and_a_new_title_makes_a_new_one(
    client, sandbox_client
):
    world = await make_world(client, ACTIVITIES)
    made = await create(client, world)
    url, headers = f"/api/v1/activities/{made['id']}/poster.png", world.organizer.headers
    first = await client.get(url, headers=headers)
    calls = await _wxacode_calls(sandbox_client)
    second = await client.get(url, headers=headers)
    assert second.content == first.content
    assert await _wxacode_calls(sandbox_client) == calls
    await client.patch(
        f"/api/v1/activities/{made['id']}", json={"title": "送教下乡（改期后）"}, headers=headers
    )
    third = await client.get(url, headers=headers)
    assert third.content != first.content
    assert await _wxacode_calls(sandbox_client) == calls + 1


def test_cjk_font_draws_chinese_glyphs_not_boxes():
    font = cjk_font(64)

    def glyph(char: str) -> Image.Image:
        image = Image.new("L", (96, 96), 255)
        ImageDraw.Draw(image).text((8, 8), char, font=font, fill=0)
        return image

    jiao, notdef = glyph("教"), glyph("\U000f0000")  # a private-use point no font covers
    assert jiao.getextrema()[0] < 128  # ink
    assert ImageChops.difference(jiao, notdef).getbbox() is not None  # not the .notdef box
    assert ImageChops.difference(jiao, glyph("学")).getbbox() is not None


async def test_poster_title_area_has_ink(client):
    world = await make_world(client, ACTIVITIES)
    made = await create(client, world, title="教研")
    resp = await client.get(
        f"/api/v1/activities/{made['id']}/poster.png", headers=world.organizer.headers
    )
    image = Image.open(io.BytesIO(resp.content)).convert("L")
    title = image.crop(TITLE_AREA)
    dark = sum(1 for value in title.tobytes() if value < 100)  # mode L: a byte a pixel
    assert dark > 500, dark


async def test_without_a_mini_program_the_code_is_a_plain_qr_of_the_checkin_url():
    from server.activities.poster import code_image
    from server.settings import load_settings

    settings = load_settings(wechat_appid="", public_base_url="https://sjt.example.cn/")
    png, made = await code_image(scene="s.abcdefgh", settings=settings, wechat=None, width=300)
    assert made == "qr"
    assert _decoded(png) == ["https://sjt.example.cn/checkin?scene=s.abcdefgh"]
