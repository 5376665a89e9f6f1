"""A follow or a scan asks WeChat (the 公众号's app) for the unionid that links a follower."""

from __future__ import annotations

import logging
import time

import httpx
import pytest

from bots.official_account import router
from server.delivery.models import Channel
from server.delivery.service import notify
from server.followers.models import Follower
from server.followers.service import follower_person, oa_openids_of
from server.wechat.sandbox import oa_openid_for, unionid_for
from tests.bots.callback import AES_KEY, WeChatServer, text_xml
from tests.conftest import MP_APPID, OA_APPID
from tests.delivery.helpers import settle
from tests.support.factories import login, make_person, unique
from tests.support.http import http_client
from tests.support.sandbox import read_outbox

START = "2026-11-25T14:30:00+08:00"


@pytest.fixture(autouse=True)
async def _bound_to_an_open_platform(client, sandbox_client):
    """These follows link by unionid: the mini-program is bound to a 微信开放平台 account."""
    resp = await sandbox_client.post("/sandbox/open_platform", json={"bound": True})
    assert resp.status_code == 200, resp.text


async def _teacher(client, name: str | None = None) -> tuple[int, str]:
    """A person who logged in to the mini-program; her 公众号 openid."""
    name = name or unique("linked-")
    person = await make_person()
    await login(client, name, person=person)
    return person.id, oa_openid_for(name)


async def _fault(sandbox_client: httpx.AsyncClient, **body) -> None:
    resp = await sandbox_client.post("/sandbox/faults", json={"kind": "user_info", **body})
    assert resp.status_code == 200, resp.text


async def test_subscribe_links_the_follower_so_notices_go_as_template_messages(
    client, wechat_server, sandbox_client
):
    name = unique("linked-")
    person_id, openid = await _teacher(client, name)
    assert await oa_openids_of([person_id]) == {}
    reply = await wechat_server.event(openid, "subscribe", EventKey="")
    assert "感谢关注" in reply.content
    [asked] = await read_outbox(sandbox_client, kind="user_info")
    assert asked["appid"] == OA_APPID and asked["request"]["openid"] == openid
    row = await Follower.get(oa_openid=openid)
    assert row.unionid == unionid_for(name)  # what jscode2session gave her mini-program login
    assert await follower_person(openid) == person_id
    assert await oa_openids_of([person_id]) == {person_id: openid}

    await notify(
        person_ids=[person_id],
        kind="activity_cancelled",
        key="activity:9:cancelled",
        title="送教下乡示范课取消",
        body="因天气原因活动取消。",
        fields={"time": START, "place": "青山镇中心幼儿园"},
        page="pages/activity/index?id=9",
    )
    [delivery] = await settle(key="activity:9:cancelled")
    assert delivery.channel == Channel.TEMPLATE
    [sent] = await read_outbox(sandbox_client, kind="template_send", delivered="true")
    assert sent["touser"] == openid
    assert sent["appid"] == OA_APPID  # the 公众号's token
    assert sent["request"]["miniprogram"]["appid"] == MP_APPID  # opens the mini-program


async def test_a_known_unionid_is_not_asked_for_again(client, wechat_server, sandbox_client):
    _, openid = await _teacher(client)
    await wechat_server.event(openid, "subscribe", EventKey="", at=1_700_000_000)
    await wechat_server.event(openid, "unsubscribe", EventKey="", at=1_700_000_100)
    await wechat_server.event(openid, "subscribe", EventKey="", at=1_700_000_200)
    await wechat_server.event(openid, "SCAN", EventKey="12345", Ticket="t")
    assert len(await read_outbox(sandbox_client, kind="user_info")) == 1


async def test_scan_links_a_follower_from_before_the_bot(client, wechat_server, sandbox_client):
    person_id, openid = await _teacher(client)
    assert not await Follower.exists(oa_openid=openid)
    reply = await wechat_server.event(openid, "SCAN", EventKey="bind:ab12cd34", Ticket="t")
    assert "邀请码是 AB12CD34" in reply.content
    row = await Follower.get(oa_openid=openid)
    assert row.subscribed and row.unionid
    assert await oa_openids_of([person_id]) == {person_id: openid}


async def test_a_follower_who_never_used_the_mini_program_stays_unlinked(
    client, wechat_server, sandbox_client
):
    openid = oa_openid_for(unique("stranger-"))
    await wechat_server.event(openid, "subscribe", EventKey="")
    row = await Follower.get(oa_openid=openid)
    assert row.unionid  # WeChat gives one, but no mini-program account has it
    assert await follower_person(openid) is None


async def test_user_info_refused_still_welcomes_and_logs_no_openid(
    client, wechat_server, sandbox_client, caplog
):
    caplog.set_level(logging.INFO)
    _, openid = await _teacher(client)
    await _fault(sandbox_client, errcode=-1, times=1)
    reply = await wechat_server.event(openid, "subscribe", EventKey="")
    assert "感谢关注" in reply.content
    row = await Follower.get(oa_openid=openid)
    assert row.subscribed and row.unionid is None
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "公众号 user info not read: errcode -1" in logged
    assert openid not in logged
    # Her next event asks again, and this time WeChat answers.
    await wechat_server.event(openid, "SCAN", EventKey="12345", Ticket="t")
    assert (await Follower.get(oa_openid=openid)).unionid is not None


async def test_slow_user_info_neither_delays_nor_defers_the_welcome(
    client, wechat_server, sandbox_client
):
    person_id, openid = await _teacher(client)
    await _fault(sandbox_client, delay=2.0, times=1)
    started = time.monotonic()
    reply = await wechat_server.event(openid, "subscribe", EventKey="")
    assert time.monotonic() - started < 1.5
    assert "感谢关注" in reply.content  # the passive reply, not a deferred message
    assert await read_outbox(sandbox_client, kind="custom_send") == []
    await router.drain()  # the look-up finished in the background
    assert await follower_person(openid) == person_id


async def test_safe_mode_opens_messages_sealed_with_the_official_account_appid(
    safe_api, safe_wechat_server
):
    openid = oa_openid_for(unique("safe-"))
    reply = await safe_wechat_server.say(openid, "帮助")
    assert reply.status == 200 and "回复以下关键词" in reply.content
    # Sealed with the mini-program's appid, it is not from our 公众号: refused.
    async with http_client(base_url=safe_api.url, timeout=15) as http:
        wrong = WeChatServer(http, aes_key=AES_KEY, appid=MP_APPID)
        refused = await wrong.post(text_xml(openid, "帮助"))
    assert refused.status == 403
