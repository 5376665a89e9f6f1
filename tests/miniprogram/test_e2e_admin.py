"""The admin's flow of the mini-program, run with its own utils under Node against the live api
and the sandbox, on the demo county (the other roles: test_e2e.py and test_e2e_roles.py)."""

from __future__ import annotations

import asyncio
import json

from server.accounts.models import Account
from server.activities.models import Activity
from server.archive.models import RecordCard
from server.common.time import china, now
from server.delivery.models import Delivery
from server.delivery.templates import KIND_NAMES
from server.demo import load_demo
from server.notices.models import NoticeRecipient
from server.orgs.models import Alliance, Pairing
from server.publicity.models import Post, PostStep
from tests.miniprogram.calls import MINIPROGRAM, node
from tests.miniprogram.test_e2e_roles import _plan


async def test_admin_flow_against_the_server(client, api, tmp_path):
    await load_demo(api.app.ctx.runtime.settings)
    plan = await _plan(client, tmp_path)
    reviewing = await Post.filter(status="reviewing").order_by("id").first()
    signing = await Post.filter(status="signing").order_by("id").first()
    plan |= {"reviewing_post": reviewing.id, "signing_post": signing.id}
    statuses = sorted({p.status.value for p in await Post.all()})  # before one is sent back
    proc = await asyncio.create_subprocess_exec(
        node(),
        str(MINIPROGRAM / "scripts" / "e2e-admin.js"),
        api.url,
        json.dumps(plan),
        cwd=MINIPROGRAM,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 0, stderr.decode()
    out = json.loads(stdout)
    admin = await Account.get(person__name="韩志刚").prefetch_related("person")

    assert out["me"] == {"name": "韩志刚", "roles": ["admin:全部"]}
    tiles = ["帮扶活动", "通知", "工作简报", "推文审核", "通报排名", "电脑登录", "我的"]
    assert out["entries"] == tiles

    # Every activity of the county, any one's attendance; the record card for both sides.
    total = await Activity.all().count()
    assert out["activities"] == {"total": total, "shown": min(total, 50)}
    assert out["activity"] == {"title": "送教到园：科学活动观摩", "can_manage": True}
    assert out["attendance"] == {"expected": 2, "absent": sorted(plan["invitee_ids"])}
    assert out["cardBefore"] == {"locked": False, "states": ["pending", "pending"]}
    assert out["cardAfter"]["locked"] is True
    assert out["cardAfter"]["states"] == ["confirmed", "confirmed"]
    assert out["cardAfter"]["by"] == ["韩志刚", "韩志刚"]
    card = await RecordCard.get(activity_id=plan["activity_id"])
    assert card.supporting_by_id == card.supported_by_id == admin.person_id

    # 工作简报 with its phone-sized chart; 通报 by alliance and by pairing.
    assert out["summary"]["chart"] == [750, 1500]
    assert out["summary"]["one"] == out["summary"]["listed"][0]
    assert out["summary"]["targets"] > 0
    today = china(now()).date()
    current = await Pairing.filter(cycle_start__lte=today, cycle_end__gte=today).count()
    assert out["rankings"] == {
        "alliances": await Alliance.all().count(),
        "pairings": current,
        "by": ["alliance", "pairing"],
    }

    # Every post; one under review returned to its author with the comment, and why not blank.
    assert out["posts"] == {"count": await Post.all().count(), "statuses": statuses}
    steps = [s.step for s in await PostStep.filter(post_id=reviewing.id).order_by("id")]
    assert out["post"]["steps"] == steps[: len(out["post"]["steps"])] == ["drafted", "submitted"]
    assert out["post"]["can"]["approve"] and out["post"]["can"]["send_back"]
    assert not out["post"]["can"]["sign"]
    comment = "标题请写明活动地点"
    assert out["sentBack"] == {"status": "drafting", "comment": comment, "last": "退回修改"}
    await reviewing.refresh_from_db()
    assert reviewing.status.value == "drafting" and reviewing.comment == comment
    assert out["emptyComment"]["code"] == "comment_required"
    await signing.refresh_from_db()
    assert signing.status.value == "signing"

    assert out["scan"]["code"] == "scan_login_expired"
    assert out["mine"] == {
        "inbox": await Delivery.filter(person_id=admin.person_id).count(),
        "unread": await Delivery.filter(person_id=admin.person_id, read_at=None).count(),
        "notices": await NoticeRecipient.filter(person_id=admin.person_id).count(),
        "kinds": sorted(KIND_NAMES),
    }
