"""Roster template and dry-run check: every kind of bad row is named with its row number."""

from __future__ import annotations

import asyncio
import io
from urllib.parse import unquote

import pytest
from openpyxl import Workbook, load_workbook

from server.orgs.models import Child, Person, SchoolClass, Teacher
from tests.support.factories import login_as, make_class, make_kindergarten

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEACHER_HEADER = ["姓名", "手机号", "职务", "骨干教师(是/否)"]
CHILD_HEADER = ["班级", "年级", "幼儿姓名", "家长姓名", "家长手机号", "关系"]


def workbook(
    teachers: list | None = None,
    children: list | None = None,
    *,
    teacher_header: list | None = None,
    child_header: list | None = None,
    extra_sheet: str | None = None,
) -> bytes:
    """An .xlsx in memory with the given rows under the template's headers."""
    wb = Workbook()
    wb.remove(wb.active)
    if teachers is not None:
        ws = wb.create_sheet("教师")
        ws.append(teacher_header or TEACHER_HEADER)
        for row in teachers:
            ws.append(row)
    if children is not None:
        ws = wb.create_sheet("幼儿")
        ws.append(child_header or CHILD_HEADER)
        for row in children:
            ws.append(row)
    if extra_sheet or not wb.sheetnames:
        wb.create_sheet(extra_sheet or "Sheet1").append(["随便什么"])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


GOOD_TEACHERS = [
    ["张丽", "13812345678", "保教主任", "是"],
    ["李芳", "+86 139-1234-5678", None, "否"],
    ["王敏", 13712345678, "教师", None],
]
GOOD_CHILDREN = [
    ["小一班", "小班", "刘小雨", "刘强", "13600000001", "父亲"],
    ["小一班", "小班", "刘小雨", "陈静", "13600000002", "母亲"],
    ["中一班", "中班", "赵一诺", "赵刚", "13600000003", None],
]


async def director_of(client, kg):
    """A logged-in director of `kg`."""
    return await login_as(client, "director", scope_kind="kindergarten", scope_id=kg.id)


async def upload(client, kg_id: int, data: bytes, who, action: str = "check", name="花名册.xlsx"):
    """POST a roster file to the check or import endpoint."""
    return await client.post(
        f"/api/v1/kindergartens/{kg_id}/roster/{action}",
        files={"file": (name, data, XLSX)},
        headers=who.headers,
    )


async def wait_for_job(client, job_id: str, who, *, seconds: float = 20) -> dict:
    """Poll the job until it is done or failed."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        resp = await client.get(f"/api/v1/jobs/{job_id}", headers=who.headers)
        assert resp.status_code == 200, resp.text
        job = resp.json()
        if job["status"] in ("done", "failed"):
            return job
        assert asyncio.get_running_loop().time() < deadline, f"job stuck: {job}"
        await asyncio.sleep(0.05)


async def check(client, teachers=None, children=None, **kwargs) -> dict:
    """Check a workbook as the director of a fresh kindergarten; answers the JSON."""
    kg = await make_kindergarten()
    for name in kwargs.pop("classes", ()):
        await make_class(kg, name)
    who = await director_of(client, kg)
    resp = await upload(client, kg.id, workbook(teachers, children, **kwargs), who)
    assert resp.status_code == 200, resp.text
    return resp.json()


def reasons(body: dict) -> list[tuple[str, int, str | None, str]]:
    return [(i["sheet"], i["row"], i["column"], i["reason"]) for i in body["issues"]]


# --------------------------------------------------------------------------- template


async def test_template_downloads_with_both_sheets_headers_and_lists(client):
    kg = await make_kindergarten(name="阳光幼儿园")
    who = await director_of(client, kg)
    resp = await client.get(
        f"/api/v1/kindergartens/{kg.id}/roster/template.xlsx", headers=who.headers
    )
    assert resp.status_code == 200
    assert resp.headers["content-type"] == XLSX
    wb = load_workbook(io.BytesIO(resp.content))
    assert wb.sheetnames == ["教师", "幼儿"]
    teachers, children = wb["教师"], wb["幼儿"]
    assert [c.value for c in teachers[1]] == TEACHER_HEADER
    assert [c.value for c in children[1]] == CHILD_HEADER
    assert all(c.font.bold for c in teachers[1]) and all(c.font.bold for c in children[1])
    assert teachers.max_row >= 2 and children["C2"].value  # an example row
    assert children.column_dimensions["C"].width >= 10
    grade_lists = [dv.formula1 for dv in children.data_validations.dataValidation]
    assert any("小班" in f and "大班" in f for f in grade_lists)
    key_lists = [dv.formula1 for dv in teachers.data_validations.dataValidation]
    assert any("是" in f and "否" in f for f in key_lists)


async def test_template_has_a_chinese_file_name(client):
    kg = await make_kindergarten(name="阳光幼儿园")
    who = await director_of(client, kg)
    resp = await client.get(
        f"/api/v1/kindergartens/{kg.id}/roster/template.xlsx", headers=who.headers
    )
    disposition = resp.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    encoded = disposition.split("filename*=UTF-8''")[1]
    assert unquote(encoded) == "阳光幼儿园花名册导入模板.xlsx"


async def test_filled_template_example_rows_are_skipped(client):
    kg = await make_kindergarten()
    who = await director_of(client, kg)
    template = await client.get(
        f"/api/v1/kindergartens/{kg.id}/roster/template.xlsx", headers=who.headers
    )
    wb = load_workbook(io.BytesIO(template.content))
    wb["教师"].append(["孙悦", "13811112222", "教师", "否"])
    buffer = io.BytesIO()
    wb.save(buffer)
    body = (await upload(client, kg.id, buffer.getvalue(), who)).json()
    assert body["ok"] is True
    assert body["rows"] == {"teachers": 1, "children": 0}


# --------------------------------------------------------------------------- dry run


async def test_check_of_good_file_reports_counts_and_writes_nothing(client):
    body = await check(client, GOOD_TEACHERS, GOOD_CHILDREN)
    assert body["ok"] is True and body["issues"] == []
    assert body["rows"] == {"teachers": 3, "children": 3}
    assert body["counts"]["teachers"] == {"created": 3, "updated": 0, "unchanged": 0}
    assert body["counts"]["classes"]["created"] == 2
    assert body["counts"]["children"]["created"] == 2  # 刘小雨 has two parents
    assert body["counts"]["guardians"]["created"] == 3
    assert "检查通过" in body["summary"]
    assert await Teacher.all().count() == 0
    assert await SchoolClass.all().count() == 0
    assert await Child.all().count() == 0
    assert await Person.filter(phone="13600000001").count() == 0


async def test_check_reports_missing_required_column(client):
    body = await check(client, [["张丽", "教师"]], teacher_header=["姓名", "职务"])
    assert body["ok"] is False
    assert reasons(body) == [("教师", 1, "手机号", "缺少必填列“手机号”")]


async def test_check_reports_empty_required_cell(client):
    body = await check(
        client,
        [["张丽", "13812345678"], [None, "13812345679"]],
        [["小一班", "小班", "刘小雨", None, "13600000001", "父亲"]],
    )
    assert reasons(body) == [
        ("教师", 3, "姓名", "姓名不能为空"),
        ("幼儿", 2, "家长姓名", "家长姓名不能为空"),
    ]


async def test_check_reports_duplicate_teacher_phone(client):
    body = await check(
        client,
        [["张丽", "13812345678"], ["李芳", "13912345678"], ["张丽", "138 1234 5678"]],
    )
    assert [(s, r, c) for s, r, c, _ in reasons(body)] == [("教师", 4, "手机号")]
    assert "第 2 行" in body["issues"][0]["reason"]


async def test_check_reports_duplicate_child_row(client):
    row = ["小一班", "小班", "刘小雨", "刘强", "13600000001", "父亲"]
    body = await check(client, None, [row, list(row)])
    assert [(s, r, c) for s, r, c, _ in reasons(body)] == [("幼儿", 3, "幼儿姓名")]
    assert "重复" in body["issues"][0]["reason"]


@pytest.mark.parametrize("phone", ["1381234567", "23812345678", "12812345678", "138-1234-567a"])
async def test_check_reports_malformed_phone(client, phone):
    body = await check(client, [["张丽", phone]])
    assert [(s, r, c) for s, r, c, _ in reasons(body)] == [("教师", 2, "手机号")]
    assert "格式不正确" in body["issues"][0]["reason"]


async def test_check_normalises_spaces_dashes_and_country_code(client):
    body = await check(
        client,
        [["张丽", "+86 138-1234-5678"], ["李芳", "0086 13912345678"], ["王敏", 13712345678.0]],
    )
    assert body["ok"] is True, body["issues"]


async def test_check_reports_unknown_class(client):
    body = await check(
        client,
        None,
        [
            ["大二班", None, "赵一诺", "赵刚", "13600000003", "父亲"],
            ["大一班", None, "钱多多", "钱进", "13600000004", "父亲"],
        ],
        classes=["大一班"],
    )
    assert [(s, r, c) for s, r, c, _ in reasons(body)] == [("幼儿", 2, "班级")]
    assert "未知班级" in body["issues"][0]["reason"]


async def test_check_creates_a_class_named_with_a_grade_in_any_row(client):
    body = await check(
        client,
        None,
        [
            ["大二班", None, "赵一诺", "赵刚", "13600000003", "父亲"],
            ["大二班", "大班", "钱多多", "钱进", "13600000004", "父亲"],
        ],
    )
    assert body["ok"] is True
    assert body["counts"]["classes"]["created"] == 1


async def test_check_reports_invalid_grade(client):
    body = await check(client, None, [["大二班", "大大班", "赵一诺", "赵刚", "13600000003", None]])
    got = [(s, r, c) for s, r, c, _ in reasons(body)]
    assert ("幼儿", 2, "年级") in got
    assert "年级无效" in body["issues"][0]["reason"]


async def test_check_reports_over_long_names(client):
    body = await check(
        client,
        [["张" * 33, "13812345678", "特别长的职务名称超过了十六个字的限制啊"]],
        [["小一班", "小班", "刘" * 40, "刘强", "13600000001", "父亲"]],
    )
    got = {(s, r, c) for s, r, c, _ in reasons(body)}
    assert got == {("教师", 2, "姓名"), ("教师", 2, "职务"), ("幼儿", 2, "幼儿姓名")}
    assert all("过长" in i["reason"] for i in body["issues"])


async def test_check_reports_one_phone_with_two_parent_names(client):
    body = await check(
        client,
        None,
        [
            ["小一班", "小班", "刘小雨", "刘强", "13600000001", "父亲"],
            ["小一班", "小班", "刘小雪", "刘大强", "13600000001", "父亲"],
        ],
    )
    assert [(s, r, c) for s, r, c, _ in reasons(body)] == [("幼儿", 3, "家长姓名")]


async def test_check_reports_bad_key_teacher_value(client):
    body = await check(client, [["张丽", "13812345678", "教师", "也许"]])
    assert [(s, r, c) for s, r, c, _ in reasons(body)] == [("教师", 2, "骨干教师(是/否)")]


async def test_check_reports_every_bad_row_with_its_number(client):
    body = await check(
        client,
        [["张丽", "13812345678"], [None, None, "教师"], ["李芳", "123"]],
    )
    rows = sorted({i["row"] for i in body["issues"]})
    assert rows == [3, 4]
    assert body["issue_count"] == len(body["issues"]) == 3
    assert "发现 3 处问题" in body["summary"]
