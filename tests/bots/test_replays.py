"""WeChat's retries are answered once, across workers; slow answers follow as messages."""

from __future__ import annotations

import asyncio

from bots.official_account import handlers, router
from server.followers.models import Follower
from tests.bots.callback import event_xml, next_msgid, text_xml
from tests.bots.conftest import SHORT_BUDGET
from tests.bots.people import stranger


def _counting(monkeypatch, keyword: str = "帮助") -> list:
    calls = []
    original = handlers.KEYWORDS[keyword]

    async def counted(message, ctx):
        calls.append(message.id)
        return await original(message, ctx)

    monkeypatch.setitem(handlers.KEYWORDS, keyword, counted)
    return calls


async def test_same_msgid_twice_is_handled_once(wechat_server, monkeypatch):
    calls = _counting(monkeypatch)
    xml = text_xml(stranger(), "帮助", msgid=next_msgid())
    first = await wechat_server.post(xml)
    again = await wechat_server.post(xml)
    assert "本周活动" in first.content
    assert again.status == 200 and again.text == "success"
    assert len(calls) == 1


async def test_three_retries_are_all_answered_success(wechat_server, monkeypatch):
    calls = _counting(monkeypatch)
    xml = text_xml(stranger(), "帮助", msgid=next_msgid())
    answers = [await wechat_server.post(xml) for _ in range(4)]
    assert [a.text == "success" for a in answers] == [False, True, True, True]
    assert len(calls) == 1


async def test_retries_racing_each_other_are_handled_once(wechat_server, monkeypatch):
    calls = _counting(monkeypatch)
    xml = text_xml(stranger(), "帮助", msgid=next_msgid())
    answers = await asyncio.gather(*(wechat_server.post(xml) for _ in range(5)))
    assert sum(a.text != "success" for a in answers) == 1
    assert len(calls) == 1


async def test_a_retry_reaching_another_worker_is_not_handled_again(
    wechat_server, slow_wechat_server, monkeypatch
):
    # Two apps with one Redis stand for two workers (two hosts with the services backend).
    calls = _counting(monkeypatch)
    xml = text_xml(stranger(), "帮助", msgid=next_msgid())
    first = await wechat_server.post(xml)
    retry = await slow_wechat_server.post(xml)
    assert "本周活动" in first.content and retry.text == "success"
    assert len(calls) == 1


async def test_different_messages_are_each_handled(wechat_server, monkeypatch):
    calls = _counting(monkeypatch)
    openid = stranger()
    for _ in range(3):
        reply = await wechat_server.say(openid, "帮助")
        assert "本周活动" in reply.content
    assert len(calls) == 3


async def test_event_retries_are_deduplicated_by_sender_and_time(wechat_server):
    openid = stranger()
    xml = event_xml(openid, "subscribe", EventKey="", at=1_700_000_000)
    first = await wechat_server.post(xml)
    again = await wechat_server.post(xml)
    assert "感谢关注" in first.content and again.text == "success"
    later = await wechat_server.post(event_xml(openid, "subscribe", EventKey="", at=1_700_000_001))
    assert "感谢关注" in later.content
    assert await Follower.filter(oa_openid=openid).count() == 1


async def test_safe_mode_retries_are_deduplicated_too(safe_wechat_server, monkeypatch):
    calls = _counting(monkeypatch)
    xml = text_xml(stranger(), "帮助", msgid=next_msgid())
    first = await safe_wechat_server.post(xml)
    again = await safe_wechat_server.post(xml)
    assert "本周活动" in first.content and again.text == "success"
    assert len(calls) == 1


# ---- the reply budget --------------------------------------------------------------------


async def test_slow_answer_says_success_at_once_then_follows_as_a_custom_message(
    slow_wechat_server, outbox, monkeypatch
):
    async def slow(message, ctx):
        await asyncio.sleep(SHORT_BUDGET * 3)
        return "慢慢查好的结果"

    monkeypatch.setitem(handlers.KEYWORDS, "统计", slow)
    openid = stranger()
    started = asyncio.get_running_loop().time()
    reply = await slow_wechat_server.say(openid, "统计")
    assert reply.status == 200 and reply.text == "success"
    assert asyncio.get_running_loop().time() - started < SHORT_BUDGET * 2.5
    assert not await outbox(kind="custom_send", touser=openid)
    await router.drain()
    sent = await outbox(kind="custom_send", touser=openid)
    assert len(sent) == 1
    assert sent[0]["request"]["msgtype"] == "text"
    assert sent[0]["request"]["text"]["content"] == "慢慢查好的结果"
    assert sent[0]["delivered"]


async def test_fast_answer_within_the_budget_is_a_passive_reply(slow_wechat_server, outbox):
    openid = stranger()
    reply = await slow_wechat_server.say(openid, "帮助")
    assert "本周活动" in reply.content
    await router.drain()
    assert not await outbox(kind="custom_send", touser=openid)


async def test_slow_answer_is_sent_once_even_when_wechat_retries(
    slow_wechat_server, outbox, monkeypatch
):
    async def slow(message, ctx):
        await asyncio.sleep(SHORT_BUDGET * 2)
        return "只发一次"

    monkeypatch.setitem(handlers.KEYWORDS, "统计", slow)
    openid = stranger()
    xml = text_xml(openid, "统计", msgid=next_msgid())
    answers = [await slow_wechat_server.post(xml) for _ in range(3)]
    assert all(a.text == "success" for a in answers)
    await router.drain()
    assert len(await outbox(kind="custom_send", touser=openid)) == 1


async def test_slow_handler_that_fails_sends_an_apology(slow_wechat_server, outbox, monkeypatch):
    async def slow_and_broken(message, ctx):
        await asyncio.sleep(SHORT_BUDGET * 2)
        raise RuntimeError("bug")

    monkeypatch.setitem(handlers.KEYWORDS, "统计", slow_and_broken)
    openid = stranger()
    assert (await slow_wechat_server.say(openid, "统计")).text == "success"
    await router.drain()
    sent = await outbox(kind="custom_send", touser=openid)
    assert "稍后再试" in sent[0]["request"]["text"]["content"]
