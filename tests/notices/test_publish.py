"""Writing, publishing (now and scheduled), editing and cancelling a notice."""

from __future__ import annotations

from datetime import timedelta

from server.common.time import now
from server.notices.jobs import publish_due_notices
from server.notices.models import Notice, NoticeRecipient
from tests.notices.conftest import create, draft, later, publish, published
from tests.support.factories import login_as, make_kindergarten


async def recipients(notice_id: int) -> set[int]:
    return set(
        await NoticeRecipient.filter(notice_id=notice_id).values_list("person_id", flat=True)
    )


async def test_whole_kindergarten_reaches_every_family_once(client, school, outbox):
    notice = await published(client, school)
    assert notice["status"] == "published" and notice["status_label"] == "已发布"
    parents = {school.a1.person.id, school.a1_partner.person.id, school.a2.person.id}
    parents.add(school.b1.person.id)
    assert await recipients(notice["id"]) == parents
    [message] = outbox.of("notice")
    assert set(message.person_ids) == parents
    assert message.key == f"notice:{notice['id']}:published"
    assert message.page == f"pages/notice/index?id={notice['id']}"
    assert message.fields["title"] == "家长开放日邀请"
    assert notice["counts"]["recipients"] == 4 and notice["counts"]["families"] == 3


async def test_grade_reaches_only_that_grade(client, school):
    notice = await published(client, school, audience={"grades": ["大班"]})
    assert await recipients(notice["id"]) == {school.b1.person.id}
    assert notice["audience_label"] == "大班家长"


async def test_class_reaches_only_that_class(client, school):
    notice = await published(client, school, audience={"class_ids": [school.small.id]})
    expected = {school.a1.person.id, school.a1_partner.person.id, school.a2.person.id}
    assert await recipients(notice["id"]) == expected


async def test_named_parents_and_teachers_are_reached_and_unioned(client, school):
    notice = await published(
        client,
        school,
        audience={"parent_ids": [school.b1.person.id], "teacher_ids": [school.teacher.person.id]},
    )
    assert await recipients(notice["id"]) == {school.b1.person.id, school.teacher.person.id}
    rows = {r.person_id: r for r in await NoticeRecipient.filter(notice_id=notice["id"])}
    assert rows[school.teacher.person.id].role == "staff"
    assert rows[school.b1.person.id].class_id == school.large.id
    assert "指定家长 1 人" in notice["audience_label"]


async def test_guardians_of_one_child_are_one_family(client, school):
    notice = await published(client, school, audience={"class_ids": [school.small.id]})
    rows = {r.person_id: r.family for r in await NoticeRecipient.filter(notice_id=notice["id"])}
    assert rows[school.a1.person.id] == rows[school.a1_partner.person.id]
    assert rows[school.a2.person.id] != rows[school.a1.person.id]


async def test_audience_is_resolved_when_published_not_when_written(client, school):
    from tests.notices.conftest import family_in

    notice = await create(client, school.director, draft(school, audience={"grades": ["大班"]}))
    newcomer = await family_in(client, school.large)
    await publish(client, school.director, notice["id"])
    assert newcomer.person.id in await recipients(notice["id"])


async def test_scheduled_notice_is_published_by_the_minute_job_once(client, school, outbox):
    notice = await create(client, school.director, draft(school))
    scheduled = await publish(client, school.director, notice["id"], publish_at=later(2))
    assert scheduled["status"] == "scheduled" and not outbox.of("notice")
    early = await publish_due_notices(at=now() + timedelta(hours=1))
    assert early["published"] == [] and not await recipients(notice["id"])
    done = await publish_due_notices(at=now() + timedelta(hours=2, minutes=1))
    assert done["published"] == [notice["id"]]
    again = await publish_due_notices(at=now() + timedelta(hours=2, minutes=2))
    assert again["published"] == []
    assert len(outbox.of("notice")) == 1 and len(await recipients(notice["id"])) == 4
    fresh = await Notice.get(id=notice["id"])
    assert fresh.status == "published" and fresh.announced_at is not None


async def test_scheduled_notice_with_nobody_left_goes_back_to_draft(client, school):
    notice = await create(
        client, school.director, draft(school, audience={"class_ids": [school.large.id]})
    )
    await publish(client, school.director, notice["id"], publish_at=later(1))
    from server.orgs.models import Guardian

    await Guardian.filter(child__school_class_id=school.large.id).delete()
    await publish_due_notices(at=now() + timedelta(hours=1, minutes=1))
    fresh = await Notice.get(id=notice["id"])
    assert fresh.status == "draft" and "定时发布失败" in fresh.publish_error


async def test_interrupted_announcement_is_finished_by_the_minute_job(client, school, outbox):
    notice = await published(client, school)
    await Notice.filter(id=notice["id"]).update(announced_at=None)
    assert (await publish_due_notices(at=now()))["announced"] == []  # maybe still under way
    result = await publish_due_notices(at=now() + timedelta(minutes=2))
    assert result["announced"] == [notice["id"]]
    # The same key again: the delivery engine sends it once per person.
    assert {m.key for m in outbox.of("notice")} == {f"notice:{notice['id']}:published"}


async def test_editing_a_published_notice_tells_only_those_who_read_it(client, school, outbox):
    notice = await published(client, school)
    await client.post(f"/api/v1/notices/{notice['id']}/read", headers=school.a2.headers)
    resp = await client.patch(
        f"/api/v1/notices/{notice['id']}",
        json={"body": "时间改为上午九点，请准时到园。"},
        headers=school.director.headers,
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["version"] == 2
    [update] = outbox.of("notice_updated")
    assert update.person_ids == [school.a2.person.id]
    assert update.key == f"notice:{notice['id']}:edit:2"
    seen = await client.get(f"/api/v1/notices/{notice['id']}", headers=school.a2.headers)
    assert seen.json()["body"] == "时间改为上午九点，请准时到园。"


async def test_editing_a_draft_changes_no_version_and_tells_nobody(client, school, outbox):
    notice = await create(client, school.director, draft(school))
    resp = await client.patch(
        f"/api/v1/notices/{notice['id']}",
        json={"title": "开放日（修改）", "audience": {"grades": ["小班"]}},
        headers=school.director.headers,
    )
    assert resp.status_code == 200 and resp.json()["version"] == 1
    assert resp.json()["audience_label"] == "小班家长"
    assert not outbox.messages


async def test_audience_cannot_change_after_publication(client, school):
    notice = await published(client, school)
    resp = await client.patch(
        f"/api/v1/notices/{notice['id']}",
        json={"ack_mode": "rsvp"},
        headers=school.director.headers,
    )
    assert resp.status_code == 409 and resp.json()["error"] == "locked_after_publish"


async def test_cancelling_tells_recipients_and_locks_the_notice(client, school, outbox):
    notice = await published(client, school)
    resp = await client.post(
        f"/api/v1/notices/{notice['id']}/cancel",
        json={"reason": "天气原因"},
        headers=school.director.headers,
    )
    assert resp.status_code == 200 and resp.json()["status"] == "cancelled"
    [message] = outbox.of("notice_updated")
    assert len(message.person_ids) == 4 and "天气原因" in message.body
    edit = await client.patch(
        f"/api/v1/notices/{notice['id']}", json={"title": "再改"}, headers=school.director.headers
    )
    assert edit.status_code == 409
    assert edit.json()["error"] == "notice_cancelled" and edit.json()["message"]


async def test_organizer_may_send_for_her_kindergarten(client, school):
    notice = await create(client, school.organizer, draft(school))
    assert notice["can_manage"] is True


async def test_director_of_another_kindergarten_cannot_send_to_mine(client, school):
    other = await make_kindergarten()
    stranger = await login_as(client, "director", scope_id=other.id)
    resp = await client.post("/api/v1/notices", json=draft(school), headers=stranger.headers)
    assert resp.status_code == 403 and "本园" in resp.json()["message"]
    mine = await create(client, school.director, draft(school))
    seen = await client.get(f"/api/v1/notices/{mine['id']}", headers=stranger.headers)
    assert seen.status_code == 404
    publish_attempt = await client.post(
        f"/api/v1/notices/{mine['id']}/publish", json={}, headers=stranger.headers
    )
    assert publish_attempt.status_code == 404


async def test_teacher_cannot_send(client, school):
    resp = await client.post("/api/v1/notices", json=draft(school), headers=school.teacher.headers)
    assert resp.status_code == 403


async def test_admin_may_send_anywhere(client, school):
    admin = await login_as(client, "admin")
    notice = await create(client, admin, draft(school))
    assert notice["kindergarten_id"] == school.kg.id


async def test_leader_sees_sent_notices_of_her_region_read_only(client, school):
    leader = await login_as(client, "leader", scope_kind="region", scope_id=school.kg.region_id)
    notice = await published(client, school)
    listed = await client.get("/api/v1/notices", headers=leader.headers)
    assert [n["id"] for n in listed.json()["items"]] == [notice["id"]]
    assert listed.json()["items"][0]["can_manage"] is False
    edit = await client.patch(
        f"/api/v1/notices/{notice['id']}", json={"title": "改"}, headers=leader.headers
    )
    assert edit.status_code == 403
    outsider = await login_as(client, "leader", scope_kind="region", scope_id=999999)
    assert (await client.get("/api/v1/notices", headers=outsider.headers)).json()["total"] == 0


async def test_leader_does_not_see_drafts(client, school):
    leader = await login_as(client, "leader", scope_kind="region", scope_id=school.kg.region_id)
    notice = await create(client, school.director, draft(school))
    listed = await client.get("/api/v1/notices", headers=leader.headers)
    assert listed.json()["total"] == 0
    seen = await client.get(f"/api/v1/notices/{notice['id']}", headers=leader.headers)
    assert seen.status_code == 404


async def test_sending_the_same_audience_again_after_publication_is_fine(client, school):
    notice = await published(client, school, audience={"grades": ["大班", "小班"]})
    resp = await client.patch(
        f"/api/v1/notices/{notice['id']}",
        json={"audience": {"grades": ["小班", "大班"]}, "title": "新标题"},
        headers=school.director.headers,
    )
    assert resp.status_code == 200 and resp.json()["title"] == "新标题"
