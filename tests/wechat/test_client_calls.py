"""Our client against the sandbox: each call's happy path and its typed errors."""

from __future__ import annotations

import io
import logging

import pytest
import zxingcpp
from PIL import Image

from server.wechat.client import WeChatClient
from server.wechat.errors import (
    ArgumentInvalid,
    CodeUsed,
    InvalidCode,
    InvalidMedia,
    LoginBlocked,
    RateLimited,
    SubscriptionRefused,
    SystemBusy,
    Unauthorized,
    WeChatError,
    WeChatUnavailable,
)
from server.wechat.sandbox import openid_for
from server.wechat.sandbox.identity import unionid_for
from tests.support.sandbox import read_outbox
from tests.support.servers import free_port
from tests.wechat.helpers import APPID, SECRET, make_client, unique
from tests.wechat.images import image_bytes

OPENID = openid_for("parent_wang")


async def test_code_to_session_gives_the_users_openid(sandbox, wechat):
    session = await wechat.code_to_session(f"parent_wang:{unique()}")
    assert session["openid"] == OPENID
    assert "unionid" not in session  # a mini-program bound to no open-platform account
    assert len(session["session_key"]) == 24


async def test_code_to_session_gives_the_unionid_when_bound_to_an_open_platform(sandbox, wechat):
    await sandbox.bind_open_platform()
    session = await wechat.code_to_session(f"parent_wang:{unique()}")
    assert session["unionid"] == unionid_for("parent_wang")


async def test_a_high_risk_user_is_refused_with_a_typed_error(sandbox, wechat):
    with pytest.raises(LoginBlocked) as blocked:
        await wechat.code_to_session(f"blocked_user:{unique()}")
    assert blocked.value.errcode == 40226
    assert "安全风险" in blocked.value.message


async def test_code_errors_are_typed(sandbox, wechat):
    code = f"parent_wang:{unique()}"
    await wechat.code_to_session(code)
    with pytest.raises(CodeUsed) as used:
        await wechat.code_to_session(code)
    with pytest.raises(InvalidCode) as invalid:
        await wechat.code_to_session("invalid_code")
    assert used.value.message == "登录凭证已被使用，请重新登录"
    assert invalid.value.errcode == 40029


async def test_wxacode_returns_png_that_decodes_to_scene(sandbox, wechat):
    png = await wechat.get_unlimited_wxacode(scene="c=K7QX2", page="pages/checkin/index")
    image = Image.open(io.BytesIO(png))
    assert [code.text for code in zxingcpp.read_barcodes(image)] == ["c=K7QX2"]


async def test_wxacode_error_json_is_raised_typed(sandbox, wechat):
    with pytest.raises(ArgumentInvalid) as caught:
        await wechat.get_unlimited_wxacode(scene="x" * 33)
    assert caught.value.errcode == 40169


async def test_subscribe_message_uses_quota_then_is_refused(sandbox, wechat):
    await sandbox.grant(OPENID, "tmpl_notice", 1)
    data = {"thing1": "家长开放日", "date2": "2025年5月20日"}
    msgid = await wechat.send_subscribe_message(
        openid=OPENID, template_id="tmpl_notice", data=data, page="pages/notice/index"
    )
    assert msgid
    with pytest.raises(SubscriptionRefused) as caught:
        await wechat.send_subscribe_message(openid=OPENID, template_id="tmpl_notice", data=data)
    assert caught.value.message == "用户未订阅该消息或订阅次数已用完"
    [entry, _] = await read_outbox(sandbox.url, kind="subscribe_send")
    assert entry["request"]["data"]["thing1"] == {"value": "家长开放日"}


async def test_subscribe_data_violation_names_the_field_in_chinese(sandbox, wechat):
    await sandbox.grant(OPENID, "tmpl_notice", 1)
    with pytest.raises(ArgumentInvalid) as caught:
        await wechat.send_subscribe_message(
            openid=OPENID, template_id="tmpl_notice", data={"thing1": "长" * 21}
        )
    assert "thing1" in caught.value.message


async def test_template_message_dedupes_by_client_msg_id(sandbox, wechat):
    kwargs = {
        "openid": OPENID,
        "template_id": "tmpl_weekly",
        "data": {"thing1": "本周小结"},
        "client_msg_id": "weekly-20",
    }
    assert await wechat.send_template_message(**kwargs) == await wechat.send_template_message(
        **kwargs
    )
    assert len(await read_outbox(sandbox.url, kind="template_send", delivered=1)) == 1


async def test_material_upload_and_draft_and_publish(sandbox, wechat):
    thumb = await wechat.add_material(kind="thumb", filename="t.jpg", content=image_bytes("JPEG"))
    url = await wechat.upload_image(filename="p.png", content=image_bytes("PNG"))
    draft = await wechat.add_draft(
        articles=[
            {
                "title": "送教纪实",
                "content": f'<img src="{url}">',
                "thumb_media_id": thumb["media_id"],
            }
        ]
    )
    publish_id = await wechat.submit_publish(media_id=draft)
    assert (await wechat.get_publish(publish_id=publish_id))["publish_status"] == 1
    assert (await wechat.get_publish(publish_id=publish_id))["publish_status"] == 0


async def test_media_and_publish_errors_are_typed(sandbox, wechat):
    with pytest.raises(InvalidMedia) as wrong_type:
        await wechat.add_material(kind="thumb", filename="t.jpg", content=image_bytes("PNG"))
    assert wrong_type.value.errcode == 40005
    with pytest.raises(InvalidMedia):
        await wechat.add_draft(
            articles=[{"title": "t", "content": "c", "thumb_media_id": "missing"}]
        )
    await sandbox.http.post(f"{sandbox.url}/sandbox/publish_outcome", json={"errcode": 48001})
    with pytest.raises(Unauthorized):
        await wechat.submit_publish(media_id="any")


async def test_upload_is_resent_with_its_bytes_after_a_token_refresh(sandbox, wechat):
    await wechat.upload_image(filename="a.png", content=image_bytes("PNG"))
    await sandbox.fault(expire_tokens=True)
    data = image_bytes("PNG", size=(32, 32))
    url = await wechat.upload_image(filename="b.png", content=data)
    assert (await sandbox.http.get(url)).content == data
    sizes = [
        e["request"]["media"]["size"] for e in await read_outbox(sandbox.url, kind="uploadimg")
    ]
    assert sizes[1:] == [len(data), len(data)]


async def test_menu_errors_are_typed(sandbox, wechat):
    with pytest.raises(ArgumentInvalid) as caught:
        await wechat.create_menu(buttons=[{"type": "click", "name": "签", "key": "K"}] * 4)
    assert caught.value.errcode == 40016


async def test_system_busy_is_not_retried(sandbox, wechat):
    await sandbox.fault(kind="custom_send", errcode=-1, times=1)
    payload = {"msgtype": "text", "text": {"content": "x"}}
    with pytest.raises(SystemBusy):
        await wechat.send_custom_message(openid=OPENID, payload=payload)
    assert len(await read_outbox(sandbox.url, kind="custom_send")) == 1


async def test_slow_answer_beyond_timeout_is_unavailable(sandbox, redis):
    client = make_client(sandbox, redis, timeout=0.3)
    await sandbox.fault(kind="custom_send", delay=1.0, times=1)
    try:
        with pytest.raises(WeChatUnavailable) as caught:
            await client.send_custom_message(
                openid=OPENID, payload={"msgtype": "text", "text": {"content": "x"}}
            )
    finally:
        await client.aclose()
    assert caught.value.errcode is None
    assert caught.value.message == "暂时无法连接微信服务，请稍后重试"


async def test_unreachable_wechat_is_unavailable(redis):
    base = f"http://127.0.0.1:{free_port()}"
    client = WeChatClient(
        appid=APPID, secret=SECRET, api_base=base, wecom_base=base, redis=redis, timeout=1
    )
    try:
        with pytest.raises(WeChatUnavailable):
            await client.code_to_session("anyone")
    finally:
        await client.aclose()


async def test_wecom_webhook_is_limited_to_twenty_a_minute_before_calling(sandbox, wechat):
    key = unique("robot")
    payload = {"msgtype": "text", "text": {"content": "本周送教 3 场"}}
    for _ in range(20):
        await wechat.send_wecom_webhook(key=key, payload=payload)
    with pytest.raises(RateLimited) as caught:
        await wechat.send_wecom_webhook(key=key, payload=payload)
    assert 0 < caught.value.retry_after <= 60
    assert len(await read_outbox(sandbox.url, kind="wecom_send")) == 20


async def test_wecom_errors_are_typed(sandbox, wechat):
    with pytest.raises(ArgumentInvalid) as caught:
        await wechat.send_wecom_webhook(key="", payload={"msgtype": "text", "text": {}})
    assert caught.value.errcode == 93000


async def test_secrets_and_tokens_never_reach_the_logs(sandbox, wechat, caplog):
    caplog.set_level(logging.DEBUG)
    await wechat.code_to_session("parent_wang")
    await wechat.send_custom_message(
        openid=OPENID, payload={"msgtype": "text", "text": {"content": "x"}}
    )
    await sandbox.fault(expire_tokens=True)
    await wechat.send_custom_message(
        openid=OPENID, payload={"msgtype": "text", "text": {"content": "x"}}
    )
    tokens = list(sandbox.state.tokens._expiry)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "HTTP Request" in logged
    assert SECRET not in logged
    assert not any(token in logged for token in tokens)


async def test_every_typed_error_is_a_wechat_error():
    for cls in (ArgumentInvalid, RateLimited, SystemBusy, WeChatUnavailable):
        assert issubclass(cls, WeChatError)
