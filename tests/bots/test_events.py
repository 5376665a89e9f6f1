"""Follows, parametric QR codes, unfollows and WeChat's job-finished events."""

from __future__ import annotations

from urllib.parse import quote

from server.activities.codes import static_scene
from server.followers import events
from server.followers.models import Follower
from server.followers.service import follower_person, oa_openids_of, record_subscribe
from server.wechat.sandbox import unionid_for
from tests.bots.people import bind_open_platform, bound_follower, stranger
from tests.support.factories import login, make_activity, make_kindergarten, make_person


async def test_subscribe_welcomes_and_explains_binding(wechat_server):
    openid = stranger()
    reply = await wechat_server.event(openid, "subscribe", EventKey="")
    assert "感谢关注" in reply.content
    assert "使用小程序中的邀请码绑定身份" in reply.content
    row = await Follower.get(oa_openid=openid)
    assert row.subscribed and row.subscribed_at is not None and row.scene == ""


async def test_subscribe_through_a_binding_code_tells_how_to_finish(wechat_server):
    openid = stranger()
    reply = await wechat_server.event(openid, "subscribe", EventKey="qrscene_bind:AB12CD34")
    assert "邀请码是 AB12CD34" in reply.content
    assert "pages/bind/index?code=AB12CD34" in reply.content
    assert "感谢关注" in reply.content
    row = await Follower.get(oa_openid=openid)
    assert row.scene == "bind"  # the invitation code itself is not kept


async def test_scan_of_a_binding_code_by_a_follower(wechat_server):
    reply = await wechat_server.event(stranger(), "SCAN", EventKey="bind:ab12cd34", Ticket="t")
    assert "邀请码是 AB12CD34" in reply.content
    assert "感谢关注" not in reply.content


async def test_scan_of_a_checkin_code_links_to_the_mini_program(wechat_server):
    kg = await make_kindergarten()
    activity = await make_activity(kg)
    scene = static_scene(activity.code)
    reply = await wechat_server.event(stranger(), "SCAN", EventKey=f"checkin:{scene}", Ticket="t")
    assert 'data-miniprogram-appid="wx_test_appid"' in reply.content
    assert f'data-miniprogram-path="pages/checkin/index?scene={quote(scene, safe="")}"' in (
        reply.content
    )
    assert "签到" in reply.content


async def test_subscribe_through_a_checkin_code(wechat_server):
    kg = await make_kindergarten()
    scene = static_scene((await make_activity(kg)).code)
    openid = stranger()
    reply = await wechat_server.event(openid, "subscribe", EventKey=f"qrscene_checkin:{scene}")
    assert "pages/checkin/index?scene=" in reply.content
    assert (await Follower.get(oa_openid=openid)).scene == f"checkin:{scene}"


async def test_scan_of_a_bad_code_is_explained(wechat_server):
    for key in ("checkin:<script>", "bind:!!", "bind:"):
        reply = await wechat_server.event(stranger(), "SCAN", EventKey=key, Ticket="t")
        assert "已失效或无法识别" in reply.content, key
        assert "<script>" not in reply.content


async def test_scan_of_a_foreign_scene_gets_the_help(wechat_server):
    reply = await wechat_server.event(stranger(), "SCAN", EventKey="12345", Ticket="t")
    assert "回复以下关键词" in reply.content


async def test_unsubscribe_stops_template_messages(client, wechat_server):
    kg = await make_kindergarten()
    who, openid = await bound_follower(client, "teacher", scope_id=kg.id, teacher_of=kg)
    assert await oa_openids_of([who.person.id]) == {who.person.id: openid}
    reply = await wechat_server.event(openid, "unsubscribe", EventKey="")
    assert reply.text == "success"
    assert await oa_openids_of([who.person.id]) == {}
    row = await Follower.get(oa_openid=openid)
    assert not row.subscribed and row.unsubscribed_at is not None


async def test_follow_again_after_unfollow(wechat_server):
    openid = stranger()
    await wechat_server.event(openid, "subscribe", EventKey="", at=1_700_000_000)
    await wechat_server.event(openid, "unsubscribe", EventKey="", at=1_700_000_100)
    await wechat_server.event(openid, "subscribe", EventKey="", at=1_700_000_200)
    assert (await Follower.get(oa_openid=openid)).subscribed
    assert await Follower.filter(oa_openid=openid).count() == 1


async def test_template_send_job_finished_is_recorded_for_delivery(wechat_server, api):
    reply = await wechat_server.event(
        stranger(), "TEMPLATESENDJOBFINISH", MsgID=200163836, Status="failed:user block"
    )
    assert reply.text == "success"
    result = await events.template_send_result(redis=api.app.ctx.runtime.redis, msgid=200163836)
    assert result["outcome"] == "user_block"
    ok = await wechat_server.event(
        stranger(), "TEMPLATESENDJOBFINISH", MsgID=200163837, Status="success"
    )
    assert ok.text == "success"
    result = await events.template_send_result(redis=api.app.ctx.runtime.redis, msgid=200163837)
    assert result["outcome"] == "delivered"


async def test_view_and_location_events_need_no_answer(wechat_server):
    view = await wechat_server.event(stranger(), "VIEW", EventKey="https://example.invalid/")
    assert view.text == "success"
    where = await wechat_server.event(
        stranger(), "LOCATION", Latitude="28.2", Longitude="112.9", Precision="30"
    )
    assert where.text == "success"


# ---- the person behind a follower ------------------------------------------------------


async def test_follower_is_linked_through_the_unionid(client):
    await bind_open_platform()
    person = await make_person()
    await login(client, "linked-teacher", person=person)
    await record_subscribe(oa_openid=stranger(), unionid="nobody")
    openid = stranger()
    await record_subscribe(oa_openid=openid, unionid=unionid_for("linked-teacher"))
    assert await follower_person(openid) == person.id
    assert (await Follower.get(oa_openid=openid)).person_id == person.id


async def test_binding_in_the_mini_program_after_following_counts_at_once(client):
    await bind_open_platform()
    openid = stranger()
    await record_subscribe(oa_openid=openid, unionid=unionid_for("binds-later"))
    await login(client, "binds-later")
    assert await follower_person(openid) is None
    person = await make_person()
    await login(client, "binds-later", person=person)
    assert await follower_person(openid) == person.id
    assert await oa_openids_of([person.id]) == {person.id: openid}


async def test_unknown_openid_has_no_person(api):
    assert await follower_person(stranger()) is None
    assert await oa_openids_of([]) == {}
