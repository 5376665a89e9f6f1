"""Importing a roster runs as a job: creates, updates, never duplicates, reports progress."""

from __future__ import annotations

import uuid

from server.accounts.models import RoleGrant
from server.jobs.models import JobRecord
from server.orgs.jobs import run_roster_import
from server.orgs.models import Child, Grade, Guardian, Person, SchoolClass, Teacher
from server.orgs.roster import upload_path
from tests.orgs.test_roster import (
    GOOD_CHILDREN,
    GOOD_TEACHERS,
    director_of,
    upload,
    wait_for_job,
    workbook,
)
from tests.support.factories import make_class, make_kindergarten, make_person


async def import_file(client, kg, who, data: bytes) -> dict:
    """Upload to the import endpoint and wait for the job's end."""
    resp = await upload(client, kg.id, data, who, "import")
    assert resp.status_code == 202, resp.text
    started = resp.json()
    assert started["status"] == "queued"
    return await wait_for_job(client, started["job_id"], who)


async def test_good_file_imports_through_the_job(client):
    kg = await make_kindergarten()
    who = await director_of(client, kg)
    job = await import_file(client, kg, who, workbook(GOOD_TEACHERS, GOOD_CHILDREN))
    assert job["status"] == "done", job
    assert job["kind"] == "orgs.import_roster"
    assert "导入完成" in job["result"]["summary"]
    assert job["result"]["counts"]["teachers"]["created"] == 3

    teachers = await Teacher.filter(kindergarten_id=kg.id).prefetch_related("person")
    by_phone = {t.person.phone: t for t in teachers}
    assert set(by_phone) == {"13812345678", "13912345678", "13712345678"}
    zhang = by_phone["13812345678"]
    assert (zhang.person.name, zhang.title, zhang.is_key_teacher) == ("张丽", "保教主任", True)
    assert by_phone["13912345678"].title == "教师"  # empty 职务 means the default
    for t in teachers:
        assert await RoleGrant.exists(
            person_id=t.person_id, role="teacher", scope_kind="kindergarten", scope_id=kg.id
        )

    classes = {c.name: c.grade for c in await SchoolClass.filter(kindergarten_id=kg.id)}
    assert classes == {"小一班": Grade.SMALL, "中一班": Grade.MIDDLE}
    xiaoyu = await Child.get(name="刘小雨").prefetch_related("guardians__person")
    assert {(g.person.name, g.person.phone, g.relation) for g in xiaoyu.guardians} == {
        ("刘强", "13600000001", "父亲"),
        ("陈静", "13600000002", "母亲"),
    }
    zhao = await Guardian.get(child__name="赵一诺").prefetch_related("person")
    assert zhao.relation == "家长"
    # Parents get no role until they redeem an invitation; their phone waits for it.
    parent_ids = await Person.filter(phone__startswith="1360000").values_list("id", flat=True)
    assert len(parent_ids) == 3
    assert not await RoleGrant.filter(person_id__in=parent_ids).exists()


async def test_import_uploads_are_removed_after_the_job(client, api):
    kg = await make_kindergarten()
    who = await director_of(client, kg)
    job = await import_file(client, kg, who, workbook(GOOD_TEACHERS))
    assert job["status"] == "done"
    assert not upload_path(api.app.ctx.runtime.settings.data_dir, job["id"]).exists()


async def test_importing_twice_updates_and_never_duplicates(client):
    kg = await make_kindergarten()
    who = await director_of(client, kg)
    data = workbook(GOOD_TEACHERS, GOOD_CHILDREN)
    assert (await import_file(client, kg, who, data))["status"] == "done"
    again = await import_file(client, kg, who, data)
    assert again["status"] == "done"
    counts = again["result"]["counts"]
    assert counts["teachers"] == {"created": 0, "updated": 0, "unchanged": 3}
    assert counts["children"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert counts["guardians"] == {"created": 0, "updated": 0, "unchanged": 3}

    changed_teachers = [
        ["张丽", "138 1234 5678", "教研组长", "否"],  # same phone: an update
        ["李芳", "13912345678"],  # empty cells keep what is there
        ["王敏", "13712345678", "教师"],
    ]
    changed_children = [
        ["小一班", "中班", "刘小雨", "刘大强", "13600000001", "爸爸"],
        ["小一班", None, "刘小雨", "陈静", "13600000002", "母亲"],
        ["中一班", None, "赵一诺", "赵刚", "13600000003", "父亲"],
    ]
    third = await import_file(client, kg, who, workbook(changed_teachers, changed_children))
    assert third["status"] == "done", third
    counts = third["result"]["counts"]
    assert counts["teachers"] == {"created": 0, "updated": 1, "unchanged": 2}
    assert counts["classes"] == {"created": 0, "updated": 1, "unchanged": 1}
    assert counts["guardians"] == {"created": 0, "updated": 2, "unchanged": 1}

    assert await Teacher.filter(kindergarten_id=kg.id).count() == 3
    assert await Person.all().count() == 3 + 3 + 1  # teachers, parents, the director
    assert await Child.all().count() == 2
    assert await Guardian.all().count() == 3
    zhang = await Teacher.get(person__phone="13812345678")
    assert (zhang.title, zhang.is_key_teacher) == ("教研组长", False)
    li = await Teacher.get(person__phone="13912345678")
    assert li.title == "教师"
    assert (await SchoolClass.get(name="小一班")).grade == Grade.MIDDLE
    father = await Guardian.get(person__phone="13600000001").prefetch_related("person")
    assert (father.person.name, father.relation) == ("刘大强", "爸爸")


async def test_existing_rows_are_matched_not_duplicated(client):
    kg = await make_kindergarten()
    small = await make_class(kg, "小一班")
    # A teacher who joined by invitation (no phone yet) and a child entered by hand.
    invited = await make_person("张丽", teacher_of=kg)
    bare = await Child.create(school_class=small, name="刘小雨")
    who = await director_of(client, kg)
    job = await import_file(client, kg, who, workbook(GOOD_TEACHERS[:1], GOOD_CHILDREN[:2]))
    assert job["status"] == "done", job
    assert await Teacher.filter(kindergarten_id=kg.id).count() == 1
    assert (await Person.get(id=invited.id)).phone == "13812345678"
    assert await Child.filter(school_class=small).count() == 1
    assert await Guardian.filter(child_id=bare.id).count() == 2


async def test_child_moved_up_a_class_is_moved_not_copied(client):
    kg = await make_kindergarten()
    who = await director_of(client, kg)
    first = [["小一班", "小班", "刘小雨", "刘强", "13600000001", "父亲"]]
    assert (await import_file(client, kg, who, workbook(None, first)))["status"] == "done"
    moved = [["中一班", "中班", "刘小雨", "刘强", "13600000001", "父亲"]]
    job = await import_file(client, kg, who, workbook(None, moved))
    assert job["result"]["counts"]["children"] == {"created": 0, "updated": 1, "unchanged": 0}
    child = await Child.get(name="刘小雨").prefetch_related("school_class")
    assert child.school_class.name == "中一班"
    assert await Child.all().count() == 1


async def test_progress_numbers_are_reported(client):
    kg = await make_kindergarten()
    who = await director_of(client, kg)
    teachers = [[f"教师{n}", f"1380000{n:04d}"] for n in range(120)]
    children = [
        ["大一班", "大班", f"幼儿{n}", f"家长{n}", f"1390000{n:04d}", "母亲"] for n in range(80)
    ]
    job = await import_file(client, kg, who, workbook(teachers, children))
    assert job["status"] == "done", job
    assert (job["done"], job["total"], job["percent"]) == (200, 200, 100)
    record = await JobRecord.get(id=job["id"])
    assert record.params == {"kindergarten_id": kg.id, "rows": 200}


async def test_import_of_a_file_with_bad_rows_is_refused_before_queueing(client):
    kg = await make_kindergarten()
    who = await director_of(client, kg)
    resp = await upload(client, kg.id, workbook([["张丽", "12345"]]), who, "import")
    assert resp.status_code == 400
    body = resp.json()
    assert body["error"] == "roster_invalid" and "未开始导入" in body["message"]
    assert body["details"]["issues"][0]["row"] == 2
    assert not await JobRecord.exists()


async def test_job_refuses_a_file_with_bad_rows_and_writes_nothing(client, api):
    """The job checks again: a file that went bad (or a class deleted) is refused whole."""
    kg = await make_kindergarten()
    settings = api.app.ctx.runtime.settings
    record = await JobRecord.create(id=uuid.uuid4(), kind="orgs.import_roster", params={})
    path = upload_path(settings.data_dir, str(record.id))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(workbook(GOOD_TEACHERS, [["大九班", None, "赵一诺", "赵刚", "13600000003"]]))
    outcome = await run_roster_import(
        job_id=str(record.id), kindergarten_id=kg.id, data_dir=settings.data_dir, max_bytes=2**24
    )
    assert outcome["status"] == "failed"
    await record.refresh_from_db()
    assert record.status == "failed"
    assert record.error == "花名册有 1 处问题，未导入任何数据；请修正后重新上传"
    assert record.result["issues"] == [
        {
            "sheet": "幼儿",
            "row": 2,
            "column": "班级",
            "reason": "未知班级“大九班”：本园没有该班级，表中也没有为它填写有效的年级",
        }
    ]
    assert not await Teacher.exists()
    assert not path.exists()


async def test_job_without_its_file_fails_clearly_and_a_rerun_is_harmless(client, api):
    kg = await make_kindergarten()
    settings = api.app.ctx.runtime.settings
    record = await JobRecord.create(id=uuid.uuid4(), kind="orgs.import_roster", params={})
    args = dict(
        job_id=str(record.id), kindergarten_id=kg.id, data_dir=settings.data_dir, max_bytes=2**24
    )
    assert (await run_roster_import(**args))["status"] == "failed"
    await record.refresh_from_db()
    assert "重新上传" in record.error
    assert (await run_roster_import(**args))["status"] == "done_before"


async def test_job_run_twice_on_the_same_file_changes_nothing_more(client, api):
    kg = await make_kindergarten()
    settings = api.app.ctx.runtime.settings
    data = workbook(GOOD_TEACHERS, GOOD_CHILDREN)
    for _ in range(2):
        record = await JobRecord.create(id=uuid.uuid4(), kind="orgs.import_roster", params={})
        path = upload_path(settings.data_dir, str(record.id))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        outcome = await run_roster_import(
            job_id=str(record.id),
            kindergarten_id=kg.id,
            data_dir=settings.data_dir,
            max_bytes=2**24,
        )
        assert outcome["status"] == "done"
    assert await Teacher.all().count() == 3
    assert await Child.all().count() == 2
    assert await Guardian.all().count() == 3
