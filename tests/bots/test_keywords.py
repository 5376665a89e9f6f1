"""Every keyword and menu key, for bound followers, unbound ones and the wrong roles."""

from __future__ import annotations

import uuid
from datetime import timedelta

from server.activities.codes import static_scene
from server.activities.models import ActivityKind, ActivityStatus, AudienceMode
from server.common.semester import semester_of
from server.common.time import now
from tests.bots.people import bound_follower, stranger
from tests.support.factories import (
    make_activity,
    make_child,
    make_class,
    make_kindergarten,
    unique,
)

HELP_MARKERS = ("本周活动", "我的签到", "开放日", "统计", "帮助")


def _is_help(text: str) -> bool:
    return all(marker in text for marker in HELP_MARKERS) and "邀请码" in text


async def test_help_lists_every_keyword_and_how_to_bind(wechat_server):
    reply = await wechat_server.say(stranger(), "帮助")
    assert reply.status == 200
    assert reply.xml["MsgType"] == "text"
    assert _is_help(reply.content)
    assert 'data-miniprogram-appid="wx_test_appid"' in reply.content
    assert 'data-miniprogram-path="pages/bind/index"' in reply.content


async def test_anything_else_gets_the_help(wechat_server):
    for text in ("你好", "随便说点什么", "？", "x" * 500):
        reply = await wechat_server.say(stranger(), text)
        assert _is_help(reply.content), text


async def test_keywords_tolerate_spaces_and_punctuation(wechat_server):
    reply = await wechat_server.say(stranger(), " 帮助？ ")
    assert _is_help(reply.content)


async def test_pictures_and_voice_get_the_help(wechat_server):
    from tests.bots.callback import OA_ID, next_msgid

    openid = stranger()
    body = (
        f"<xml><ToUserName>{OA_ID}</ToUserName><FromUserName>{openid}</FromUserName>"
        f"<CreateTime>1700000000</CreateTime><MsgType>image</MsgType>"
        f"<PicUrl>http://example.invalid/a.jpg</PicUrl><MediaId>m</MediaId>"
        f"<MsgId>{next_msgid()}</MsgId></xml>"
    )
    reply = await wechat_server.post(body)
    assert _is_help(reply.content)


async def test_unbound_follower_asking_for_personal_data_is_told_how_to_bind(wechat_server):
    for keyword in ("本周活动", "我的签到", "开放日", "统计"):
        reply = await wechat_server.say(stranger(), keyword)
        assert "还没有绑定身份" in reply.content, keyword
        assert "邀请码" in reply.content


async def test_week_activities_lists_this_weeks_visible_activities(client, wechat_server):
    kg = await make_kindergarten()
    _, openid = await bound_follower(client, "teacher", scope_id=kg.id, teacher_of=kg)
    shown = await make_activity(kg, title=unique("本周送教"))
    draft = await make_activity(kg, title=unique("草稿活动"), status=ActivityStatus.DRAFT)
    later = await make_activity(kg, title=unique("下月活动"), starts_at=now() + timedelta(days=40))
    elsewhere = await make_activity(await make_kindergarten(), title=unique("别园活动"))
    reply = await wechat_server.say(openid, "本周活动")
    assert shown.title in reply.content
    assert "送教下乡" in reply.content
    for hidden in (draft, later, elsewhere):
        assert hidden.title not in reply.content


async def test_week_activities_says_so_when_there_are_none(client, wechat_server):
    kg = await make_kindergarten()
    _, openid = await bound_follower(client, "teacher", scope_id=kg.id, teacher_of=kg)
    reply = await wechat_server.say(openid, "本周活动")
    assert "本周暂无" in reply.content


async def test_long_week_list_is_cut_to_fit_a_reply(client, wechat_server):
    kg = await make_kindergarten()
    _, openid = await bound_follower(client, "teacher", scope_id=kg.id, teacher_of=kg)
    for _ in range(30):
        await make_activity(kg, title=unique("很长很长的送教下乡示范课活动标题"))
    reply = await wechat_server.say(openid, "本周活动")
    assert len(reply.content.encode()) <= 2048
    assert "请在小程序中查看全部" in reply.content


async def test_my_checkins_shows_recent_checkins_and_semester_hours(client, wechat_server):
    kg = await make_kindergarten()
    who, openid = await bound_follower(client, "teacher", scope_id=kg.id, teacher_of=kg)
    activity = await make_activity(kg, title=unique("送教示范课"))
    body = {
        "scene": static_scene(activity.code),
        "nonce": uuid.uuid4().hex,
        "lat": 28.2,
        "lng": 112.9,
    }
    resp = await client.post("/api/v1/checkins", json=body, headers=who.headers)
    assert resp.status_code in (200, 201), resp.text
    reply = await wechat_server.say(openid, "我的签到")
    assert activity.title in reply.content
    assert f"本学期（{semester_of(now())}）课时：共 2 课时" in reply.content
    assert "参训 2" in reply.content


async def test_my_checkins_without_any(client, wechat_server):
    kg = await make_kindergarten()
    _, openid = await bound_follower(client, "teacher", scope_id=kg.id, teacher_of=kg)
    reply = await wechat_server.say(openid, "我的签到")
    assert "共 0 课时" in reply.content
    assert "暂无签到记录" in reply.content


async def test_open_days_lists_coming_open_days_for_parents(client, wechat_server):
    kg = await make_kindergarten()
    child = await make_child(await make_class(kg))
    _, openid = await bound_follower(client, "parent", scope_kind="child", scope_id=child.id)
    open_day = await make_activity(
        kg,
        title=unique("家长开放日"),
        kind=ActivityKind.OPEN_DAY,
        audience_mode=AudienceMode.FAMILIES,
        starts_at=now() + timedelta(days=3),
    )
    lecture = await make_activity(
        kg, title=unique("专题讲座"), kind=ActivityKind.LECTURE, starts_at=now() + timedelta(days=3)
    )
    reply = await wechat_server.say(openid, "开放日")
    assert open_day.title in reply.content
    assert lecture.title not in reply.content
    assert "小程序" in reply.content


async def test_open_days_when_none_are_coming(client, wechat_server):
    kg = await make_kindergarten()
    child = await make_child(await make_class(kg))
    _, openid = await bound_follower(client, "parent", scope_kind="child", scope_id=child.id)
    reply = await wechat_server.say(openid, "开放日")
    assert "近期暂无家长开放日" in reply.content


async def test_summary_for_a_leader_names_the_scope_without_made_up_numbers(client, wechat_server):
    kg = await make_kindergarten()
    _, openid = await bound_follower(client, "leader", scope_kind="region", scope_id=kg.region_id)
    reply = await wechat_server.say(openid, "统计")
    region = await kg.region
    assert region.name in reply.content
    assert "每周一" in reply.content


async def test_summary_for_a_teacher_is_politely_refused(client, wechat_server):
    kg = await make_kindergarten()
    _, openid = await bound_follower(client, "teacher", scope_id=kg.id, teacher_of=kg)
    reply = await wechat_server.say(openid, "统计")
    assert "暂不能查看" in reply.content
    assert "每周一" not in reply.content


async def test_summary_for_a_parent_is_politely_refused(client, wechat_server):
    kg = await make_kindergarten()
    child = await make_child(await make_class(kg))
    _, openid = await bound_follower(client, "parent", scope_kind="child", scope_id=child.id)
    reply = await wechat_server.say(openid, "统计")
    assert "暂不能查看" in reply.content


async def test_menu_clicks_run_the_same_handlers(client, wechat_server):
    kg = await make_kindergarten()
    _, openid = await bound_follower(client, "teacher", scope_id=kg.id, teacher_of=kg)
    activity = await make_activity(kg, title=unique("菜单活动"))
    week = await wechat_server.event(openid, "CLICK", EventKey="WEEK_ACTIVITIES")
    assert activity.title in week.content
    mine = await wechat_server.event(openid, "CLICK", EventKey="MY_CHECKINS")
    assert "课时" in mine.content
    days = await wechat_server.event(openid, "CLICK", EventKey="OPEN_DAYS")
    assert "开放日" in days.content
    summary = await wechat_server.event(openid, "CLICK", EventKey="SUMMARY")
    assert "暂不能查看" in summary.content
    helped = await wechat_server.event(openid, "CLICK", EventKey="HELP")
    assert _is_help(helped.content)
    unknown = await wechat_server.event(openid, "CLICK", EventKey="REMOVED_LAST_YEAR")
    assert _is_help(unknown.content)


async def test_a_handler_failure_answers_politely_not_with_an_error(
    client, wechat_server, monkeypatch
):
    from bots.official_account import handlers

    async def broken(message, ctx):
        raise RuntimeError("bug")

    monkeypatch.setitem(handlers.KEYWORDS, "帮助", broken)
    reply = await wechat_server.say(stranger(), "帮助")
    assert reply.status == 200
    assert "稍后再试" in reply.content
