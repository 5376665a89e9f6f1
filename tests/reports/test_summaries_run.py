"""Every leader gets each summary on the best channel he has, and an admin can run one now
(console button and `songjiao summary`), pushed once per leader however often (issue 16,
item 10)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from server.common.runtime import current
from server.delivery.models import Channel, Delivery, DeliveryStatus
from server.delivery.templates import template_for
from server.reports.jobs import send_semester_summaries, send_weekly_summaries
from tests.bots.people import bound_follower
from tests.delivery.helpers import settle
from tests.reports.summary_world import AFTER_SPRING, MONDAY_RUN, WEEK, make_county
from tests.support.sandbox import read_outbox

ROOT = Path(__file__).resolve().parents[2]


async def test_a_leader_following_only_the_official_account_gets_both_summaries_there(
    client, sandbox_client
):
    county = await make_county()
    region = county.w.region
    # Logged in to the mini-program once, never subscribed there; follows the 公众号.
    who, oa_openid = await bound_follower(client, "leader", scope_kind="region", scope_id=region.id)
    oa_summary = template_for(current().settings, "summary").oa_id
    assert oa_summary

    await send_weekly_summaries(at=MONDAY_RUN)
    [weekly] = await settle(key=f"summary:weekly:{WEEK}:region:{region.id}")
    assert weekly.status == DeliveryStatus.SENT and weekly.channel == Channel.TEMPLATE

    await send_semester_summaries(at=AFTER_SPRING)
    [term] = await settle(key=f"summary:semester:2026春:region:{region.id}")
    assert term.status == DeliveryStatus.SENT and term.channel == Channel.TEMPLATE

    sent = await read_outbox(
        sandbox_client, kind="template_send", touser=oa_openid, delivered="true"
    )
    assert [s["request"]["template_id"] for s in sent] == [oa_summary, oa_summary]
    assert await Delivery.filter(person_id=who.person.id, kind="summary").count() == 2


async def test_the_summary_command_runs_the_same_service(tmp_path):
    env = {
        **os.environ,
        "SONGJIAO_DATA_DIR": str(tmp_path),
        "SONGJIAO_DATABASE_URL": "",
        "SONGJIAO_REDIS_URL": "",
        "SONGJIAO_ENV": "development",
        "SONGJIAO_WECHAT_API_BASE": "",
        "SONGJIAO_WECOM_API_BASE": "",
    }

    async def run(*args: str) -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "server.cli",
            "summary",
            *args,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        out = (await asyncio.wait_for(proc.communicate(), timeout=120))[0]
        return proc.returncode, out.decode(errors="replace")

    code, out = await run("--kind", "semester", "--period", "2099秋")
    assert code == 1 and "2099秋 尚未结束" in out, out
    code, out = await run("--kind", "weekly", "--period", "2026-W23")
    assert code == 0 and "工作周报 2026-W23" in out and "已推送过的不再重复" in out, out
