"""Each message goes out through its own WeChat app: subscribe messages the mini-program's."""

from __future__ import annotations

from server.accounts.models import Account
from server.delivery.models import Channel
from server.delivery.service import notify
from server.followers.service import record_subscribe
from tests.conftest import MP_APPID, OA_APPID
from tests.delivery.helpers import make_parent, settle, subscribed_parent
from tests.support.sandbox import read_outbox

START = "2026-11-25T14:30:00+08:00"


async def test_subscribe_message_with_mini_program_token_template_with_official_account_token(
    client, sandbox_client
):
    subscribed = await subscribed_parent(client, sandbox_client, kind="activity_cancelled")
    follower = await make_parent(client)
    unionid = "union_" + follower.openid[:20]
    await Account.filter(openid=follower.openid).update(unionid=unionid)
    await record_subscribe(oa_openid="oa_" + follower.openid[:20], unionid=unionid)
    await notify(
        person_ids=[subscribed.person_id, follower.person_id],
        kind="activity_cancelled",
        key="activity:11:cancelled",
        title="送教下乡示范课取消",
        body="因天气原因活动取消。",
        fields={"time": START, "place": "青山镇中心幼儿园"},
        page="pages/activity/index?id=11",
    )
    rows = await settle(key="activity:11:cancelled")
    assert {r.person_id: r.channel for r in rows} == {
        subscribed.person_id: Channel.SUBSCRIBE,
        follower.person_id: Channel.TEMPLATE,
    }
    [mini] = await read_outbox(sandbox_client, kind="subscribe_send", delivered="true")
    [oa] = await read_outbox(sandbox_client, kind="template_send", delivered="true")
    assert mini["appid"] == MP_APPID and mini["touser"] == subscribed.openid
    assert oa["appid"] == OA_APPID and oa["touser"] == "oa_" + follower.openid[:20]
    assert oa["request"]["miniprogram"]["appid"] == MP_APPID
