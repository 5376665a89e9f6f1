"""Read receipts, confirmations and the roll-ups: names for senders, totals for parents."""

from __future__ import annotations

import json

from tests.notices.conftest import family_in, later, published
from tests.support.factories import login_as, make_class, make_kindergarten


async def read(client, who, notice_id: int):
    return await client.post(f"/api/v1/notices/{notice_id}/read", headers=who.headers)


async def test_opening_a_notice_marks_it_read_once(client, school):
    notice = await published(client, school)
    first = await read(client, school.a1, notice["id"])
    assert first.status_code == 200 and first.json()["read_at"]
    again = await read(client, school.a1, notice["id"])
    assert again.json()["read_at"] == first.json()["read_at"]


async def test_someone_outside_the_audience_cannot_mark_it_read(client, school):
    notice = await published(client, school, audience={"grades": ["大班"]})
    resp = await read(client, school.a1, notice["id"])
    assert resp.status_code == 403 and resp.json()["error"] == "not_recipient"
    assert resp.json()["message"] == "您不在该通知的接收范围内"
    resp = await read(client, school.director, notice["id"])
    assert resp.status_code == 403 and resp.json()["error"] == "not_recipient"
    elsewhere = await family_in(client, await make_class(await make_kindergarten()))
    resp = await read(client, elsewhere, notice["id"])
    assert resp.status_code == 404


async def test_sender_sees_read_and_unread_by_class_with_names(client, school):
    notice = await published(client, school)
    await read(client, school.a1, notice["id"])
    await read(client, school.b1, notice["id"])
    resp = await client.get(
        f"/api/v1/notices/{notice['id']}/receipts", headers=school.director.headers
    )
    assert resp.status_code == 200, resp.text
    data = resp.json()
    assert data["totals"]["recipients"] == 4 and data["totals"]["read"] == 2
    assert data["totals"]["unread"] == 2
    by_class = {row["class_id"]: row for row in data["by_class"]}
    assert by_class[school.small.id]["read"] == 1 and by_class[school.small.id]["unread"] == 2
    assert by_class[school.large.id]["read"] == 1
    assert by_class[school.small.id]["class_name"] == school.small.name
    assert data["by_kindergarten"][0]["kindergarten_id"] == school.kg.id
    people = {p["person_id"]: p for p in data["people"]}
    assert people[school.a1.person.id]["name"] == school.a1.person.name
    assert people[school.a1.person.id]["read_at"] and not people[school.a2.person.id]["read_at"]
    # Children's names appear in no view.
    assert school.a1.child.name not in resp.text


async def test_leader_gets_the_roll_up_without_names(client, school):
    notice = await published(client, school)
    leader = await login_as(client, "leader", scope_kind="region", scope_id=school.kg.region_id)
    resp = await client.get(f"/api/v1/notices/{notice['id']}/receipts", headers=leader.headers)
    assert resp.status_code == 200
    assert "people" not in resp.json() and resp.json()["names_visible"] is False
    assert school.a1.person.name not in resp.text


async def test_parent_sees_totals_never_other_families(client, school):
    notice = await published(client, school, ack_mode="rsvp", deadline=later(5), capacity=20)
    await read(client, school.b1, notice["id"])
    await client.post(
        f"/api/v1/notices/{notice['id']}/rsvp",
        json={"answer": "yes", "adults": 2, "children": 1},
        headers=school.b1.headers,
    )
    resp = await client.get(f"/api/v1/notices/{notice['id']}", headers=school.a2.headers)
    assert resp.status_code == 200
    data = resp.json()
    assert data["totals"]["read"] == 1 and data["totals"]["rsvp_yes"] == 1
    assert data["totals"]["places_left"] == 17
    assert data["me"]["read_at"] is None and data["me"]["rsvp"] is None
    text = json.dumps(data, ensure_ascii=False)
    for other in (school.b1, school.a1, school.a1_partner):
        assert other.person.name not in text
        assert other.child.name not in text
        assert str(other.person.id) not in json.dumps(data.get("me"))
    assert "people" not in data and "audience" not in data
    roll = await client.get(f"/api/v1/notices/{notice['id']}/receipts", headers=school.a2.headers)
    assert roll.status_code == 403
    feedback = await client.get(
        f"/api/v1/notices/{notice['id']}/feedback", headers=school.a2.headers
    )
    assert feedback.status_code == 200 and "comments" not in feedback.json()


async def test_confirm_mode_counts_confirmations(client, school):
    notice = await published(client, school, ack_mode="confirm")
    resp = await client.post(f"/api/v1/notices/{notice['id']}/confirm", headers=school.a2.headers)
    assert resp.status_code == 200 and resp.json()["message"] == "已确认收到"
    roll = await client.get(
        f"/api/v1/notices/{notice['id']}/receipts", headers=school.director.headers
    )
    assert roll.json()["totals"]["confirmed"] == 1 and roll.json()["totals"]["read"] == 1


async def test_confirm_on_a_read_only_notice_is_refused(client, school):
    notice = await published(client, school)
    resp = await client.post(f"/api/v1/notices/{notice['id']}/confirm", headers=school.a2.headers)
    assert resp.status_code == 409 and resp.json()["error"] == "not_confirm"


async def test_my_notices_lists_unread_first(client, school):
    first = await published(client, school, title="第一条通知")
    second = await published(client, school, title="第二条通知")
    third = await published(client, school, title="第三条通知")
    await read(client, school.a2, third["id"])
    resp = await client.get("/api/v1/me/notices", headers=school.a2.headers)
    data = resp.json()
    assert data["unread"] == 2 and data["total"] == 3
    assert [n["id"] for n in data["items"]] == [second["id"], first["id"], third["id"]]
    assert [n["read"] for n in data["items"]] == [False, False, True]


async def test_drafts_are_not_in_anyones_inbox(client, school):
    resp = await client.post(
        "/api/v1/notices",
        json={"kindergarten_id": school.kg.id, "title": "草稿", "audience": {"kindergarten": True}},
        headers=school.director.headers,
    )
    assert resp.status_code == 201
    mine = await client.get("/api/v1/me/notices", headers=school.a2.headers)
    assert mine.json()["total"] == 0
    seen = await client.get(f"/api/v1/notices/{resp.json()['id']}", headers=school.a2.headers)
    assert seen.status_code == 404


async def test_sent_list_has_counts(client, school):
    notice = await published(client, school)
    await read(client, school.a2, notice["id"])
    resp = await client.get("/api/v1/notices", headers=school.director.headers)
    [item] = resp.json()["items"]
    assert item["counts"]["recipients"] == 4 and item["counts"]["read"] == 1


async def test_opening_a_notice_reads_its_messages_in_the_inbox(client, school):
    notice = await published(client, school)
    inbox = await client.get("/api/v1/inbox", headers=school.a1.headers)
    assert inbox.status_code == 200, inbox.text
    mine = [m for m in inbox.json()["items"] if m["page"].endswith(f"id={notice['id']}")]
    assert len(mine) == 1 and not mine[0]["read"]
    unread_before = inbox.json()["unread"]
    await read(client, school.a1, notice["id"])
    inbox = (await client.get("/api/v1/inbox", headers=school.a1.headers)).json()
    mine = [m for m in inbox["items"] if m["page"].endswith(f"id={notice['id']}")]
    assert mine[0]["read"] and inbox["unread"] == unread_before - 1
    # Another family's copy stays unread.
    other = (await client.get("/api/v1/inbox", headers=school.a2.headers)).json()
    assert [m["read"] for m in other["items"] if m["page"].endswith(f"id={notice['id']}")] == [
        False
    ]


async def test_the_sender_pages_through_the_names_and_filters_the_unread(client, school):
    notice = await published(client, school)
    await read(client, school.a1, notice["id"])
    url = f"/api/v1/notices/{notice['id']}/receipts"
    first = (await client.get(url + "?limit=2", headers=school.director.headers)).json()
    second = (await client.get(url + "?limit=2&offset=2", headers=school.director.headers)).json()
    assert first["people_total"] == 4 and len(first["people"]) == 2 and len(second["people"]) == 2
    seen = {p["person_id"] for p in first["people"] + second["people"]}
    assert len(seen) == 4
    assert first["totals"]["recipients"] == 4  # the roll-up counts everyone on every page
    unread = (await client.get(url + "?only=unread", headers=school.director.headers)).json()
    assert unread["people_total"] == 3
    assert school.a1.person.id not in {p["person_id"] for p in unread["people"]}
    one_class = (
        await client.get(url + f"?class_id={school.large.id}", headers=school.director.headers)
    ).json()
    assert [p["person_id"] for p in one_class["people"]] == [school.b1.person.id]
    bad = await client.get(url + "?only=everyone", headers=school.director.headers)
    assert bad.status_code == 400 and "未读" in bad.json()["message"]
    too_many = await client.get(url + "?limit=5000", headers=school.director.headers)
    assert too_many.status_code == 400
