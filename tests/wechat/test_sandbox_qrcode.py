"""Sandbox qrcode/create and showqrcode follow 生成带参数的二维码; our client calls them."""

from __future__ import annotations

from urllib.parse import quote

from tests.support.sandbox import read_outbox


async def _create(sandbox, body: dict) -> dict:
    return await sandbox.call("/cgi-bin/qrcode/create", body)


def _str_scene(scene: str, **extra) -> dict:
    return {"action_name": "QR_STR_SCENE", "action_info": {"scene": {"scene_str": scene}}, **extra}


async def _show(sandbox, ticket: str):
    return await sandbox.http.get(f"{sandbox.url}/cgi-bin/showqrcode?ticket={quote(ticket)}")


async def test_client_makes_a_temporary_string_scene_code_whose_image_is_a_png(sandbox, wechat):
    made = await wechat.create_scene_qrcode(scene="bind:abc", expire_seconds=2592000)
    assert made["expire_seconds"] == 2592000 and made["url"].startswith("http://weixin.qq.com/q/")
    [entry] = await read_outbox(sandbox.url, kind="qrcode_create")
    assert entry["request"]["action_info"] == {"scene": {"scene_str": "bind:abc"}}
    image = await _show(sandbox, made["ticket"])  # no access_token: "无须登录态即可调用"
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")


async def test_scene_str_is_1_to_64_characters(sandbox):
    assert "ticket" in await _create(sandbox, _str_scene("x" * 64, expire_seconds=60))
    for scene in ("", "x" * 65):
        assert (await _create(sandbox, _str_scene(scene, expire_seconds=60)))["errcode"] == 40097


async def test_expiry_defaults_to_60_seconds_and_is_capped_at_30_days(sandbox):
    assert (await _create(sandbox, _str_scene("a")))["expire_seconds"] == 60
    longest = await _create(sandbox, _str_scene("b", expire_seconds=3_000_000))
    assert longest["expire_seconds"] == 2592000


async def test_an_expired_temporary_code_shows_no_image(sandbox):
    made = await _create(sandbox, _str_scene("c", expire_seconds=60))
    assert (await _show(sandbox, made["ticket"])).status_code == 200
    sandbox.state.advance(61)
    refused = await _show(sandbox, made["ticket"])
    assert refused.json()["errcode"] == 40097


async def test_permanent_codes_have_no_expiry_and_one_ticket_per_scene(sandbox):
    body = {"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": "p"}}}
    first, again = await _create(sandbox, body), await _create(sandbox, body)
    assert "expire_seconds" not in first and first["ticket"] == again["ticket"]
    numbered = {"action_name": "QR_LIMIT_SCENE", "action_info": {"scene": {"scene_id": 100001}}}
    assert (await _create(sandbox, numbered))["errcode"] == 40097  # "只支持1--100000"


async def test_unknown_action_and_wrong_scene_type_are_refused(sandbox):
    bad_action = {"action_name": "QR_FOREVER", "action_info": {"scene": {"scene_str": "a"}}}
    assert (await _create(sandbox, bad_action))["errcode"] == 40097
    wrong_type = {"action_name": "QR_SCENE", "action_info": {"scene": {"scene_str": "a"}}}
    assert (await _create(sandbox, wrong_type))["errcode"] == 40097


async def test_scan_without_a_configured_callback_pushes_nothing(sandbox):
    made = await _create(sandbox, _str_scene("d", expire_seconds=60))
    answer = await sandbox.http.post(
        f"{sandbox.url}/sandbox/qrcode/scan", json={"ticket": made["ticket"], "openid": "oABC"}
    )
    assert answer.status_code == 409
    unknown = await sandbox.http.post(
        f"{sandbox.url}/sandbox/qrcode/scan", json={"ticket": "nope", "openid": "oABC"}
    )
    assert unknown.status_code == 404
