"""Record texts and the 帮扶记录卡: confirmations by both sides, the lock, reopening."""

from __future__ import annotations

from datetime import UTC, datetime

from server.audit.models import AuditEntry
from server.checkin.models import Checkin, CheckinMethod
from tests.archive.helpers import ARCHIVE, jpeg_bytes, make_activity, upload
from tests.support.factories import login_as, make_kindergarten, make_person
from tests.support.world import make_world

LOCKED_MESSAGE = "帮扶记录卡已由双方确认并锁定，如需修改请先撤销确认"


async def _put_record(client, who, activity_id: int, **texts):
    return await client.put(
        f"/api/v1/activities/{activity_id}/record", json=texts, headers=who.headers
    )


async def _confirm(client, who, activity_id: int, side: str | None = None):
    body = {"side": side} if side else None
    return await client.post(
        f"/api/v1/activities/{activity_id}/record-card/confirm", json=body, headers=who.headers
    )


async def _card(client, who, activity_id: int) -> dict:
    resp = await client.get(f"/api/v1/activities/{activity_id}/record-card", headers=who.headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


async def test_record_texts_are_written_and_shown_on_the_card(client):
    w = await make_world(client, ARCHIVE)
    resp = await _put_record(
        client,
        w.organizer,
        w.activity.id,
        plan="上午示范课，下午评课",
        measures="骨干教师送教，一对一指导",
        summary="完成示范课两节",
        reflection="需加强区域活动指导",
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["record"]["summary"] == "完成示范课两节"
    partial = await _put_record(client, w.director, w.activity.id, reflection="再次反思")
    assert partial.status_code == 200
    card = await _card(client, w.director, w.activity.id)
    assert card["record"] == {
        "plan": "上午示范课，下午评课",
        "measures": "骨干教师送教，一对一指导",
        "summary": "完成示范课两节",
        "reflection": "再次反思",
    }
    assert card["locked"] is False
    assert card["sides"]["supporting"]["kindergarten_id"] == w.supporting.id
    assert card["sides"]["supported"]["kindergarten_id"] == w.supported.id
    assert card["sides"]["supporting"]["state"] == "pending"


async def test_record_text_over_5000_characters_is_refused(client):
    w = await make_world(client, ARCHIVE)
    resp = await _put_record(client, w.organizer, w.activity.id, summary="字" * 5001)
    assert resp.status_code == 400
    assert resp.json()["error"] == "text_too_long"
    assert "活动总结" in resp.json()["message"]


async def test_card_shows_attendance_and_files(client):
    w = await make_world(client, ARCHIVE)
    for _ in range(3):
        person = await make_person()
        await Checkin.create(
            activity=w.activity,
            person=person,
            method=CheckinMethod.STATIC,
            scanned_at=datetime.now(UTC),
        )
    await upload(client, w.organizer, w.activity.id, jpeg_bytes())
    card = await _card(client, w.organizer, w.activity.id)
    assert card["attendance"]["checked_in"] == 3
    assert card["photo_count"] == 1
    assert len(card["files"]) == 1


async def test_one_side_alone_does_not_lock_the_record(client):
    w = await make_world(client, ARCHIVE)
    await _put_record(client, w.organizer, w.activity.id, summary="总结")
    resp = await _confirm(client, w.organizer, w.activity.id)
    assert resp.status_code == 200, resp.text
    card = resp.json()
    assert card["sides"]["supporting"]["state"] == "confirmed"
    assert card["sides"]["supporting"]["confirmed_by"]["id"] == w.organizer.person.id
    assert card["sides"]["supporting"]["confirmed_at"]
    assert card["sides"]["supported"]["state"] == "pending"
    assert card["locked"] is False
    assert (await _put_record(client, w.organizer, w.activity.id, summary="改")).status_code == 200


async def test_both_confirmations_lock_every_change(client):
    w = await make_world(client, ARCHIVE)
    photo = (await upload(client, w.organizer, w.activity.id, jpeg_bytes())).json()
    await _put_record(client, w.organizer, w.activity.id, summary="总结")
    assert (await _confirm(client, w.organizer, w.activity.id)).status_code == 200
    second = await _confirm(client, w.director, w.activity.id)
    assert second.status_code == 200
    assert second.json()["locked"] is True
    assert second.json()["sides"]["supported"]["confirmed_by"]["id"] == w.director.person.id

    refusals = [
        await _put_record(client, w.organizer, w.activity.id, summary="偷偷改"),
        await upload(client, w.organizer, w.activity.id, jpeg_bytes((10, 10))),
        await client.patch(
            f"/api/v1/files/{photo['id']}", json={"consent": True}, headers=w.organizer.headers
        ),
        await client.delete(f"/api/v1/files/{photo['id']}", headers=w.director.headers),
    ]
    for resp in refusals:
        assert resp.status_code == 409, resp.text
        assert resp.json() == {"error": "record_locked", "message": LOCKED_MESSAGE}
    assert (await _card(client, w.director, w.activity.id))["record"]["summary"] == "总结"
    audit = await AuditEntry.filter(action="archive.confirm").order_by("id")
    assert [e.detail["sides"] for e in audit] == [["supporting"], ["supported"]]
    assert all(e.activity_id == w.activity.id for e in audit)


async def test_change_after_one_confirmation_voids_it(client):
    w = await make_world(client, ARCHIVE)
    await _put_record(client, w.organizer, w.activity.id, summary="第一版")
    await _confirm(client, w.organizer, w.activity.id)
    await _put_record(client, w.director, w.activity.id, summary="第二版")
    card = await _card(client, w.director, w.activity.id)
    assert card["sides"]["supporting"]["state"] == "stale"
    assert card["needs_reconfirmation"] is True

    # The other side's confirmation of the new content does not lock it: the first is void.
    after = (await _confirm(client, w.director, w.activity.id)).json()
    assert after["locked"] is False
    assert after["sides"]["supporting"]["state"] == "pending"
    assert after["sides"]["supported"]["state"] == "confirmed"
    again = (await _confirm(client, w.organizer, w.activity.id)).json()
    assert again["locked"] is True


async def test_a_file_change_voids_a_confirmation(client):
    w = await make_world(client, ARCHIVE)
    await _confirm(client, w.organizer, w.activity.id)
    await upload(client, w.director, w.activity.id, jpeg_bytes())
    card = await _card(client, w.organizer, w.activity.id)
    assert card["sides"]["supporting"]["state"] == "stale"


async def test_reopen_with_a_reason_unlocks_and_is_audited(client):
    w = await make_world(client, ARCHIVE)
    await _put_record(client, w.organizer, w.activity.id, summary="总结")
    await _confirm(client, w.organizer, w.activity.id)
    await _confirm(client, w.director, w.activity.id)
    url = f"/api/v1/activities/{w.activity.id}/record-card/reopen"

    no_reason = await client.post(url, json={"reason": "  "}, headers=w.director.headers)
    assert no_reason.status_code == 400
    assert no_reason.json()["error"] == "reason_required"
    by_organizer = await client.post(url, json={"reason": "补充"}, headers=w.organizer.headers)
    assert by_organizer.status_code == 403

    resp = await client.post(url, json={"reason": "需补充活动照片"}, headers=w.director.headers)
    assert resp.status_code == 200, resp.text
    assert resp.json()["locked"] is False
    assert resp.json()["sides"]["supporting"]["state"] == "pending"
    assert resp.json()["sides"]["supported"]["state"] == "pending"
    entry = await AuditEntry.get(action="archive.reopen")
    assert entry.reason == "需补充活动照片"
    assert entry.activity_id == w.activity.id
    assert entry.actor_id == w.director.person.id

    assert (await _put_record(client, w.organizer, w.activity.id, summary="新")).status_code == 200
    await _confirm(client, w.organizer, w.activity.id)
    assert (await _confirm(client, w.director, w.activity.id)).json()["locked"] is True


async def test_reopen_of_an_unconfirmed_card_is_refused(client):
    w = await make_world(client, ARCHIVE)
    resp = await client.post(
        f"/api/v1/activities/{w.activity.id}/record-card/reopen",
        json={"reason": "试试"},
        headers=w.director.headers,
    )
    assert resp.status_code == 409
    assert resp.json()["error"] == "not_confirmed"


async def test_confirming_for_the_other_side_is_refused(client):
    w = await make_world(client, ARCHIVE)
    resp = await _confirm(client, w.organizer, w.activity.id, side="supported")
    assert resp.status_code == 403
    assert "被帮扶园" in resp.json()["message"]
    teacher = await login_as(client, "teacher", scope_id=w.supported.id)
    assert (await _confirm(client, teacher, w.activity.id)).status_code == 403


async def test_one_person_of_both_sides_confirms_only_one_of_them(client):
    kg = await make_kindergarten(name="中心幼儿园")
    activity = await make_activity(host=kg, title="园内教研")
    director = await login_as(client, "director", scope_id=kg.id)
    first = await _confirm(client, director, activity.id)
    assert first.status_code == 200
    assert first.json()["sides"]["supporting"]["state"] == "confirmed"
    second = await _confirm(client, director, activity.id)
    assert second.status_code == 403
    assert second.json()["error"] == "same_person_both_sides"
    assert "同一人不能代表双方确认" in second.json()["message"]
    colleague = await login_as(client, "organizer", scope_id=kg.id)
    assert (await _confirm(client, colleague, activity.id)).json()["locked"] is True


async def test_an_admin_confirms_both_sides_in_one_step(client):
    w = await make_world(client, ARCHIVE)
    admin = await login_as(client, "admin")
    resp = await _confirm(client, admin, w.activity.id)
    assert resp.status_code == 200
    assert resp.json()["locked"] is True


async def test_people_outside_the_activity_cannot_read_the_card(client):
    w = await make_world(client, ARCHIVE)
    other = await login_as(client, "director", scope_id=(await make_kindergarten()).id)
    resp = await client.get(
        f"/api/v1/activities/{w.activity.id}/record-card", headers=other.headers
    )
    assert resp.status_code == 404
    assert (await _confirm(client, other, w.activity.id)).status_code == 404
    assert (await _put_record(client, other, w.activity.id, summary="x")).status_code == 404
