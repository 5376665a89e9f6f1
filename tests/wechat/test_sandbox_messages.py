"""Sandbox template and customer-service messages."""

from __future__ import annotations

from server.wechat.sandbox import openid_for

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
    assert len(await sandbox.outbox(kind="template_send")) == 2
    assert len(await sandbox.outbox(kind="template_send", delivered=1)) == 1
    assert (await sandbox.stats())["delivered"]["template_send"] == 1


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
    [entry] = await sandbox.outbox(kind="custom_send")
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
