"""A teacher's home overview, her own check-out and her inbox, with the mini-program's utils
under Node against the live api (her check-in itself: test_e2e.py)."""

from __future__ import annotations

import asyncio
import json

from server.checkin.models import Checkin, HoursEntry
from server.common.semester import semester_of
from server.common.time import now
from server.delivery.models import Delivery
from server.demo import load_demo
from tests.miniprogram.calls import MINIPROGRAM, node
from tests.miniprogram.test_e2e import _login, _notice_for, _open_activity_for


async def _hours(person_id: int) -> float:
    rows = await HoursEntry.filter(person_id=person_id, semester=semester_of(now()))
    return sum(r.hours for r in rows)


async def test_teacher_overview_check_out_and_inbox_against_the_server(client, api):
    await load_demo(api.app.ctx.runtime.settings)
    teacher = (await _login(client, "demo-teacher"))["person"]
    scene = await _open_activity_for(client, teacher)
    notice_id = await _notice_for(client, teacher)
    admin = await _login(client, "demo-admin")
    listed = await client.get("/api/v1/activities?limit=50", headers=admin["headers"])
    activity_id = next(a["id"] for a in listed.json()["items"] if a["title"] == "送教下乡示范课")
    hours_before = await _hours(teacher["id"])
    plan = {"scene": scene, "activity_id": activity_id, "notice_id": notice_id}
    proc = await asyncio.create_subprocess_exec(
        node(),
        str(MINIPROGRAM / "scripts" / "e2e-teacher.js"),
        api.url,
        json.dumps(plan),
        cwd=MINIPROGRAM,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 0, stderr.decode()
    out = json.loads(stdout)

    # Home: the open activity is her next one, not yet checked in; her 课时 as the ledger says.
    assert out["before"]["next"] == {"id": activity_id, "checked_in": False}
    assert out["before"]["hours"] == hours_before
    assert out["scanned"] == {"status": "checked_in", "activity": "送教下乡示范课", "hours": 2}
    # She leaves a few minutes after the start: her 课时 follow her time on site.
    stored = await Checkin.get(activity_id=activity_id, person_id=teacher["id"])
    assert stored.checkout_at is not None and out["left"]["checked_out"] is True
    assert out["left"]["message"].startswith("签退成功")
    assert out["left"]["minutes"] < 30 and out["left"]["hours"] < 2
    rows = await HoursEntry.filter(activity_id=activity_id, person_id=teacher["id"])
    earned = sum(r.hours for r in rows)  # in proportion, rounded: no row when it comes to 0
    assert out["left"]["hours"] == earned
    assert out["after"]["hours"] == await _hours(teacher["id"]) == hours_before + earned
    assert out["again"] == {"checkout_at": True}  # a second tap changes nothing

    # The notice reached her inbox (no subscription): read on the server from the phone.
    mine = Delivery.filter(person_id=teacher["id"])
    assert out["inbox"]["total"] == await mine.count()
    assert out["inbox"]["title"] == "联合教研通知"
    assert out["inbox"]["page"] == f"pages/notice/index?id={notice_id}"
    assert out["read"]["read"] is True
    assert (
        out["read"]["unread"]
        == out["inbox"]["unread"] - 1
        == await mine.filter(read_at=None).count()
    )
