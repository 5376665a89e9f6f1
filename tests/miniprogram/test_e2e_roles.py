"""The organizer's, director's, leader's and parent's flows of the mini-program, run with its own
utils under Node against the live api and the sandbox, on the demo county."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import timedelta

from PIL import Image

from server.checkin.models import Checkin
from server.common.time import now
from server.demo import load_demo
from server.notices.models import NoticeFeedback
from tests.miniprogram.calls import MINIPROGRAM, node
from tests.miniprogram.test_e2e import _login


async def _activity(client, admin, **fields) -> int:
    start = now() - timedelta(minutes=5)
    body = {
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        "attendee_hours": 2,
        **fields,
    }
    resp = await client.post("/api/v1/activities", headers=admin["headers"], json=body)
    assert resp.status_code in (200, 201), resp.text
    activity_id = resp.json()["id"]
    resp = await client.post(f"/api/v1/activities/{activity_id}/publish", headers=admin["headers"])
    assert resp.status_code == 200, resp.text
    return activity_id


async def _plan(client, tmp_path) -> dict:
    """A 送教 at the organizer's kindergarten inviting two of its teachers; an open day at the
    parent's kindergarten with its RSVP notice (pictures, an attachment); a photo to upload."""
    admin = await _login(client, "demo-admin")
    organizer = (await _login(client, "demo-organizer"))["person"]
    parent = (await _login(client, "demo-parent"))["person"]
    teacher = (await _login(client, "demo-teacher"))["person"]
    shiyan = next(r["scope_id"] for r in organizer["roles"] if r["role"] == "organizer")
    staff = await client.get(
        f"/api/v1/kindergartens/{shiyan}/teachers?limit=50", headers=admin["headers"]
    )
    busy = {organizer["id"], (await _login(client, "demo-director"))["person"]["id"]}
    invitees = [t["person_id"] for t in staff.json()["items"] if t["person_id"] not in busy][:2]
    activity_id = await _activity(
        client,
        admin,
        title="送教到园：科学活动观摩",
        kind="送教到园",
        host_id=shiyan,
        audience_mode="invited",
        invitee_ids=invitees,
    )
    shiqiao = next(r["scope_id"] for r in teacher["roles"] if r["role"] == "teacher")
    open_day = await _activity(
        client,
        admin,
        title="小一班家长开放日",
        kind="家长开放日",
        host_id=shiqiao,
        address="石桥村幼儿园多功能厅",
        audience_mode="families",
        audience_kindergarten_ids=[shiqiao],
    )
    resp = await client.post(
        "/api/v1/notices",
        headers=admin["headers"],
        json={
            "kindergarten_id": shiqiao,
            "title": "小一班家长开放日通知",
            "body": "欢迎家长走进课堂。",
            "images": ["https://img.example.cn/open-day.jpg"],
            "attachments": [{"name": "开放日安排.pdf", "url": "https://files.example.cn/plan.pdf"}],
            "audience": {"parent_ids": [parent["id"]]},
            "ack_mode": "rsvp",
            "deadline": (now() + timedelta(hours=1)).isoformat(),
            "capacity": 30,
            "max_adults": 3,
            "max_children": 2,
            "activity_id": open_day,
        },
    )
    assert resp.status_code in (200, 201), resp.text
    notice_id = resp.json()["id"]
    resp = await client.post(
        f"/api/v1/notices/{notice_id}/publish", headers=admin["headers"], json={}
    )
    assert resp.status_code == 200, resp.text
    code = await client.get(f"/api/v1/activities/{open_day}/code", headers=admin["headers"])
    photo = tmp_path / "课堂.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(buffer, "JPEG")
    photo.write_bytes(buffer.getvalue())
    return {
        "activity_id": activity_id,
        "invitee_ids": invitees,
        "open_day_id": open_day,
        "notice_id": notice_id,
        "scene": code.json()["scene"],
        "photo_path": str(photo),
    }


async def test_organizer_director_leader_and_parent_flows_against_the_server(client, api, tmp_path):
    await load_demo(api.app.ctx.runtime.settings)
    plan = await _plan(client, tmp_path)
    proc = await asyncio.create_subprocess_exec(
        node(),
        str(MINIPROGRAM / "scripts" / "e2e-roles.js"),
        api.url,
        json.dumps(plan),
        cwd=MINIPROGRAM,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 0, stderr.decode()
    out = json.loads(stdout)
    first, second = plan["invitee_ids"]

    # 活动管理: the absent, 补签 (late), 作废 with its reason, 签退 for someone.
    assert out["before"]["can_manage"] is True
    assert out["before"]["absent"] == sorted(plan["invitee_ids"])
    assert out["manual"]["late"] is True
    assert out["annul"]["annulled"] is True
    assert out["checkout"]["message"].startswith("签退成功")
    assert out["shortReason"]["code"] == "reason_required"
    rows = {r["person_id"]: r for r in out["after"]["rows"]}
    assert rows[first] == {
        "person_id": first,
        "method": "manual",
        "late": True,
        "annulled": True,
        "annul_reason": "代他人签到",
        "checked_out": False,
    }
    assert rows[second]["checked_out"] is True and rows[second]["annulled"] is False
    assert out["after"]["absent"] == [first]
    counted = await Checkin.filter(activity_id=plan["activity_id"], annulled_at=None).count()
    assert out["after"]["counts"]["checked_in"] == counted == 1

    # Photos: uploaded as multipart with the consent mark, then withdrawn; the thumbnail loads.
    assert out["upload"]["kind"] == "photo" and out["upload"]["consent"] is True
    assert [(f["kind"], f["caption"]) for f in out["files"]] == [("photo", "课堂一角")]
    assert out["withdrawn"]["consent"] is False
    assert out["thumbBytes"] > 100
    assert out["card"]["photo_count"] == 1 and out["card"]["checked_in"] == 1
    assert out["confirmed"]["supporting"] == "confirmed"
    assert out["organizerRankings"]["status"] == 403

    # 审核 by the director, 退回 and 签发 by the leader.
    assert out["review"]["can"]["approve"] is True
    assert out["approved"]["status"] == "signing"
    assert out["approved"]["last"] == "园长审核通过"
    assert out["sentBack"] == {"status": "drafting", "comment": "请补充照片说明"}
    assert out["signed"]["status"] == "publishing"
    assert out["rankings"]["by"] == "pairing" and out["rankings"]["period"] is True
    assert {"rank", "name", "score", "behind", "targets"} <= set(out["rankings"]["first"])
    assert out["summaries"]["latest"] in out["summaries"]["listed"]
    assert {"id", "kind_label", "period_label", "scope"} <= set(out["summaries"]["keys"])
    assert out["summaries"]["one"] == out["summaries"]["listed"][0]

    # Every console role reaches the scan login (a made-up code has expired); a parent does not.
    assert out["directorScan"]["code"] == "scan_login_expired"
    assert out["leaderScan"]["code"] == "scan_login_expired"
    assert out["parentScan"]["status"] == 403

    # The parent: pictures, attachment and place; the headcount of her RSVP arrives; then she rates.
    assert out["notice"] == {
        "images": ["https://img.example.cn/open-day.jpg"],
        "attachments": [{"name": "开放日安排.pdf", "url": "https://files.example.cn/plan.pdf"}],
        "activity": {
            "title": "小一班家长开放日",
            "address": "石桥村幼儿园多功能厅",
            "status": "published",
        },
        "attended": False,
    }
    assert out["rateBefore"]["code"] == "not_attended"
    assert out["arrived"] == {"status": "checked_in", "adults": 2, "children": 1}
    stored = await Checkin.get(activity_id=plan["open_day_id"])
    assert (stored.adults, stored.children) == (2, 1)
    assert out["attended"] is True
    assert out["rated"]["stars"] == 5
    assert await NoticeFeedback.filter(notice_id=plan["notice_id"]).count() == 1
