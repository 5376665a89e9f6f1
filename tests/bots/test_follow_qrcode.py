"""Without unionid: a person's own follow code, scanned with WeChat, links her follower to her."""

from __future__ import annotations

from server.accounts.models import Account
from server.audit.models import AuditEntry
from server.delivery.models import Channel
from server.delivery.service import notify
from server.followers.models import Follower
from server.followers.service import follower_person, oa_openids_of
from server.wechat.sandbox import oa_openid_for
from tests.delivery.helpers import settle
from tests.support.factories import login, login_as, make_kindergarten, make_person, unique
from tests.support.sandbox import read_outbox

START = "2026-11-25T14:30:00+08:00"
LINKED = "已与送教通账号关联"


async def _without_open_platform(sandbox_client) -> None:
    """The mini-program is not bound to an open-platform account (no unionid), events on."""
    resp = await sandbox_client.post("/sandbox/open_platform", json={"bound": False})
    assert resp.status_code == 200, resp.text
    resp = await sandbox_client.post("/sandbox/event_push", json={})
    assert resp.status_code == 200, resp.text


async def _teacher(client):
    kg = await make_kindergarten()
    who = await login_as(client, "teacher", scope_id=kg.id, teacher_of=kg)
    account = await Account.get(person_id=who.person.id)
    assert account.unionid is None  # nothing ties her two openids together
    return who


async def _code(client, who) -> dict:
    resp = await client.get("/api/v1/me/follow-qrcode", headers=who.headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


async def _scan(sandbox_client, url: str, openid: str, **extra) -> dict:
    resp = await sandbox_client.post(
        "/sandbox/qrcode/scan", json={"url": url, "openid": openid, **extra}
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


async def test_a_new_follower_scanning_her_code_is_linked_and_gets_her_template_messages(
    client, wechat_server, sandbox_client
):
    await _without_open_platform(sandbox_client)
    who = await _teacher(client)
    person_id = who.person.id
    code = await _code(client, who)
    assert code["linked"] is False and code["url"].startswith("http://weixin.qq.com/q/")
    [made] = await read_outbox(sandbox_client, kind="qrcode_create")
    request = made["request"]
    assert request["action_name"] == "QR_STR_SCENE" and request["expire_seconds"] == 2592000
    scene = request["action_info"]["scene"]["scene_str"]
    assert scene.startswith("bind:") and len(scene) <= 64
    assert len(scene.split(".")) == 4  # person, expiry, nonce and signature: never a bare id

    openid = oa_openid_for(unique("qr-follower-"))
    scanned = await _scan(sandbox_client, code["url"], openid)
    assert scanned["event"] == "subscribe" and scanned["status"] == 200
    assert LINKED in scanned["reply"] and "感谢关注" in scanned["reply"]
    assert await follower_person(openid) == person_id
    assert await oa_openids_of([person_id]) == {person_id: openid}
    assert (await _code(client, who))["linked"] is True
    [entry] = await AuditEntry.filter(action="follower.link")
    assert entry.actor_id == person_id and entry.detail["via"] == "qrcode"

    await notify(
        person_ids=[person_id],
        kind="activity_cancelled",
        key="activity:19:cancelled",
        title="送教下乡示范课取消",
        body="因天气原因活动取消。",
        fields={"time": START, "place": "青山镇中心幼儿园"},
        page="pages/activity/index?id=19",
    )
    [delivery] = await settle(key="activity:19:cancelled")
    assert delivery.channel == Channel.TEMPLATE
    [sent] = await read_outbox(sandbox_client, kind="template_send", delivered="true")
    assert sent["touser"] == openid

    reply = await wechat_server.say(openid, "我的签到")
    assert "本学期" in reply.content and "还没有绑定身份" not in reply.content


async def test_a_follower_scanning_her_code_gets_scan_and_is_linked(
    client, wechat_server, sandbox_client
):
    await _without_open_platform(sandbox_client)
    who = await _teacher(client)
    openid = oa_openid_for(unique("qr-follower-"))
    await wechat_server.event(openid, "subscribe", EventKey="")
    assert await follower_person(openid) is None
    unbound = await wechat_server.say(openid, "本周活动")
    assert "还没有绑定身份" in unbound.content

    scanned = await _scan(sandbox_client, (await _code(client, who))["url"], openid, follows=True)
    assert scanned["event"] == "SCAN" and LINKED in scanned["reply"]
    assert "感谢关注" not in scanned["reply"]
    assert await follower_person(openid) == who.person.id
    reply = await wechat_server.say(openid, "本周活动")
    assert "还没有绑定身份" not in reply.content and "本周活动" in reply.content


async def test_the_code_is_made_once_and_kept_until_used(client, sandbox_client):
    await _without_open_platform(sandbox_client)
    who = await _teacher(client)
    first, again = await _code(client, who), await _code(client, who)
    assert first["url"] == again["url"]
    png = await client.get("/api/v1/me/follow-qrcode.png", headers=who.headers)
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    assert len(await read_outbox(sandbox_client, kind="qrcode_create")) == 1
    await _scan(sandbox_client, first["url"], oa_openid_for(unique("qr-follower-")))
    fresh = await _code(client, who)
    assert fresh["linked"] is True and fresh["url"] != first["url"]
    assert len(await read_outbox(sandbox_client, kind="qrcode_create")) == 2


async def test_a_forged_or_altered_scene_links_nobody(client, wechat_server, sandbox_client):
    await _without_open_platform(sandbox_client)
    who = await _teacher(client)
    victim = await make_person()
    await _code(client, who)
    [made] = await read_outbox(sandbox_client, kind="qrcode_create")
    scene = made["request"]["action_info"]["scene"]["scene_str"]
    person36, expires36, nonce, mac = scene.removeprefix("bind:").split(".")
    victim36 = _to36(victim.id)
    forged = [
        f"bind:{victim36}.{expires36}.{nonce}.{mac}",  # another person, same signature
        f"bind:{person36}.{_to36(int(expires36, 36) + 86400)}.{nonce}.{mac}",  # longer life
        f"bind:{person36}.{expires36}.{nonce}.{'A' * 22}",  # a made-up signature
        f"bind:{person36}",  # a raw id
    ]
    for key in forged:
        openid = oa_openid_for(unique("forger-"))
        reply = await wechat_server.event(openid, "subscribe", EventKey=f"qrscene_{key}")
        assert "已失效或无法识别" in reply.content, key
        assert await follower_person(openid) is None, key
    assert await oa_openids_of([who.person.id, victim.id]) == {}
    assert not await AuditEntry.filter(action="follower.link").exists()


async def test_a_used_code_links_nobody_else_and_the_same_scan_again_changes_nothing(
    client, wechat_server, sandbox_client
):
    await _without_open_platform(sandbox_client)
    who = await _teacher(client)
    url = (await _code(client, who))["url"]
    mine = oa_openid_for(unique("qr-follower-"))
    await _scan(sandbox_client, url, mine)
    again = await _scan(sandbox_client, url, mine)  # she scans it once more: SCAN now
    assert again["event"] == "SCAN" and "无需重复扫码" in again["reply"]
    other = oa_openid_for(unique("photo-"))
    taken = await _scan(sandbox_client, url, other)
    assert "已经使用过了" in taken["reply"]
    assert await follower_person(other) is None
    assert await oa_openids_of([who.person.id]) == {who.person.id: mine}
    assert await AuditEntry.filter(action="follower.link").count() == 1


async def test_another_persons_follower_is_not_moved_to_her(client, sandbox_client):
    await _without_open_platform(sandbox_client)
    first, second = await _teacher(client), await _teacher(client)
    openid = oa_openid_for(unique("shared-phone-"))
    await _scan(sandbox_client, (await _code(client, first))["url"], openid)
    refused = await _scan(sandbox_client, (await _code(client, second))["url"], openid)
    assert "已关联另一位用户" in refused["reply"]
    assert await follower_person(openid) == first.person.id
    assert await oa_openids_of([second.person.id]) == {}


async def test_wechat_refusing_the_code_is_explained_and_the_next_try_makes_one(
    client, sandbox_client
):
    await _without_open_platform(sandbox_client)
    who = await _teacher(client)
    fault = {"kind": "qrcode_create", "errcode": -1, "times": 1}
    assert (await sandbox_client.post("/sandbox/faults", json=fault)).status_code == 200
    refused = await client.get("/api/v1/me/follow-qrcode", headers=who.headers)
    assert refused.status_code == 503 and refused.json()["error"] == "wechat_unavailable"
    assert "二维码" in refused.json()["message"]
    assert (await _code(client, who))["url"].startswith("http://weixin.qq.com/q/")


async def test_an_account_without_a_person_gets_no_code(client, sandbox_client):
    who = await login(client, unique("unbound-"))
    resp = await client.get("/api/v1/me/follow-qrcode", headers=who.headers)
    assert resp.status_code == 400 and resp.json()["error"] == "not_bound"
    assert await read_outbox(sandbox_client, kind="qrcode_create") == []
    assert not await Follower.exists()


def _to36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out
