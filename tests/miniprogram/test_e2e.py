"""The mini-program's own API client, run under Node, against the live api and the sandbox."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from server.checkin.models import HoursEntry
from server.common.semester import semester_of
from server.common.time import now
from server.demo import load_demo
from tests.miniprogram.calls import MINIPROGRAM, node


async def _login(client, code: str) -> dict:
    resp = await client.post("/api/v1/auth/login", json={"code": code})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    return {
        "headers": {"authorization": f"Bearer {body['access_token']}"},
        "person": body["person"],
    }


async def _open_activity_for(client, person: dict) -> str:
    """A published activity at the person's kindergarten, open for check-in now, inviting her.

    Invitees are staff of the activity's kindergartens, so it is held where she works.
    """
    organizer = await _login(client, "demo-admin")
    host = next(r["scope_id"] for r in person["roles"] if r["role"] == "teacher")
    person_id = person["id"]
    start = now() - timedelta(minutes=5)
    resp = await client.post(
        "/api/v1/activities",
        headers=organizer["headers"],
        json={
            "title": "送教下乡示范课",
            "kind": "送教下乡",
            "host_id": host,
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat(),
            "audience_mode": "invited",
            "invitee_ids": [person_id],
            "attendee_hours": 2,
        },
    )
    assert resp.status_code in (200, 201), resp.text
    activity_id = resp.json()["id"]
    resp = await client.post(
        f"/api/v1/activities/{activity_id}/publish", headers=organizer["headers"]
    )
    assert resp.status_code == 200, resp.text
    code = await client.get(f"/api/v1/activities/{activity_id}/code", headers=organizer["headers"])
    return code.json()["scene"]


async def _notice_for(client, person: dict) -> int:
    admin = await _login(client, "demo-admin")
    kindergarten = person["roles"][0]["scope_id"]
    resp = await client.post(
        "/api/v1/notices",
        headers=admin["headers"],
        json={
            "kindergarten_id": kindergarten,
            "title": "联合教研通知",
            "body": "本周五下午开展联合教研，请准时参加。",
            "audience": {"teacher_ids": [person["id"]]},
            "ack_mode": "read",
        },
    )
    assert resp.status_code in (200, 201), resp.text
    notice_id = resp.json()["id"]
    resp = await client.post(
        f"/api/v1/notices/{notice_id}/publish", headers=admin["headers"], json={}
    )
    assert resp.status_code == 200, resp.text
    return notice_id


async def test_api_client_logs_in_checks_in_offline_and_reads_a_notice(client, api):
    await load_demo(api.app.ctx.runtime.settings)
    teacher = (await _login(client, "demo-teacher"))["person"]
    # The demo semester already credited her some 课时: the scan adds the new activity's 2.
    earlier = sum(
        await HoursEntry.filter(
            person_id=teacher["id"], role="attendee", semester=semester_of(now())
        ).values_list("hours", flat=True)
    )
    scene = await _open_activity_for(client, teacher)
    notice_id = await _notice_for(client, teacher)

    proc = await asyncio.create_subprocess_exec(
        node(),
        str(MINIPROGRAM / "scripts" / "e2e.js"),
        api.url,
        "demo-teacher",
        scene,
        str(notice_id),
        cwd=MINIPROGRAM,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 0, stderr.decode()
    out = json.loads(stdout)

    assert out["me"] == {"name": "郑洁", "bound": True, "roles": ["teacher"]}
    assert out["queued"] == {"status": "queued", "waiting": 1}
    assert out["synced"] == {"sent": 1, "left": 0, "status": "checked_in"}
    assert out["again"]["status"] == "already_checked_in"
    assert out["again"]["message"] == "您已签到，无需重复签到"
    assert out["bad"] == {
        "status": "refused",
        "reason": "bad_code",
        "message": "无法识别的签到码，请扫描活动现场的签到码",
    }
    assert out["hours"]["attendee_hours"] == earlier + 2
    assert out["refreshed"] is True
    assert {"id": notice_id, "title": "联合教研通知", "read": False} in out["notices"]
    assert out["notice"] == {
        "title": "联合教研通知",
        "body": "本周五下午开展联合教研，请准时参加。",
        "read_after": True,
    }
    assert out["redeem"]["code"] == "invitation_not_found"
    assert out["redeem"]["message"] == "邀请码不存在，请核对后重新输入"

    sheet = await client.get(
        "/api/v1/me/checkins", headers=(await _login(client, "demo-teacher"))["headers"]
    )
    titles = [c["title"] for c in sheet.json()]
    # Newest first; the demo semester's earlier check-ins follow.
    assert titles[0] == "送教下乡示范课" and titles.count("送教下乡示范课") == 1
