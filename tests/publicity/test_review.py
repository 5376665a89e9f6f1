"""三审: 撰稿 → 审核 → 签发, sending back with a comment, and who may do which step."""

from __future__ import annotations

from server.audit.models import AuditEntry
from tests.publicity.helpers import PUBLICITY, add_photo, draft, to_signing
from tests.support.factories import login_as, make_kindergarten
from tests.support.world import make_world


async def test_director_sends_back_with_comment_and_author_resubmits(client):
    world = await make_world(client, PUBLICITY)
    post = await draft(client, world)
    pid = post["id"]
    resp = await client.post(f"/api/v1/posts/{pid}/submit", headers=world.organizer.headers)
    assert resp.status_code == 200 and resp.json()["status_label"] == "待园长审核"
    assert not resp.json()["can"]["edit"]
    resp = await client.patch(
        f"/api/v1/posts/{pid}", json={"title": "改"}, headers=world.organizer.headers
    )
    assert resp.status_code == 409 and "退回后才能修改" in resp.json()["message"]

    resp = await client.post(
        f"/api/v1/posts/{pid}/send-back", json={}, headers=world.director.headers
    )
    assert resp.status_code == 400 and resp.json()["message"] == "退回时请填写修改意见"
    resp = await client.post(
        f"/api/v1/posts/{pid}/send-back",
        json={"comment": "请补充幼儿活动照片"},
        headers=world.director.headers,
    )
    assert resp.status_code == 200
    back = resp.json()
    assert back["status"] == "drafting" and back["comment"] == "请补充幼儿活动照片"
    assert [s["step"] for s in back["steps"]] == ["drafted", "submitted", "sent_back"]
    assert back["steps"][-1]["actor"] == "陈婷"
    assert back["steps"][-1]["comment"] == "请补充幼儿活动照片"

    await to_signing(client, world, pid)
    resp = await client.get(f"/api/v1/posts/{pid}", headers=world.leader.headers)
    signed = resp.json()
    assert signed["status"] == "signing" and signed["comment"] == ""
    assert "审核：陈婷" in signed["html"]
    assert signed["can"]["sign"] and signed["can"]["send_back"]

    resp = await client.post(
        f"/api/v1/posts/{pid}/send-back",
        json={"comment": "标题再突出帮扶成效"},
        headers=world.leader.headers,
    )
    assert resp.status_code == 200 and resp.json()["status"] == "drafting"
    assert "审核：待审核" in resp.json()["html"]

    actions = [
        a
        for a in await AuditEntry.filter(target_type="post", target_id=pid)
        .order_by("id")
        .values_list("action", flat=True)
    ]
    assert actions == [
        "publicity.drafted",
        "publicity.submitted",
        "publicity.sent_back",
        "publicity.submitted",
        "publicity.approved",
        "publicity.sent_back",
    ]


async def test_each_step_belongs_to_its_role(client):
    world = await make_world(client, PUBLICITY)
    post = await draft(client, world)
    pid = post["id"]
    # The organizer cannot review or sign her own post.
    resp = await client.post(f"/api/v1/posts/{pid}/approve", headers=world.organizer.headers)
    assert resp.status_code == 403
    resp = await client.post(f"/api/v1/posts/{pid}/sign", headers=world.organizer.headers)
    assert resp.status_code == 403
    await client.post(f"/api/v1/posts/{pid}/submit", headers=world.organizer.headers)
    # A leader cannot skip 审核.
    resp = await client.post(f"/api/v1/posts/{pid}/sign", headers=world.leader.headers)
    assert resp.status_code == 409 and resp.json()["message"] == "推文不在待签发状态"
    resp = await client.post(f"/api/v1/posts/{pid}/approve", headers=world.leader.headers)
    assert resp.status_code == 403


async def test_other_kindergartens_and_regions_see_nothing(client):
    world = await make_world(client, PUBLICITY)
    post = await draft(client, world)
    pid = post["id"]
    elsewhere = await make_kindergarten()
    other_director = await login_as(client, "director", scope_id=elsewhere.id)
    other_organizer = await login_as(client, "organizer", scope_id=elsewhere.id)
    other_leader = await login_as(
        client, "leader", scope_kind="region", scope_id=elsewhere.region_id
    )
    supporting_organizer = await login_as(client, "organizer", scope_id=world.supporting.id)
    host_teacher = await login_as(client, "teacher", scope_id=world.supported.id)

    for who in (other_director, other_organizer, other_leader, supporting_organizer):
        assert (await client.get(f"/api/v1/posts/{pid}", headers=who.headers)).status_code == 404
        listed = await client.get("/api/v1/posts", headers=who.headers)
        assert listed.status_code == 200 and listed.json()["items"] == []
    resp = await client.post(
        f"/api/v1/activities/{world.activity.id}/post", json={}, headers=other_organizer.headers
    )
    assert resp.status_code == 404
    resp = await client.patch(
        f"/api/v1/posts/{pid}", json={"title": "改"}, headers=other_organizer.headers
    )
    assert resp.status_code == 404
    await client.post(f"/api/v1/posts/{pid}/submit", headers=world.organizer.headers)
    resp = await client.post(f"/api/v1/posts/{pid}/approve", headers=other_director.headers)
    assert resp.status_code == 404
    resp = await client.post(
        f"/api/v1/posts/{pid}/send-back", json={"comment": "不行"}, headers=other_director.headers
    )
    assert resp.status_code == 404
    assert (
        await client.get(f"/api/v1/posts/{pid}", headers=host_teacher.headers)
    ).status_code == 403
    await client.post(f"/api/v1/posts/{pid}/approve", headers=world.director.headers)
    resp = await client.post(f"/api/v1/posts/{pid}/sign", headers=other_leader.headers)
    assert resp.status_code == 404
    listed = await client.get("/api/v1/posts?status=signing", headers=world.leader.headers)
    assert [p["id"] for p in listed.json()["items"]] == [pid]


async def test_consent_withdrawn_before_signing_stops_the_post(client):
    world = await make_world(client, PUBLICITY)
    photo = await add_photo(client, world, consent=True)
    post = await draft(client, world)
    await to_signing(client, world, post["id"])
    resp = await client.patch(
        f"/api/v1/files/{photo['id']}", json={"consent": False}, headers=world.organizer.headers
    )
    assert resp.status_code == 200
    resp = await client.post(f"/api/v1/posts/{post['id']}/sign", headers=world.leader.headers)
    assert resp.status_code == 422 and resp.json()["error"] == "photo_not_consented"
    assert "同意公开" in resp.json()["message"]
