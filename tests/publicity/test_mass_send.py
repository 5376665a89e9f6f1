"""群发: a published post is pushed to followers from a draft of its own, and counts as sent
only when WeChat's MASSSENDJOBFINISH says so (through the real sandbox over HTTP)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from server.common.time import now
from server.publicity import mass_send
from server.publicity.models import MassStatus, Post
from server.publicity.publish import wechat_for_posts
from server.wechat.errors import InvalidMedia
from server.wechat.sandbox.events import DELAY_S
from tests.bots.callback import follower_openid
from tests.bots.conftest import wechat_server  # noqa: F401 (fixture)
from tests.publicity.helpers import PUBLICITY, draft, published_post, wait_for
from tests.support.sandbox import read_outbox
from tests.support.world import make_world


async def _calls(sandbox_client, kind: str = "mass_sendall") -> list[dict]:
    return await read_outbox(sandbox_client, kind=kind)


async def _mass_send(client, world, post_id: int):
    return await client.post(f"/api/v1/posts/{post_id}/mass-send", headers=world.leader.headers)


async def _shown(client, world, post_id: int) -> dict:
    resp = await client.get(f"/api/v1/posts/{post_id}", headers=world.leader.headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


async def _settled(client, world, post_id: int) -> dict:
    """The post once WeChat's MASSSENDJOBFINISH has been recorded on it."""

    async def check():
        shown = await _shown(client, world, post_id)
        return shown if shown["mass"]["status"] in ("sent", "failed") else None

    return await wait_for(check)


async def test_old_flow_sendall_of_the_published_draft_is_refused(client, sandbox_client):
    """freepublish takes the draft out of the 草稿箱: its media_id cannot be mass sent."""
    world = await make_world(client, PUBLICITY)
    row = await published_post(client, world)
    with pytest.raises(InvalidMedia) as refused:
        await wechat_for_posts().mass_send_all(
            media_id=row.draft_media_id, clientmsgid="songjiao-old-flow"
        )
    assert refused.value.errcode == 40007
    [call] = await _calls(sandbox_client)
    assert call["errcode"] == 40007 and call["delivered"] is False


async def test_mass_send_reaches_followers_and_is_sent_only_after_wechat_reports_it(
    client, sandbox_client
):
    world = await make_world(client, PUBLICITY)
    row = await published_post(client, world)
    await sandbox_client.post("/sandbox/mass_outcome", json={"followers": 120, "errors": 3})
    before = await _shown(client, world, row.id)
    assert before["can"]["mass_send"] is True and before["mass"]["label"] == "未群发"

    resp = await _mass_send(client, world, row.id)
    assert resp.status_code == 200, resp.text
    submitted = resp.json()["mass"]
    # sendall only accepted the job: not sent yet, and the 群发保护 hint is shown.
    assert submitted["status"] == "submitted" and submitted["label"] == "已提交微信，等待群发结果"
    assert "群发保护" in submitted["message"] and submitted["msg_id"]
    assert submitted["sent_at"] is None and resp.json()["can"]["mass_send"] is False
    assert resp.json()["steps"][-1]["label"] == "提交群发"

    [sent] = await _calls(sandbox_client)
    [made] = [d for d in await _calls(sandbox_client, "draft_add")][-1:]
    stored = await Post.get(id=row.id)
    # Its own draft, not the published one (that one left the 草稿箱 when published).
    assert sent["request"]["mpnews"]["media_id"] == stored.mass_media_id != row.draft_media_id
    assert made["errcode"] == 0 and made["request"]["articles"][0]["title"] == row.title
    assert sent["errcode"] == 0 and sent["delivered"] is True
    assert sent["request"]["filter"] == {"is_to_all": True}
    assert sent["request"]["clientmsgid"] == f"songjiao-post-{row.id}"

    # The sandbox reports the job to the api's callback, as WeChat does.
    await sandbox_client.post("/sandbox/event_push")
    await _mass_send(client, world, row.id)  # already submitted: WeChat is not asked again
    assert len(await _calls(sandbox_client)) == 1
    await sandbox_client.delete("/sandbox/event_push")


async def test_wechat_report_of_success_records_counts_and_the_article_url(
    client, sandbox_client, sandbox
):
    world = await make_world(client, PUBLICITY)
    row = await published_post(client, world)
    await sandbox_client.post("/sandbox/mass_outcome", json={"followers": 120, "errors": 3})
    await sandbox_client.post("/sandbox/event_push")
    resp = await _mass_send(client, world, row.id)
    assert resp.status_code == 200 and resp.json()["mass"]["status"] == "submitted"

    shown = await _settled(client, world, row.id)
    mass = shown["mass"]
    assert mass["status"] == "sent" and mass["label"] == "已群发" and mass["sent_at"]
    assert (mass["total_count"], mass["sent_count"], mass["error_count"]) == (120, 117, 3)
    assert mass["wechat_status"] == "send success" and mass["message"] is None
    assert mass["article_url"].startswith(f"{sandbox.url}/sandbox/articles/")
    assert shown["steps"][-1]["label"] == "群发成功" and shown["can"]["mass_send"] is False
    # The outcome was confirmed with WeChat (message/mass/get), not taken from the event alone.
    [asked] = await _calls(sandbox_client, "mass_get")
    assert asked["request"]["msg_id"] == mass["msg_id"]

    # The 群发 draft is gone too: a second sendall of it is refused.
    stored = await Post.get(id=row.id)
    with pytest.raises(InvalidMedia):
        await wechat_for_posts().mass_send_all(media_id=stored.mass_media_id, clientmsgid="x")


@pytest.mark.parametrize(
    ("status", "words"),
    [
        ("err(10001)", "涉嫌广告"),
        ("err(40002)", "管理员未在 30 分钟内确认"),
        ("err(40001)", "管理员拒绝"),
        ("send fail", "未说明原因"),
    ],
)
async def test_a_failed_job_shows_wechats_reason_in_chinese_and_may_be_sent_again(
    client, sandbox_client, status, words
):
    world = await make_world(client, PUBLICITY)
    row = await published_post(client, world)
    await sandbox_client.post("/sandbox/mass_outcome", json={"status": status})
    await sandbox_client.post("/sandbox/event_push")
    assert (await _mass_send(client, world, row.id)).status_code == 200

    shown = await _settled(client, world, row.id)
    mass = shown["mass"]
    assert mass["status"] == "failed" and mass["label"] == "群发未成功"
    assert words in mass["message"] and mass["wechat_status"] == status
    assert shown["steps"][-1]["step"] == "mass_failed" and shown["can"]["mass_send"] is True
    page = await client.get(f"/api/v1/posts/{row.id}", headers=world.leader.headers)
    assert words in page.json()["mass"]["message"]

    # Another try is a new job: a new clientmsgid and a new draft; this time it goes out.
    await sandbox_client.post("/sandbox/mass_outcome", json={"status": "send success"})
    await sandbox_client.post("/sandbox/mass_quota", json={"per_day": 2})
    assert (await _mass_send(client, world, row.id)).json()["mass"]["status"] == "submitted"
    assert (await _settled(client, world, row.id))["mass"]["status"] == "sent"
    first, second = await _calls(sandbox_client)
    assert second["request"]["clientmsgid"] == f"{first['request']['clientmsgid']}-1"
    assert second["request"]["mpnews"]["media_id"] != first["request"]["mpnews"]["media_id"]


async def test_a_job_event_not_ours_or_repeated_changes_nothing(
    client,
    sandbox_client,
    wechat_server,  # noqa: F811
):
    world = await make_world(client, PUBLICITY)
    row = await published_post(client, world)
    resp = await _mass_send(client, world, row.id)
    msg_id = resp.json()["mass"]["msg_id"]
    fields = {"TotalCount": 5, "FilterCount": 5, "SentCount": 5, "ErrorCount": 0}

    foreign = await wechat_server.event(
        follower_openid("mphelper"),
        "MASSSENDJOBFINISH",
        MsgID=int(msg_id) + 777,
        Status="err(10001)",
        **fields,
    )
    assert foreign.text == "success"
    assert (await _shown(client, world, row.id))["mass"]["status"] == "submitted"

    await asyncio.sleep(DELAY_S + 0.2)  # WeChat reports a job once it has ended
    for _ in range(2):  # WeChat may deliver the same report twice
        reply = await wechat_server.event(
            follower_openid("mphelper"),
            "MASSSENDJOBFINISH",
            MsgID=int(msg_id),
            Status="send success",
            **fields,
        )
        assert reply.text == "success"
    shown = await _settled(client, world, row.id)
    assert shown["mass"]["status"] == "sent" and shown["mass"]["total_count"] == 5
    assert [s["step"] for s in shown["steps"]].count("mass_sent") == 1


async def test_used_up_quota_is_refused_in_chinese_and_can_be_tried_another_day(
    client, sandbox_client
):
    world = await make_world(client, PUBLICITY)
    row = await published_post(client, world)
    await sandbox_client.post("/sandbox/mass_quota", json={"per_day": 0})

    resp = await _mass_send(client, world, row.id)
    assert resp.status_code == 409, resp.text
    body = resp.json()
    assert body["error"] == "mass_quota_used_up" and "群发次数已用完" in body["message"]
    shown = await _shown(client, world, row.id)
    assert shown["mass"]["status"] == "failed" and "群发次数已用完" in shown["mass"]["message"]
    assert shown["steps"][-1]["step"] == "mass_failed" and shown["can"]["mass_send"] is True
    assert (await _calls(sandbox_client))[0]["errcode"] == 45028

    await sandbox_client.post("/sandbox/mass_quota", json={"per_day": 1})
    retry = await _mass_send(client, world, row.id)
    assert retry.status_code == 200 and retry.json()["mass"]["status"] == "submitted"
    first, second = await _calls(sandbox_client)
    # Refused before any job existed: the same clientmsgid and the same (unsent) draft.
    assert first["request"] == second["request"]


async def test_a_send_wechat_already_took_is_not_sent_twice(client, sandbox_client):
    world = await make_world(client, PUBLICITY)
    row = await published_post(client, world)
    taken = await _mass_send(client, world, row.id)
    assert taken.status_code == 200
    # As if the process died after WeChat took the send, before we stored it.
    await Post.filter(id=row.id).update(mass_status=MassStatus.FAILED, mass_msg_id="")
    resp = await _mass_send(client, world, row.id)
    assert resp.status_code == 200 and resp.json()["mass"]["status"] == "submitted"
    # WeChat named the first job, so its MASSSENDJOBFINISH still finds the post.
    assert resp.json()["mass"]["msg_id"] == taken.json()["mass"]["msg_id"]
    sends = await _calls(sandbox_client)
    assert [s["errcode"] for s in sends] == [0, 45065]  # the second was refused as a repeat


async def test_account_without_the_permission_is_told_what_to_do(client, sandbox_client):
    world = await make_world(client, PUBLICITY)
    row = await published_post(client, world)
    await sandbox_client.post(
        "/sandbox/faults", json={"kind": "mass_sendall", "errcode": 48001, "times": 1}
    )
    resp = await _mass_send(client, world, row.id)
    assert resp.status_code == 409 and resp.json()["error"] == "mass_not_authorised"
    assert "认证" in resp.json()["message"]


async def test_only_a_published_post_and_only_its_signer_may_mass_send(client, sandbox_client):
    world = await make_world(client, PUBLICITY)
    post = await draft(client, world)
    resp = await _mass_send(client, world, post["id"])
    assert resp.status_code == 409 and resp.json()["error"] == "not_published"
    organizer = await client.post(
        f"/api/v1/posts/{post['id']}/mass-send", headers=world.organizer.headers
    )
    assert organizer.status_code == 403
    assert await _calls(sandbox_client) == []


@pytest.mark.parametrize(
    ("outcome", "expected"), [("send success", "sent"), ("err(40002)", "failed")]
)
async def test_a_job_whose_event_never_came_is_settled_by_asking_wechat(
    client, sandbox_client, outcome, expected
):
    world = await make_world(client, PUBLICITY)
    row = await published_post(client, world)
    await sandbox_client.post("/sandbox/mass_outcome", json={"status": outcome})
    assert (await _mass_send(client, world, row.id)).status_code == 200  # no event pushed
    await asyncio.sleep(DELAY_S + 0.2)
    assert await mass_send.poll_mass_sends() == {"checked": 0, "settled": 0}  # not yet due

    # Past 群发保护's 30 minutes without MASSSENDJOBFINISH: message/mass/get decides.
    await Post.filter(id=row.id).update(mass_submitted_at=now() - timedelta(minutes=41))
    assert await mass_send.poll_mass_sends() == {"checked": 1, "settled": 1}
    mass = (await _shown(client, world, row.id))["mass"]
    assert mass["status"] == expected and mass["total_count"] is None
    if expected == "failed":
        assert "未收到群发结果通知" in mass["message"] and "群发保护" in mass["message"]
