"""Staff (教职工): added by the director with a teacher role, phones shown sparingly."""

from __future__ import annotations

import logging

from server.accounts.models import RoleGrant
from server.orgs.models import Person, Teacher
from tests.orgs.asserts import ok, refused
from tests.support.factories import login, login_as, make_kindergarten, make_person, make_region


async def test_director_adds_teacher_with_person_and_role(client):
    kg = await make_kindergarten()
    director = await login_as(client, "director", scope_id=kg.id)
    made = ok(
        await client.post(
            f"/api/v1/kindergartens/{kg.id}/teachers",
            json={
                "name": "刘老师",
                "phone": "+86 138-0013-8000",
                "title": "保教主任",
                "is_key_teacher": True,
            },
            headers=director.headers,
        ),
        201,
    )
    assert made["phone"] == "13800138000" and made["is_key_teacher"] and made["active"]
    teacher = await Teacher.get(id=made["id"]).prefetch_related("person")
    assert teacher.person.name == "刘老师" and teacher.title == "保教主任"
    assert await RoleGrant.exists(
        person_id=teacher.person_id, role="teacher", scope_kind="kindergarten", scope_id=kg.id
    )


async def test_new_teacher_can_log_in_with_her_role(client):
    kg = await make_kindergarten()
    admin = await login_as(client, "admin")
    made = ok(
        await client.post(
            f"/api/v1/kindergartens/{kg.id}/teachers",
            json={"name": "陈老师"},
            headers=admin.headers,
        ),
        201,
    )
    person = await Person.get(id=made["person_id"])
    session = await login(client, "teacher-chen", person=person)
    roles = session.tokens["person"]["roles"]
    assert roles == [
        {"role": "teacher", "scope_kind": "kindergarten", "scope_id": kg.id, "scope_name": kg.name}
    ]
    page = ok(await client.get(f"/api/v1/kindergartens/{kg.id}/teachers", headers=session.headers))
    assert page["total"] == 1


async def test_teacher_input_is_checked(client):
    kg = await make_kindergarten()
    director = await login_as(client, "director", scope_id=kg.id)
    url = f"/api/v1/kindergartens/{kg.id}/teachers"
    refused(
        await client.post(url, json={"name": ""}, headers=director.headers), 400, "invalid_name"
    )
    refused(
        await client.post(url, json={"name": "老师" * 17}, headers=director.headers),
        400,
        "invalid_name",
    )
    refused(
        await client.post(url, json={"name": "吴老师", "phone": "1234"}, headers=director.headers),
        400,
        "invalid_phone",
    )
    refused(
        await client.post(
            url, json={"name": "吴老师", "title": "职务" * 9}, headers=director.headers
        ),
        400,
        "invalid_name",
    )
    refused(
        await client.post(
            url, json={"name": "吴老师", "is_key_teacher": "maybe"}, headers=director.headers
        ),
        400,
        "invalid_input",
    )
    ok(
        await client.post(
            url, json={"name": "吴老师", "phone": "13300133000"}, headers=director.headers
        ),
        201,
    )
    refused(
        await client.post(
            url, json={"name": "吴老师", "phone": "133 0013 3000"}, headers=director.headers
        ),
        409,
        "duplicate",
    )
    refused(
        await client.post(
            "/api/v1/kindergartens/9999/teachers",
            json={"name": "吴老师"},
            headers=(await login_as(client, "admin")).headers,
        ),
        404,
    )


async def test_only_the_director_or_admin_adds_teachers(client):
    region = await make_region()
    a, b = await make_kindergarten(region), await make_kindergarten(region)
    director = await login_as(client, "director", scope_id=a.id)
    refused(
        await client.post(
            f"/api/v1/kindergartens/{b.id}/teachers",
            json={"name": "某老师"},
            headers=director.headers,
        ),
        404,
        "not_found",
    )
    teacher = await login_as(client, "teacher", scope_id=a.id)
    refused(
        await client.post(
            f"/api/v1/kindergartens/{a.id}/teachers",
            json={"name": "某老师"},
            headers=teacher.headers,
        ),
        403,
        "forbidden",
    )
    leader = await login_as(client, "leader", scope_kind="region", scope_id=region.id)
    refused(
        await client.post(
            f"/api/v1/kindergartens/{a.id}/teachers",
            json={"name": "某老师"},
            headers=leader.headers,
        ),
        403,
        "forbidden",
    )


async def test_teacher_list_filters_and_masks_phones_for_non_directors(client):
    region = await make_region()
    kg = await make_kindergarten(region)
    key = await make_person("骨干甲", phone="13800138000")
    await Teacher.create(person=key, kindergarten=kg, is_key_teacher=True)
    plain = await make_person("教师乙", phone="13900139000")
    await Teacher.create(person=plain, kindergarten=kg)
    gone = await make_person("离职丙")
    await Teacher.create(person=gone, kindergarten=kg, active=False)
    url = f"/api/v1/kindergartens/{kg.id}/teachers"

    director = await login_as(client, "director", scope_id=kg.id)
    page = ok(await client.get(url, headers=director.headers))
    assert page["total"] == 3
    assert {t["name"]: t["phone"] for t in page["items"]}["骨干甲"] == "13800138000"
    page = ok(await client.get(url, params={"key_teacher": "true"}, headers=director.headers))
    assert [t["name"] for t in page["items"]] == ["骨干甲"]
    page = ok(await client.get(url, params={"active": "false"}, headers=director.headers))
    assert [t["name"] for t in page["items"]] == ["离职丙"]
    page = ok(await client.get(url, params={"limit": 1, "offset": 1}, headers=director.headers))
    assert page["total"] == 3 and len(page["items"]) == 1
    refused(
        await client.get(url, params={"active": "perhaps"}, headers=director.headers),
        400,
        "invalid_input",
    )

    for viewer in (
        await login_as(client, "teacher", scope_id=kg.id),
        await login_as(client, "leader", scope_kind="region", scope_id=region.id),
    ):
        resp = await client.get(url, params={"active": "true"}, headers=viewer.headers)
        phones = {t["name"]: t["phone"] for t in resp.json()["items"]}
        assert phones == {"骨干甲": "138****8000", "教师乙": "139****9000"}
        assert "13800138000" not in resp.text


async def test_other_directors_and_parents_cannot_list_teachers(client):
    region = await make_region()
    kg, other = await make_kindergarten(region), await make_kindergarten(region)
    url = f"/api/v1/kindergartens/{kg.id}/teachers"
    director = await login_as(client, "director", scope_id=other.id)
    refused(await client.get(url, headers=director.headers), 404, "not_found")
    parent = await login_as(client, "parent", scope_kind="child", scope_id=1)
    refused(await client.get(url, headers=parent.headers), 403, "forbidden")
    refused(await client.get("/api/v1/kindergartens/9999/teachers", headers=director.headers), 404)


async def test_director_edits_teacher_and_detail_masks_for_colleagues(client):
    kg = await make_kindergarten()
    person = await make_person("黄老师", phone="13800138000")
    teacher = await Teacher.create(person=person, kindergarten=kg)
    director = await login_as(client, "director", scope_id=kg.id)
    edited = ok(
        await client.patch(
            f"/api/v1/teachers/{teacher.id}",
            json={"title": "教研组长", "is_key_teacher": True, "phone": "139-0013-9000"},
            headers=director.headers,
        )
    )
    assert edited["title"] == "教研组长" and edited["is_key_teacher"]
    assert edited["phone"] == "13900139000"
    refused(
        await client.patch(
            f"/api/v1/teachers/{teacher.id}", json={"phone": "110"}, headers=director.headers
        ),
        400,
        "invalid_phone",
    )
    colleague = await login_as(client, "teacher", scope_id=kg.id)
    detail = ok(await client.get(f"/api/v1/teachers/{teacher.id}", headers=colleague.headers))
    assert detail["phone"] == "139****9000"
    refused(
        await client.patch(
            f"/api/v1/teachers/{teacher.id}", json={"title": "园长"}, headers=colleague.headers
        ),
        403,
        "forbidden",
    )
    refused(await client.get("/api/v1/teachers/9999", headers=colleague.headers), 404)


async def test_director_of_a_cannot_edit_teacher_of_b(client):
    a, b = await make_kindergarten(), await make_kindergarten()
    teacher = await Teacher.create(person=await make_person(), kindergarten=b)
    director = await login_as(client, "director", scope_id=a.id)
    refused(
        await client.patch(
            f"/api/v1/teachers/{teacher.id}", json={"title": "x"}, headers=director.headers
        ),
        404,
        "not_found",
    )
    refused(
        await client.delete(f"/api/v1/teachers/{teacher.id}", headers=director.headers),
        404,
        "not_found",
    )
    refused(await client.get(f"/api/v1/teachers/{teacher.id}", headers=director.headers), 404)


async def test_deactivating_teacher_keeps_record_and_takes_role(client):
    kg = await make_kindergarten()
    person = await make_person(
        grants=(("teacher", "kindergarten", kg.id), ("organizer", "kindergarten", kg.id)),
        teacher_of=kg,
    )
    teacher = await Teacher.get(person=person)
    director = await login_as(client, "director", scope_id=kg.id)
    gone = ok(await client.delete(f"/api/v1/teachers/{teacher.id}", headers=director.headers))
    assert gone["active"] is False
    assert await Teacher.exists(id=teacher.id, active=False)
    assert not await RoleGrant.exists(person_id=person.id, scope_kind="kindergarten")
    back = ok(
        await client.patch(
            f"/api/v1/teachers/{teacher.id}", json={"active": True}, headers=director.headers
        )
    )
    assert back["active"] is True
    assert await RoleGrant.exists(person_id=person.id, role="teacher", scope_id=kg.id)
    refused(await client.delete("/api/v1/teachers/9999", headers=director.headers), 404)


async def test_returning_teacher_is_readmitted(client):
    kg = await make_kindergarten()
    person = await make_person("何老师", phone="13800138000")
    await Teacher.create(person=person, kindergarten=kg, active=False)
    director = await login_as(client, "director", scope_id=kg.id)
    made = ok(
        await client.post(
            f"/api/v1/kindergartens/{kg.id}/teachers",
            json={"name": "何老师", "phone": "13800138000"},
            headers=director.headers,
        ),
        201,
    )
    assert made["person_id"] == person.id and made["active"] is True
    assert await Teacher.filter(person=person).count() == 1


async def test_names_and_phones_never_reach_the_logs(client, caplog):
    # Our own loggers at DEBUG, everything else at INFO: the ORM's DEBUG output echoes
    # SQL parameters and must stay off in deployments.
    kg = await make_kindergarten()
    director = await login_as(client, "director", scope_id=kg.id)
    with caplog.at_level(logging.INFO), caplog.at_level(logging.DEBUG, logger="songjiao"):
        await client.post(
            f"/api/v1/kindergartens/{kg.id}/teachers",
            json={"name": "保密老师", "phone": "13812345678"},
            headers=director.headers,
        )
        await client.post(
            f"/api/v1/kindergartens/{kg.id}/teachers",
            json={"name": "保密老师", "phone": "13812345678"},
            headers=director.headers,
        )
    assert "保密老师" not in caplog.text and "13812345678" not in caplog.text
