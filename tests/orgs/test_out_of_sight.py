"""A kindergarten, class, child or staff member outside the caller's sight is answered exactly
like one that does not exist (404), so ids cannot be probed; one in sight but not hers to
change is still refused (403)."""

from __future__ import annotations

from server.orgs.models import Teacher
from tests.support.factories import (
    login_as,
    make_child,
    make_class,
    make_kindergarten,
    make_person,
)

UNKNOWN = 999_999_999


async def _same_as_unknown(client, who, url: str, foreign_id: int, method: str = "GET") -> None:
    foreign = await client.request(method, url.format(id=foreign_id), headers=who.headers)
    unknown = await client.request(method, url.format(id=UNKNOWN), headers=who.headers)
    assert (foreign.status_code, foreign.json()["error"]) == (404, "not_found"), foreign.text
    assert (unknown.status_code, unknown.json()["error"]) == (404, "not_found"), unknown.text
    assert foreign.json() == unknown.json()  # the same message too: nothing tells them apart


async def test_another_regions_objects_answer_like_unknown_ones(client):
    other = await make_kindergarten()
    school_class = await make_class(other)
    child = await make_child(school_class, guardian=await make_person())
    teacher = await make_person(teacher_of=other)
    staff_row = await Teacher.get(person=teacher)
    foreign_ids = {
        "/api/v1/kindergartens/{id}/classes": other.id,
        "/api/v1/kindergartens/{id}/teachers": other.id,
        "/api/v1/classes/{id}": school_class.id,
        "/api/v1/classes/{id}/children": school_class.id,
        "/api/v1/children/{id}": child.id,
        "/api/v1/children/{id}/guardians": child.id,
        "/api/v1/teachers/{id}": staff_row.id,
        "/api/v1/kindergartens/{id}/roster/template.xlsx": other.id,
    }
    mine = await make_kindergarten()
    director = await login_as(client, "director", scope_id=mine.id, teacher_of=mine)
    leader = await login_as(client, "leader", scope_kind="region", scope_id=mine.region_id)
    for url, foreign_id in foreign_ids.items():
        await _same_as_unknown(client, director, url, foreign_id)
    for url in ("/api/v1/kindergartens/{id}/classes", "/api/v1/teachers/{id}"):
        await _same_as_unknown(client, leader, url, foreign_ids[url])
    await _same_as_unknown(client, director, "/api/v1/classes/{id}", school_class.id, "DELETE")


async def test_another_familys_child_answers_like_an_unknown_one(client):
    kg = await make_kindergarten()
    school_class = await make_class(kg)
    mine = await make_child(school_class)
    theirs = await make_child(school_class, guardian=await make_person())
    parent = await login_as(client, "parent", scope_kind="child", scope_id=mine.id)
    await _same_as_unknown(client, parent, "/api/v1/children/{id}", theirs.id)
    await _same_as_unknown(client, parent, "/api/v1/children/{id}/guardians", theirs.id)
    own = await client.get(f"/api/v1/children/{mine.id}", headers=parent.headers)
    assert own.status_code == 200, own.text


async def test_a_kindergarten_in_sight_but_not_hers_is_still_refused(client):
    kg = await make_kindergarten()
    teacher = await login_as(client, "teacher", scope_id=kg.id, teacher_of=kg)
    school_class = await make_class(kg)
    resp = await client.delete(f"/api/v1/classes/{school_class.id}", headers=teacher.headers)
    assert resp.status_code == 403, resp.text
