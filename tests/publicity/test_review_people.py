"""三审 by three people: writer, reviewer and signer differ; every step keeps its comment;
the 帮扶园 organizer who ran a 送教 at the partner kindergarten writes its post."""

from __future__ import annotations

from server.publicity.models import Post, PostStep
from tests.publicity.helpers import PUBLICITY
from tests.support.factories import login, login_as, make_person, unique
from tests.support.world import make_world


async def _post(client, who, path: str, **body):
    return await client.post(f"/api/v1/posts/{path}", json=body, headers=who.headers)


async def test_director_cannot_approve_the_post_she_wrote(client):
    world = await make_world(client, PUBLICITY)
    resp = await client.post(
        f"/api/v1/activities/{world.activity.id}/post", json={}, headers=world.director.headers
    )
    assert resp.status_code == 201, resp.text
    pid = resp.json()["id"]
    assert (await _post(client, world.director, f"{pid}/submit")).status_code == 200

    mine = await client.get(f"/api/v1/posts/{pid}", headers=world.director.headers)
    assert mine.json()["can"]["approve"] is False
    resp = await _post(client, world.director, f"{pid}/approve", comment="同意")
    assert resp.status_code == 403
    assert "不能审核" in resp.json()["message"]
    assert (await Post.get(id=pid)).status == "reviewing"

    # Another director of the same kindergarten reviews it.
    second = await make_person("周敏", grants=(("director", "kindergarten", world.supported.id),))
    other = await login(client, unique("pub-director2-"), person=second)
    resp = await _post(client, other, f"{pid}/approve", comment="内容属实")
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "signing"


async def test_the_reviewer_cannot_also_sign(client):
    world = await make_world(client, PUBLICITY)
    # One person who is the host's director and a leader of its region.
    both = await make_person(
        "赵强",
        grants=(
            ("director", "kindergarten", world.supported.id),
            ("leader", "region", world.supported.region_id),
        ),
    )
    reviewer = await login(client, unique("pub-both-"), person=both)
    resp = await client.post(
        f"/api/v1/activities/{world.activity.id}/post", json={}, headers=world.organizer.headers
    )
    pid = resp.json()["id"]
    assert (await _post(client, world.organizer, f"{pid}/submit")).status_code == 200
    assert (await _post(client, reviewer, f"{pid}/approve")).status_code == 200

    seen = await client.get(f"/api/v1/posts/{pid}", headers=reviewer.headers)
    assert seen.json()["can"]["sign"] is False
    resp = await _post(client, reviewer, f"{pid}/sign")
    assert resp.status_code == 403 and "不能再签发" in resp.json()["message"]
    assert (await Post.get(id=pid)).status == "signing"


async def test_every_step_keeps_its_person_time_and_comment(client):
    world = await make_world(client, PUBLICITY)
    resp = await client.post(
        f"/api/v1/activities/{world.activity.id}/post", json={}, headers=world.organizer.headers
    )
    pid = resp.json()["id"]
    assert (
        await _post(client, world.organizer, f"{pid}/submit", comment="请园长审阅")
    ).status_code == 200
    assert (
        await _post(client, world.director, f"{pid}/approve", comment="照片均已确认同意")
    ).status_code == 200
    resp = await _post(client, world.leader, f"{pid}/sign", comment="同意发布，注意保护幼儿隐私")
    assert resp.status_code == 200, resp.text

    steps = {s["step"]: s for s in resp.json()["steps"]}
    assert steps["submitted"]["actor"] == "孙雅琴"
    assert steps["submitted"]["comment"] == "请园长审阅"
    assert steps["approved"]["actor"] == "陈婷"
    assert steps["approved"]["comment"] == "照片均已确认同意"
    assert steps["signed"]["comment"] == "同意发布，注意保护幼儿隐私"
    assert steps["signed"]["actor"] and all(s["at"] for s in steps.values())
    stored = await PostStep.filter(post_id=pid, step="signed").values_list("comment", flat=True)
    assert stored == ["同意发布，注意保护幼儿隐私"]


async def test_supporting_organizer_who_ran_the_send_drafts_its_post(client):
    world = await make_world(client, PUBLICITY)
    runner = await make_person("刘芳", grants=(("organizer", "kindergarten", world.supporting.id),))
    organizer = await login(client, unique("pub-runner-"), person=runner)
    world.activity.created_by_id = runner.id
    await world.activity.save()

    resp = await client.post(
        f"/api/v1/activities/{world.activity.id}/post", json={}, headers=organizer.headers
    )
    assert resp.status_code == 201, resp.text
    pid = resp.json()["id"]
    # Her own kindergarten's director reviews it; the region's leader signs it.
    assert resp.json()["kindergarten_id"] == world.supporting.id
    assert (await _post(client, organizer, f"{pid}/submit")).status_code == 200
    her_director = await login_as(client, "director", scope_id=world.supporting.id)
    assert (await _post(client, her_director, f"{pid}/approve")).status_code == 200
    resp = await _post(client, world.leader, f"{pid}/sign", comment="同意")
    assert resp.status_code == 200, resp.text
    assert [s["step"] for s in resp.json()["steps"]] == [
        "drafted",
        "submitted",
        "approved",
        "signed",
    ]
