"""Organizer tools: attendance, 补签, annulment, check-out, sign-in sheet, hours."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import pytest
import redis.asyncio as aioredis

from server.activities.codes import static_scene
from server.audit.models import AuditEntry
from server.checkin.models import Checkin, HoursEntry
from server.common.time import now
from tests.checkin.conftest import scan, teacher_of
from tests.support.factories import login_as, make_activity, make_kindergarten, make_person


async def organizer_of(client, kg):
    return await login_as(client, "organizer", scope_id=kg.id, teacher_of=kg)


async def test_attendance_lists_present_flags_and_absent(client, scene):
    org = await organizer_of(client, scene.kg)
    here = await teacher_of(client, scene.kg)
    away = await teacher_of(client, scene.kg)
    await scan(client, here, static_scene(scene.activity.code))
    resp = await client.get(
        f"/api/v1/activities/{scene.activity.id}/attendance", headers=org.headers
    )
    assert resp.status_code == 200
    body = resp.json()
    assert body["counts"]["checked_in"] == 1 and body["counts"]["flagged"] == 1
    assert body["counts"]["expected"] == 3  # the organizer is staff of the host too
    assert [c["name"] for c in body["checkins"]] == [here.person.name]
    assert away.person.name in [p["name"] for p in body["absent"]]


async def test_teacher_cannot_see_attendance_and_others_cannot_see_the_activity(client, scene):
    teacher = await teacher_of(client, scene.kg)
    resp = await client.get(
        f"/api/v1/activities/{scene.activity.id}/attendance", headers=teacher.headers
    )
    assert resp.status_code == 403
    other_org = await organizer_of(client, await make_kindergarten())
    resp = await client.get(
        f"/api/v1/activities/{scene.activity.id}/attendance", headers=other_org.headers
    )
    assert resp.status_code == 404


async def test_manual_check_in_needs_a_reason_and_is_audited(client, scene):
    org = await organizer_of(client, scene.kg)
    person = await make_person(teacher_of=scene.kg)
    url = f"/api/v1/activities/{scene.activity.id}/checkins"
    bad = await client.post(url, json={"person_id": person.id, "reason": " "}, headers=org.headers)
    assert bad.status_code == 400 and "原因" in bad.json()["message"]
    resp = await client.post(
        url, json={"person_id": person.id, "reason": "手机没电，现场确认"}, headers=org.headers
    )
    assert resp.status_code == 201 and resp.json()["method"] == "manual"
    entry = await AuditEntry.get(action="checkin.manual")
    assert entry.actor_id == org.person.id and entry.reason == "手机没电，现场确认"
    assert await HoursEntry.exists(person_id=person.id, activity_id=scene.activity.id)
    again = await client.post(
        url, json={"person_id": person.id, "reason": "再次补签"}, headers=org.headers
    )
    assert again.status_code == 409
    unknown = await client.post(
        url, json={"person_id": 999999, "reason": "不存在的人"}, headers=org.headers
    )
    assert unknown.status_code == 404


async def test_annulment_removes_hours_and_a_new_scan_revives_the_record(client, scene):
    org = await organizer_of(client, scene.kg)
    teacher = await teacher_of(client, scene.kg)
    _, body = await scan(client, teacher, static_scene(scene.activity.code))
    cid = body["checkin"]["id"]
    no_reason = await client.post(
        f"/api/v1/checkins/{cid}/annul", json={"reason": ""}, headers=org.headers
    )
    assert no_reason.status_code == 400
    resp = await client.post(
        f"/api/v1/checkins/{cid}/annul", json={"reason": "代人签到"}, headers=org.headers
    )
    assert resp.status_code == 200 and resp.json()["annulled"] is True
    assert not await HoursEntry.exists(person_id=teacher.person.id)
    assert await AuditEntry.exists(action="checkin.annul", reason="代人签到")
    twice = await client.post(
        f"/api/v1/checkins/{cid}/annul", json={"reason": "代人签到"}, headers=org.headers
    )
    assert twice.status_code == 409
    _, again = await scan(client, teacher, static_scene(scene.activity.code))
    assert again["status"] == "checked_in" and again["checkin"]["id"] == cid
    assert await HoursEntry.exists(person_id=teacher.person.id)


async def test_teacher_cannot_annul_or_add(client, scene):
    teacher = await teacher_of(client, scene.kg)
    _, body = await scan(client, teacher, static_scene(scene.activity.code))
    resp = await client.post(
        f"/api/v1/checkins/{body['checkin']['id']}/annul",
        json={"reason": "我不想来了"},
        headers=teacher.headers,
    )
    assert resp.status_code == 403


async def test_check_out_records_time_on_site(client, scene):
    teacher = await teacher_of(client, scene.kg)
    _, body = await scan(client, teacher, static_scene(scene.activity.code))
    cid = body["checkin"]["id"]
    await Checkin.filter(id=cid).update(scanned_at=now() - timedelta(minutes=90))
    resp = await client.post(f"/api/v1/checkins/{cid}/checkout", headers=teacher.headers)
    assert resp.status_code == 200
    assert 89 <= resp.json()["minutes_on_site"] <= 91
    other = await teacher_of(client, scene.kg)
    refused = await client.post(f"/api/v1/checkins/{cid}/checkout", headers=other.headers)
    assert refused.status_code == 403


async def test_sign_in_sheet_lists_present_then_absent(client, scene):
    org = await organizer_of(client, scene.kg)
    here = await teacher_of(client, scene.kg)
    away = await teacher_of(client, scene.kg)
    await scan(
        client, here, static_scene(scene.activity.code), location={"lat": 30.0, "lng": 112.9}
    )
    resp = await client.get(
        f"/api/v1/activities/{scene.activity.id}/signin-sheet.xlsx", headers=org.headers
    )
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in resp.headers["content-disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(resp.content))
    ws = wb["签到表"]
    rows = [[c for c in row] for row in ws.iter_rows(values_only=True)]
    assert rows[0][0] == f"{scene.activity.title} 签到表"
    header = rows.index(
        [
            "序号",
            "姓名",
            "单位",
            "签到时间",
            "方式",
            "迟到",
            "离线同步",
            "位置异常",
            "签退时间",
            "备注",
        ]
    )
    first = rows[header + 1]
    assert first[1] == here.person.name and first[4] == "海报码" and first[7] == "超出范围"
    assert first[2] == scene.kg.name
    absent_at = next(i for i, r in enumerate(rows) if r[0] and str(r[0]).startswith("未签到"))
    absent_names = {r[1] for r in rows[absent_at + 1 :] if r[1]}
    assert away.person.name in absent_names and here.person.name not in absent_names


async def test_audit_log_of_the_activity(client, scene):
    org = await organizer_of(client, scene.kg)
    person = await make_person(teacher_of=scene.kg)
    await client.post(
        f"/api/v1/activities/{scene.activity.id}/checkins",
        json={"person_id": person.id, "reason": "现场登记"},
        headers=org.headers,
    )
    resp = await client.get(f"/api/v1/activities/{scene.activity.id}/audit", headers=org.headers)
    assert [e["action"] for e in resp.json()] == ["checkin.manual"]
    assert resp.json()[0]["actor"] == org.person.name


async def test_my_hours_and_check_ins(client, scene):
    teacher = await teacher_of(client, scene.kg)
    await scan(client, teacher, static_scene(scene.activity.code))
    hours = (await client.get("/api/v1/me/hours", headers=teacher.headers)).json()
    assert hours["attendee_hours"] == 2 and hours["entries"][0]["title"] == scene.activity.title
    mine = (await client.get("/api/v1/me/checkins", headers=teacher.headers)).json()
    assert mine[0]["title"] == scene.activity.title
    bad = await client.get("/api/v1/me/hours?semester=2026夏", headers=teacher.headers)
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_semester"


@pytest.fixture
async def redis_down(api):
    """Point the api at a Redis that is not there, for the length of a test."""
    real = api.app.ctx.runtime.redis
    dead = aioredis.from_url(
        "redis://127.0.0.1:1/0", socket_connect_timeout=0.2, socket_timeout=0.2
    )
    api.app.ctx.runtime.redis = dead
    yield
    api.app.ctx.runtime.redis = real
    await dead.aclose()


async def test_check_in_works_with_redis_down(client, redis_down):
    kg = await make_kindergarten()
    act = await make_activity(kg)
    teacher = await teacher_of(client, kg)
    _, body = await scan(client, teacher, static_scene(act.code))
    assert body["status"] == "checked_in"
    _, again = await scan(client, teacher, static_scene(act.code))
    assert again["status"] == "already_checked_in"
    assert await Checkin.filter(activity_id=act.id).count() == 1
