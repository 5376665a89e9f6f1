"""Semester export of a pairing's 帮扶档案: a zip with index.xlsx, records and files."""

from __future__ import annotations

import asyncio
import io
import zipfile
from datetime import UTC, datetime
from urllib.parse import quote

from openpyxl import load_workbook

from server.activities.models import ActivityKind, ActivityStatus, Presenter
from server.checkin.models import Checkin, CheckinMethod
from server.common.time import CHINA
from tests.archive.helpers import ARCHIVE, PDF_BYTES, jpeg_bytes, make_activity, upload
from tests.support.factories import login_as, make_kindergarten, make_person
from tests.support.world import make_world

HEADERS = [
    "日期",
    "活动名称",
    "类型",
    "承办园",
    "状态",
    "签到人数",
    "课时",
    "照片数",
    "附件数",
    "记录卡状态",
]


async def _export(client, who, pairing_id: int, semester: str | None = "2026秋"):
    params = {"semester": semester} if semester is not None else {}
    return await client.get(
        f"/api/v1/pairings/{pairing_id}/archive.zip", params=params, headers=who.headers
    )


def _index_rows(archive: zipfile.ZipFile) -> tuple[list, list[list]]:
    wb = load_workbook(io.BytesIO(archive.read("index.xlsx")))
    ws = wb.active
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert all(cell.font.bold for cell in ws[1])
    assert ws.column_dimensions["B"].width >= 20
    return rows[0], rows[1:]


async def test_semester_zip_has_index_records_and_files_with_chinese_names(client, settings):
    w = await make_world(client, ARCHIVE)
    await client.put(
        f"/api/v1/activities/{w.activity.id}/record",
        json={"plan": "示范课两节", "summary": "孩子们参与度高", "reflection": "区域活动待加强"},
        headers=w.organizer.headers,
    )
    await upload(client, w.organizer, w.activity.id, jpeg_bytes(), filename="课堂照片.jpg")
    await upload(client, w.organizer, w.activity.id, jpeg_bytes((30, 30)), filename="课堂照片.jpg")
    await upload(
        client, w.director, w.activity.id, PDF_BYTES, filename="教案.pdf", kind="attachment"
    )
    await Presenter.create(activity=w.activity, person=await make_person(), hours=2)
    for _ in range(2):
        await Checkin.create(
            activity=w.activity,
            person=await make_person(),
            method=CheckinMethod.STATIC,
            scanned_at=datetime.now(UTC),
        )
    await client.post(
        f"/api/v1/activities/{w.activity.id}/record-card/confirm", headers=w.organizer.headers
    )
    lecture = await make_activity(
        host=w.supporting,
        pairing=w.pairing,
        title="专题讲座：幼小衔接",
        kind=ActivityKind.LECTURE,
        starts_at=datetime(2026, 12, 3, 14, tzinfo=CHINA),
    )
    # Another semester and a draft stay out.
    await make_activity(
        host=w.supported, pairing=w.pairing, starts_at=datetime(2026, 4, 1, 9, tzinfo=CHINA)
    )
    await make_activity(host=w.supported, pairing=w.pairing, status=ActivityStatus.DRAFT)

    resp = await _export(client, w.director, w.pairing.id)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "application/zip"
    assert "filename*=UTF-8''" + quote("县实验幼儿园") in resp.headers["content-disposition"]

    archive = zipfile.ZipFile(io.BytesIO(resp.content))
    headers, rows = _index_rows(archive)
    assert headers == HEADERS
    assert len(rows) == 2
    first, second = rows
    assert first[:5] == [
        "2026-10-15",
        "送教下乡：绘本教学示范课",
        "送教下乡",
        "石桥村幼儿园",
        "已结束",
    ]
    assert first[5:9] == [2, 2, 2, 1]
    assert first[9] == "帮扶园已确认，待另一方确认"
    assert second[1] == "专题讲座：幼小衔接" and second[7:9] == [0, 0]
    assert second[9] == "未确认"

    folder = "2026-10-15_送教下乡：绘本教学示范课"
    names = set(archive.namelist())
    assert {
        f"{folder}/记录.txt",
        f"{folder}/课堂照片.jpg",
        f"{folder}/课堂照片(2).jpg",
        f"{folder}/教案.pdf",
        f"2026-12-03_{lecture.title}/记录.txt",
    } <= names
    assert archive.read(f"{folder}/教案.pdf") == PDF_BYTES
    record = archive.read(f"{folder}/记录.txt").decode("utf-8-sig")
    for text in ("示范课两节", "孩子们参与度高", "区域活动待加强", "【帮扶记录卡确认】"):
        assert text in record
    assert "帮扶园（县实验幼儿园）：已确认" in record
    assert "被帮扶园（石桥村幼儿园）：未确认" in record
    # Hand count: the audience (石桥村's staff) is nobody here; one presenter; the two who
    # scanned are neither invited nor staff of the audience.
    assert "出勤：应到 0 人，实到 0 人，迟到 0 人，未到 0 人；授课 1 人；另有 2 人签到" in record
    # The temp zip is deleted once sent (just after the last byte reaches the client).
    for _ in range(50):
        if not list((settings.data_dir / "tmp").glob("archive-export-*.zip")):
            break
        await asyncio.sleep(0.05)
    assert not list((settings.data_dir / "tmp").glob("archive-export-*.zip"))


async def test_empty_semester_gives_an_index_saying_no_activities(client):
    w = await make_world(client, ARCHIVE)
    resp = await _export(client, w.organizer, w.pairing.id, "2027春")
    assert resp.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(resp.content))
    assert archive.namelist() == ["index.xlsx"]
    headers, rows = _index_rows(archive)
    assert headers == HEADERS
    assert rows[0][0] == "无活动"


async def test_default_semester_is_the_current_one(client):
    w = await make_world(client, ARCHIVE)
    resp = await _export(client, w.organizer, w.pairing.id, None)
    assert resp.status_code == 200
    assert zipfile.ZipFile(io.BytesIO(resp.content)).namelist()[0] == "index.xlsx"


async def test_malformed_semester_is_refused(client):
    w = await make_world(client, ARCHIVE)
    for bad in ("2026", "2026夏", "秋2026", "abc"):
        resp = await _export(client, w.organizer, w.pairing.id, bad)
        assert resp.status_code == 400, bad
        assert resp.json()["error"] == "invalid_semester"
        assert "2026秋" in resp.json()["message"]


async def test_leader_of_the_region_may_export_and_outsiders_may_not(client):
    w = await make_world(client, ARCHIVE)
    leader = await login_as(client, "leader", scope_kind="region", scope_id=w.supported.region_id)
    assert (await _export(client, leader, w.pairing.id)).status_code == 200
    teacher = await login_as(client, "teacher", scope_id=w.supported.id)
    assert (await _export(client, teacher, w.pairing.id)).status_code == 403
    outsider = await login_as(client, "director", scope_id=(await make_kindergarten()).id)
    assert (await _export(client, outsider, w.pairing.id)).status_code == 404
    assert (await _export(client, w.organizer, 999_999)).status_code == 404
