"""Sandbox control: outbox filters, stats, reset; mounting under a prefix; separate state."""

from __future__ import annotations

from sanic import Sanic

from server.wechat.sandbox import create_sandbox_app, create_sandbox_blueprint, openid_for
from tests.support.sandbox import read_outbox
from tests.support.servers import start_server
from tests.wechat.helpers import APPID, SECRET, unique

A, B = openid_for("teacher_a"), openid_for("teacher_b")


def _text(openid: str) -> dict:
    return {"touser": openid, "msgtype": "text", "text": {"content": "你好"}}


async def test_outbox_filters_by_kind_touser_and_since_id(sandbox):
    await sandbox.call("/cgi-bin/message/custom/send", _text(A))
    await sandbox.call("/cgi-bin/message/custom/send", _text(B))
    all_custom = await read_outbox(sandbox.url, kind="custom_send")
    assert [e["touser"] for e in all_custom] == [A, B]
    assert [e["touser"] for e in await read_outbox(sandbox.url, touser=B)] == [B]
    later = await read_outbox(sandbox.url, kind="custom_send", since_id=all_custom[0]["id"])
    assert [e["touser"] for e in later] == [B]
    entry = all_custom[0]
    assert entry["errcode"] == 0 and entry["delivered"] and entry["time"]
    assert "access_token" not in entry["request"]


async def test_deleting_the_outbox_keeps_ids_growing(sandbox):
    await sandbox.call("/cgi-bin/message/custom/send", _text(A))
    last = (await read_outbox(sandbox.url))[-1]["id"]
    await sandbox.http.delete(f"{sandbox.url}/sandbox/outbox")
    assert await read_outbox(sandbox.url) == []
    await sandbox.call("/cgi-bin/message/custom/send", _text(A))
    assert all(e["id"] > last for e in await read_outbox(sandbox.url))


async def test_stats_count_calls_and_deliveries_per_kind(sandbox):
    await sandbox.call("/cgi-bin/message/custom/send", _text(A))
    await sandbox.call("/cgi-bin/message/custom/send", {"touser": A, "msgtype": "nope"})
    stats = await sandbox.stats()
    assert stats["calls"]["custom_send"] == 2
    assert stats["delivered"]["custom_send"] == 1


async def test_reset_clears_tokens_quotas_faults_and_outbox(sandbox):
    token = await sandbox.token()
    await sandbox.grant(A, "tmpl", 3)
    await sandbox.fault(kind="custom_send", errcode=-1)
    await sandbox.http.post(f"{sandbox.url}/sandbox/reset")
    assert await read_outbox(sandbox.url) == []
    assert (await sandbox.stats())["calls"] == {}
    assert sandbox.state.subscriptions[(A, "tmpl")] == 0
    stale = await sandbox.http.post(
        f"{sandbox.url}/cgi-bin/message/custom/send",
        params={"access_token": token},
        json=_text(A),
    )
    assert stale.json()["errcode"] == 40001
    assert (await sandbox.call("/cgi-bin/message/custom/send", _text(A)))["errcode"] == 0


async def test_blueprint_works_under_a_prefix_and_sandboxes_do_not_share_state(http):
    app = Sanic(unique("prefixed_"))
    app.blueprint(create_sandbox_blueprint(appid=APPID, secret=SECRET, url_prefix="/_sandbox"))
    other_app = create_sandbox_app(appid=APPID, secret=SECRET, name=unique("other_"))
    server, other = await start_server(app), await start_server(other_app)
    try:
        body = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET}
        token = (await http.post(f"{server.url}/_sandbox/cgi-bin/stable_token", json=body)).json()[
            "access_token"
        ]
        upload = await http.post(
            f"{server.url}/_sandbox/cgi-bin/media/uploadimg",
            params={"access_token": token},
            files={"media": ("a.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 32)},
        )
        assert upload.json()["url"].startswith(f"{server.url}/_sandbox/sandbox/media/")
        assert (await http.get(upload.json()["url"])).status_code == 200
        elsewhere = await http.post(
            f"{other.url}/cgi-bin/message/custom/send",
            params={"access_token": token},
            json=_text(A),
        )
        assert elsewhere.json()["errcode"] == 40001
        outbox = await read_outbox(other.url)
        assert [e["kind"] for e in outbox] == ["custom_send"]
    finally:
        await server.stop()
        await other.stop()


async def test_unknown_media_is_not_found_with_a_chinese_message(sandbox):
    response = await sandbox.http.get(f"{sandbox.url}/sandbox/media/none")
    assert response.status_code == 404
    assert response.json()["message"] == "素材不存在"
