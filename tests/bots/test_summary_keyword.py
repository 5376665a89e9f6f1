"""统计 for leaders: the latest summary's key numbers and a link to its page, made on demand."""

from __future__ import annotations

from server.reports.jobs import send_weekly_summaries
from server.reports.models import Summary
from tests.bots.people import bound_follower
from tests.reports.summary_world import MONDAY_RUN, make_county
from tests.support.factories import make_kindergarten


async def test_a_leader_gets_his_latest_summary_with_its_numbers_and_page(client, wechat_server):
    county = await make_county()
    _, openid = await bound_follower(
        client, "leader", scope_kind="region", scope_id=county.w.region.id
    )
    await send_weekly_summaries(at=MONDAY_RUN)
    summary = await Summary.get(scope_kind="region", scope_id=county.w.region.id)
    reply = await wechat_server.say(openid, "统计")
    text = reply.content
    assert f"{county.w.region.name} 工作周报（2026年6月1日—6月7日）" in text
    assert "开展活动 3 场" in text and "签到 3 人次" in text and "送教课时 3 课时" in text
    assert "覆盖教师 2 人" in text and "进度预警 4 条（1 个结对）" in text
    assert f'data-miniprogram-path="pages/summary/index?id={summary.id}"' in text
    assert len(text.encode()) <= 2048
    # The menu's 工作统计 button answers the same.
    clicked = await wechat_server.event(openid, "CLICK", EventKey="SUMMARY")
    assert clicked.content == text


async def test_a_leader_without_any_summary_gets_one_made_now(client, wechat_server):
    kg = await make_kindergarten()
    _, openid = await bound_follower(client, "leader", scope_kind="region", scope_id=kg.region_id)
    assert not await Summary.exists()
    reply = await wechat_server.say(openid, "统计")
    made = await Summary.get(scope_kind="region", scope_id=kg.region_id)
    assert made.kind == "weekly"
    assert "开展活动 0 场" in reply.content and f"?id={made.id}" in reply.content


async def test_an_alliance_leader_gets_the_alliance_summary(client, wechat_server):
    county = await make_county()
    _, openid = await bound_follower(
        client, "leader", scope_kind="alliance", scope_id=county.w.alliance.id
    )
    await send_weekly_summaries(at=MONDAY_RUN)
    reply = await wechat_server.say(openid, "统计")
    assert f"{county.w.alliance.name} 工作周报" in reply.content


async def test_a_director_is_told_politely_and_nothing_is_made(client, wechat_server):
    kg = await make_kindergarten()
    _, openid = await bound_follower(client, "director", scope_id=kg.id)
    reply = await wechat_server.say(openid, "统计")
    assert "暂不能查看" in reply.content
    assert not await Summary.exists()
