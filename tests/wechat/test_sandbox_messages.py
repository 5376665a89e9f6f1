"""Sandbox template and customer-service messages."""

from __future__ import annotations

from server.wechat.sandbox import openid_for
from tests.support.sandbox import read_outbox

OPENID = openid_for("leader_zhao")


def _template(client_msg_id: str | None = None) -> dict:
    body = {
        "touser": OPENID,
        "template_id": "tmpl_weekly",
        "url": "https://example.org/report",
        "data": {"thing1": {"value": "本周送教 3 场"}},
    }
    if client_msg_id:
        body["client_msg_id"] = client_msg_id
    return body


async def test_same_client_msg_id_returns_same_msgid_and_is_delivered_once(sandbox):
    first = await sandbox.call("/cgi-bin/message/template/send", _template("weekly-2025-20"))
    again = await sandbox.call("/cgi-bin/message/template/send", _template("weekly-2025-20"))
    assert first["errcode"] == again["errcode"] == 0
    assert first["msgid"] == again["msgid"]
    assert len(await read_outbox(sandbox.url, kind="template_send")) == 2
    assert len(await read_outbox(sandbox.url, kind="template_send", delivered=1)) == 1
    assert (await sandbox.stats())["delivered"]["template_send"] == 1


async def test_client_msg_id_dedupes_for_ten_minutes_only(sandbox):
    # "对于同一个openid + client_msg_id, 只发送一条消息, 10分钟有效, 超过10分钟不保证效果"
    first = await sandbox.call("/cgi-bin/message/template/send", _template("weekly-2025-21"))
    sandbox.state.advance(599)
    inside = await sandbox.call("/cgi-bin/message/template/send", _template("weekly-2025-21"))
    assert inside["msgid"] == first["msgid"]
    sandbox.state.advance(2)  # ten minutes after the first send, not after the repeat
    past = await sandbox.call("/cgi-bin/message/template/send", _template("weekly-2025-21"))
    assert past["errcode"] == 0 and past["msgid"] != first["msgid"]
    assert len(await read_outbox(sandbox.url, kind="template_send", delivered=1)) == 2


async def test_client_msg_id_dedupes_per_openid(sandbox):
    mine = await sandbox.call("/cgi-bin/message/template/send", _template("weekly-2025-22"))
    other = {**_template("weekly-2025-22"), "touser": openid_for("leader_qian")}
    theirs = await sandbox.call("/cgi-bin/message/template/send", other)
    assert mine["msgid"] != theirs["msgid"]
    assert len(await read_outbox(sandbox.url, kind="template_send", delivered=1)) == 2


async def test_template_pagepath_must_be_a_page_of_the_released_app(sandbox):
    # "pagepath ... 要求该小程序已发布": only pages of miniprogram/app.json open.
    def body(pagepath: str) -> dict:
        return {**_template(), "miniprogram": {"appid": "wx_mp", "pagepath": pagepath}}

    send = "/cgi-bin/message/template/send"
    assert (await sandbox.call(send, body("pages/activity/index?id=3")))["errcode"] == 0
    for missing in ("pages/activity/detail?id=3", "pages/index/index", "index?foo=bar"):
        assert (await sandbox.call(send, body(missing)))["errcode"] == 41030
    assert len(await read_outbox(sandbox.url, kind="template_send", delivered=1)) == 1


async def test_template_messages_without_client_msg_id_are_separate(sandbox):
    first = await sandbox.call("/cgi-bin/message/template/send", _template())
    second = await sandbox.call("/cgi-bin/message/template/send", _template())
    assert first["msgid"] != second["msgid"]


async def test_template_message_needs_user_and_template(sandbox):
    assert (await sandbox.call("/cgi-bin/message/template/send", {}))["errcode"] == 40003
    body = {**_template(), "template_id": ""}
    assert (await sandbox.call("/cgi-bin/message/template/send", body))["errcode"] == 40037


async def test_custom_text_message_is_accepted(sandbox):
    body = {"touser": OPENID, "msgtype": "text", "text": {"content": "欢迎关注送教通"}}
    answer = await sandbox.call("/cgi-bin/message/custom/send", body)
    assert answer == {"errcode": 0, "errmsg": "ok"}
    [entry] = await read_outbox(sandbox.url, kind="custom_send")
    assert entry["touser"] == OPENID and entry["request"]["text"]["content"] == "欢迎关注送教通"


async def test_custom_message_with_unknown_type_is_refused(sandbox):
    body = {"touser": OPENID, "msgtype": "hologram", "hologram": {}}
    assert (await sandbox.call("/cgi-bin/message/custom/send", body))["errcode"] == 40008


async def test_malformed_json_is_data_format_error(sandbox):
    token = await sandbox.token()
    response = await sandbox.http.post(
        f"{sandbox.url}/cgi-bin/message/custom/send",
        params={"access_token": token},
        content=b"{not json",
    )
    assert response.json() == {"errcode": 47001, "errmsg": "data format error"}
