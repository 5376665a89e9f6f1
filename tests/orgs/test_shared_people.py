"""One person, several kindergartens: nobody links or edits her from outside her kindergartens.

A director may link an existing person to her kindergarten, or change a person's name and
phone, only when every kindergarten where that person holds a role (staff, guardian, grant)
is one she directs; otherwise the person confirms herself (an invitation code she redeems)
or an admin acts. The roster import keeps the same rule.
"""

from __future__ import annotations

from server.accounts.models import RoleGrant
from server.audit.models import AuditEntry
from server.orgs.models import Guardian, Person, Teacher
from tests.orgs.asserts import ok, refused
from tests.orgs.test_roster import director_of, upload, workbook
from tests.orgs.test_roster_import import import_file
from tests.support.factories import (
    login,
    login_as,
    make_child,
    make_class,
    make_kindergarten,
    make_person,
    make_region,
    unique,
)


async def _teacher_at(*kindergartens, name: str = "王丽", phone: str = "13811112222") -> Person:
    """A person on the staff of each kindergarten, with her teacher grants."""
    person = await make_person(name, phone=phone)
    for kg in kindergartens:
        await Teacher.create(person=person, kindergarten=kg)
        await RoleGrant.create(
            person=person, role="teacher", scope_kind="kindergarten", scope_id=kg.id
        )
    return person


async def test_adding_staff_of_another_kindergarten_waits_for_her_own_confirmation(client):
    a = await make_kindergarten(await make_region())
    b = await make_kindergarten(await make_region())
    wang = await _teacher_at(a)
    director_b = await login_as(client, "director", scope_id=b.id)
    body = {"name": "王丽", "phone": "13811112222", "title": "保教主任"}
    answer = refused(
        await client.post(
            f"/api/v1/kindergartens/{b.id}/teachers", json=body, headers=director_b.headers
        ),
        409,
        "needs_confirmation",
    )
    assert "邀请码" in answer["message"]
    assert not await Teacher.exists(person_id=wang.id, kindergarten_id=b.id)
    assert not await RoleGrant.exists(person_id=wang.id, scope_kind="kindergarten", scope_id=b.id)
    assert await Person.filter(phone="13811112222").count() == 1  # no second record either

    # Her own confirmation: she redeems B's teacher invitation with her own WeChat.
    invitation = ok(
        await client.post(
            "/api/v1/invitations",
            json={"kind": "teacher", "kindergarten_id": b.id},
            headers=director_b.headers,
        ),
        201,
    )
    herself = await login(client, unique("wangli-"), person=wang)
    ok(
        await client.post(
            "/api/v1/invitations/redeem",
            json={"code": invitation["code"]},
            headers=herself.headers,
        )
    )
    assert await Teacher.exists(person_id=wang.id, kindergarten_id=b.id)
    staff_b = ok(
        await client.get(f"/api/v1/kindergartens/{b.id}/teachers", headers=director_b.headers)
    )
    assert [t["person_id"] for t in staff_b["items"]] == [wang.id]  # one record, one ledger


async def test_admin_links_an_existing_person_and_it_is_audited(client):
    a, b = await make_kindergarten(), await make_kindergarten()
    wang = await _teacher_at(a)
    admin = await login_as(client, "admin")
    made = ok(
        await client.post(
            f"/api/v1/kindergartens/{b.id}/teachers",
            json={"name": "王丽", "phone": "13811112222"},
            headers=admin.headers,
        ),
        201,
    )
    assert made["person_id"] == wang.id
    entry = await AuditEntry.get(action="staff.link", target_id=wang.id)
    assert entry.actor_id == admin.person.id and entry.detail == {"kindergarten_id": b.id}


async def test_director_of_both_kindergartens_links_without_asking(client):
    region = await make_region()
    a, b = await make_kindergarten(region), await make_kindergarten(region)
    wang = await _teacher_at(a)
    person = await make_person(
        grants=(("director", "kindergarten", a.id), ("director", "kindergarten", b.id))
    )
    director = await login(client, unique("both-"), person=person)
    made = ok(
        await client.post(
            f"/api/v1/kindergartens/{b.id}/teachers",
            json={"name": "王丽", "phone": "13811112222"},
            headers=director.headers,
        ),
        201,
    )
    assert made["person_id"] == wang.id


async def test_director_cannot_rename_or_rephone_a_teacher_who_also_works_elsewhere(client):
    a = await make_kindergarten(await make_region())
    b = await make_kindergarten(await make_region())
    wang = await _teacher_at(a, b)
    at_b = await Teacher.get(person=wang, kindergarten=b)
    director_b = await login_as(client, "director", scope_id=b.id)
    url = f"/api/v1/teachers/{at_b.id}"
    refused(
        await client.patch(url, json={"name": "王小丽"}, headers=director_b.headers),
        403,
        "forbidden",
    )
    refused(
        await client.patch(url, json={"phone": "13999998888"}, headers=director_b.headers),
        403,
        "forbidden",
    )
    wang = await Person.get(id=wang.id)
    assert (wang.name, wang.phone) == ("王丽", "13811112222")
    # What belongs to B alone stays B's to change; her unchanged name may be sent back.
    edited = ok(
        await client.patch(
            url, json={"name": "王丽", "title": "教研组长"}, headers=director_b.headers
        )
    )
    assert edited["title"] == "教研组长"
    admin = await login_as(client, "admin")
    ok(await client.patch(url, json={"name": "王小丽"}, headers=admin.headers))
    assert await AuditEntry.exists(action="person.edit", target_id=wang.id)


async def test_director_cannot_edit_a_teacher_who_is_a_parent_in_another_kindergarten(client):
    a = await make_kindergarten(await make_region())
    b = await make_kindergarten(await make_region())
    wang = await _teacher_at(b)
    await make_child(await make_class(a), guardian=wang)
    at_b = await Teacher.get(person=wang, kindergarten=b)
    director_b = await login_as(client, "director", scope_id=b.id)
    refused(
        await client.patch(
            f"/api/v1/teachers/{at_b.id}", json={"phone": "13999998888"}, headers=director_b.headers
        ),
        403,
        "forbidden",
    )
    # A teacher of B alone: her director corrects her phone as before.
    own = await _teacher_at(b, name="李芳", phone="13700001111")
    own_row = await Teacher.get(person=own, kindergarten=b)
    ok(
        await client.patch(
            f"/api/v1/teachers/{own_row.id}",
            json={"phone": "13700002222"},
            headers=director_b.headers,
        )
    )
    assert (await Person.get(id=own.id)).phone == "13700002222"


async def test_guardian_matching_a_person_elsewhere_gets_her_own_record(client):
    a = await make_kindergarten(await make_region())
    b = await make_kindergarten(await make_region())
    wang = await _teacher_at(a)
    child = await make_child(await make_class(b))
    director_b = await login_as(client, "director", scope_id=b.id)
    added = ok(
        await client.post(
            f"/api/v1/children/{child.id}/guardians",
            json={"name": "王丽", "phone": "13811112222", "relation": "母亲"},
            headers=director_b.headers,
        ),
        201,
    )
    assert added["person_id"] != wang.id
    assert not await Guardian.exists(person_id=wang.id)


async def test_roster_cannot_rename_a_teacher_shared_with_another_kindergarten(client):
    a = await make_kindergarten(await make_region())
    b = await make_kindergarten(await make_region())
    wang = await _teacher_at(a, b)
    who = await director_of(client, b)
    data = workbook([["王小丽", "13811112222", "教师", "否"]])
    check = ok(await upload(client, b.id, data, who))
    assert not check["ok"]
    assert any("其他幼儿园" in i["reason"] for i in check["issues"]), check["issues"]
    refused(await upload(client, b.id, data, who, "import"), 400, "roster_invalid")
    assert (await Person.get(id=wang.id)).name == "王丽"
    # The same row with her name as it stands imports (title is B's own).
    job = await import_file(client, b, who, workbook([["王丽", "13811112222", "教研组长", "否"]]))
    assert job["status"] == "done", job
    assert (await Teacher.get(person=wang, kindergarten=b)).title == "教研组长"


async def test_roster_never_links_a_teacher_of_another_kindergarten(client):
    a = await make_kindergarten(await make_region())
    b = await make_kindergarten(await make_region())
    wang = await _teacher_at(a)
    who = await director_of(client, b)
    check = ok(await upload(client, b.id, workbook([["王丽", "13811112222", "教师", "否"]]), who))
    assert not check["ok"]
    assert any("邀请码" in i["reason"] for i in check["issues"]), check["issues"]
    assert not await Teacher.exists(kindergarten_id=b.id)
    assert await Person.filter(phone="13811112222").count() == 1
    assert (await Person.get(id=wang.id)).name == "王丽"


async def test_roster_cannot_rename_a_parent_whose_other_child_is_elsewhere(client):
    a = await make_kindergarten(await make_region())
    b = await make_kindergarten(await make_region())
    mother = await make_person("陈静", phone="13600000002")
    await make_child(await make_class(a), guardian=mother)
    small = await make_class(b, "小一班")
    await Guardian.create(person=mother, child=await make_child(small), relation="母亲")
    child_b = await Guardian.get(person=mother, child__school_class=small).prefetch_related("child")
    who = await director_of(client, b)
    row = ["小一班", None, child_b.child.name, "陈小静", "13600000002", "母亲"]
    check = ok(await upload(client, b.id, workbook(None, [row]), who))
    assert not check["ok"]
    assert any("其他幼儿园" in i["reason"] for i in check["issues"]), check["issues"]
    assert (await Person.get(id=mother.id)).name == "陈静"
