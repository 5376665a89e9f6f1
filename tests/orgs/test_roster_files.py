"""Files that are not rosters get a clear 4xx, never a 500; roles and scope are enforced."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile

import pytest
from openpyxl import Workbook

from server.orgs.roster_reading import MAX_UNZIPPED_BYTES
from tests.orgs.test_roster import GOOD_TEACHERS, XLSX, director_of, upload, workbook
from tests.support.factories import login_as, make_kindergarten

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def zip_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("action", ["check", "import"])
@pytest.mark.parametrize(
    "data",
    [
        PNG,
        "姓名,手机号\n张丽,13812345678\n".encode(),
        zip_of({"word/document.xml": b"<w/>", "[Content_Types].xml": b"<Types/>"}),
        zip_of({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"not xml at all"}),
        b"PK\x03\x04" + b"\x00" * 100,
    ],
    ids=["png", "csv-text", "docx-like-zip", "broken-workbook", "truncated-zip"],
)
async def test_not_an_xlsx_is_refused_as_not_xlsx(client, data, action):
    kg = await make_kindergarten()
    who = await director_of(client, kg)
    resp = await upload(client, kg.id, data, who, action)
    assert resp.status_code == 400, resp.text
    assert resp.json() == {"error": "not_xlsx", "message": "文件不是有效的 Excel（.xlsx）文件"}


async def test_old_xls_is_refused_with_a_save_as_hint(client):
    kg = await make_kindergarten()
    who = await director_of(client, kg)
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512
    resp = await upload(client, kg.id, ole, who)
    assert resp.status_code == 400
    assert resp.json()["error"] == "not_xlsx" and "另存为 .xlsx" in resp.json()["message"]


@pytest.mark.parametrize("action", ["check", "import"])
async def test_empty_file_is_refused(client, action):
    kg = await make_kindergarten()
    who = await director_of(client, kg)
    resp = await upload(client, kg.id, b"", who, action)
    assert resp.status_code == 400
    assert resp.json()["error"] == "empty_file"
    assert "空的" in resp.json()["message"]


async def test_untouched_template_is_refused_as_empty_roster(client):
    kg = await make_kindergarten()
    who = await director_of(client, kg)
    template = await client.get(
        f"/api/v1/kindergartens/{kg.id}/roster/template.xlsx", headers=who.headers
    )
    resp = await upload(client, kg.id, template.content, who)
    assert resp.status_code == 400
    assert resp.json()["error"] == "empty_roster"
    assert "示例行会被忽略" in resp.json()["message"]


async def test_missing_file_field_is_refused(client):
    kg = await make_kindergarten()
    who = await director_of(client, kg)
    resp = await client.post(
        f"/api/v1/kindergartens/{kg.id}/roster/check",
        files={"other": ("a.xlsx", workbook(GOOD_TEACHERS), XLSX)},
        headers=who.headers,
    )
    assert resp.status_code == 400
    assert resp.json()["error"] == "missing_file"


@pytest.mark.parametrize("action", ["check", "import"])
async def test_file_just_over_twenty_megabytes_is_refused_with_413(client, api, action):
    kg = await make_kindergarten()
    who = await director_of(client, kg)
    limit = api.app.ctx.runtime.settings.max_upload_mb * 1024 * 1024
    big = b"PK\x03\x04" + b"\x00" * (limit + 1024 - 4)
    resp = await upload(client, kg.id, big, who, action)
    assert resp.status_code == 413
    body = resp.json()
    assert body["error"] == "payload_too_large" and "20 MB" in body["message"]


async def test_declared_length_over_the_limit_is_refused_before_reading(client, api):
    kg = await make_kindergarten()
    who = await director_of(client, kg)
    limit = api.app.ctx.runtime.settings.max_upload_mb * 1024 * 1024
    # Declare 40 MB and send ten bytes: the answer can only come from the Content-Length
    # check made before reading (httpx refuses to lie about a length, so a raw socket).
    host, port = api.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    head = (
        f"POST /api/v1/kindergartens/{kg.id}/roster/check HTTP/1.1\r\n"
        f"Host: {host}\r\nAuthorization: {who.headers['Authorization']}\r\n"
        "Content-Type: multipart/form-data; boundary=abc\r\n"
        f"Content-Length: {limit * 2}\r\n\r\n"
    )
    writer.write(head.encode() + b"x" * 10)
    await writer.drain()
    status = await asyncio.wait_for(reader.readline(), timeout=10)
    headers = {}
    while (line := await asyncio.wait_for(reader.readline(), timeout=10)) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        headers[name.lower()] = value.strip()
    body = await asyncio.wait_for(reader.readexactly(int(headers["content-length"])), timeout=10)
    writer.close()
    assert status.split()[1] == b"413"
    assert json.loads(body)["error"] == "payload_too_large"


async def test_zip_bomb_is_refused_before_openpyxl_opens_it(client):
    kg = await make_kindergarten()
    who = await director_of(client, kg)
    bomb = zip_of(
        {
            "[Content_Types].xml": b"<Types/>",
            "xl/workbook.xml": b"<workbook/>",
            "xl/worksheets/sheet1.xml": b"0" * (101 * 1024 * 1024),
        }
    )
    assert len(bomb) < 1024 * 1024  # tiny on the wire
    resp = await upload(client, kg.id, bomb, who)
    assert resp.status_code == 400
    assert resp.json()["error"] == "workbook_too_large"
    assert f"{MAX_UNZIPPED_BYTES // (1024 * 1024)} MB" in resp.json()["message"]


async def test_workbook_without_either_sheet_names_the_expected_sheets(client):
    kg = await make_kindergarten()
    who = await director_of(client, kg)
    resp = await upload(client, kg.id, workbook(extra_sheet="Sheet1"), who)
    assert resp.status_code == 400
    body = resp.json()
    assert body["error"] == "missing_sheets"
    assert "教师" in body["message"] and "幼儿" in body["message"]
    assert body["details"] == {"expected_sheets": ["教师", "幼儿"]}


async def test_sheet_with_too_many_rows_is_refused(client):
    kg = await make_kindergarten()
    who = await director_of(client, kg)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("教师")
    ws.append(["姓名", "手机号"])
    for n in range(5001):
        ws.append([f"教师{n}", f"138{n:08d}"])
    buffer = io.BytesIO()
    wb.save(buffer)
    resp = await upload(client, kg.id, buffer.getvalue(), who)
    assert resp.status_code == 400
    assert resp.json()["error"] == "too_many_rows"
    assert "5000" in resp.json()["message"]


@pytest.mark.parametrize("action", ["check", "import"])
async def test_teacher_is_refused(client, action):
    kg = await make_kindergarten()
    teacher = await login_as(client, "teacher", scope_kind="kindergarten", scope_id=kg.id)
    resp = await upload(client, kg.id, workbook(GOOD_TEACHERS), teacher, action)
    assert resp.status_code == 403
    template = await client.get(
        f"/api/v1/kindergartens/{kg.id}/roster/template.xlsx", headers=teacher.headers
    )
    assert template.status_code == 403


@pytest.mark.parametrize("action", ["check", "import"])
async def test_director_of_another_kindergarten_is_refused(client, action):
    kg, other = await make_kindergarten(), await make_kindergarten()
    who = await director_of(client, other)
    resp = await upload(client, kg.id, workbook(GOOD_TEACHERS), who, action)
    assert resp.status_code == 404
    assert resp.json()["error"] == "not_found"
    template = await client.get(
        f"/api/v1/kindergartens/{kg.id}/roster/template.xlsx", headers=who.headers
    )
    assert template.status_code == 404


async def test_leader_of_the_region_is_refused_children_data(client):
    kg = await make_kindergarten()
    leader = await login_as(client, "leader", scope_kind="region", scope_id=kg.region_id)
    resp = await upload(client, kg.id, workbook(GOOD_TEACHERS), leader)
    assert resp.status_code == 403


async def test_anonymous_is_refused(client):
    kg = await make_kindergarten()
    resp = await client.post(
        f"/api/v1/kindergartens/{kg.id}/roster/check",
        files={"file": ("a.xlsx", workbook(GOOD_TEACHERS), XLSX)},
    )
    assert resp.status_code == 401


async def test_admin_may_check_any_kindergarten_and_unknown_one_is_404(client):
    kg = await make_kindergarten()
    admin = await login_as(client, "admin")
    assert (await upload(client, kg.id, workbook(GOOD_TEACHERS), admin)).status_code == 200
    resp = await upload(client, 999_999, workbook(GOOD_TEACHERS), admin)
    assert resp.status_code == 404
