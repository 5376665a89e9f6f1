"""The console in headless Chromium: log in, create an activity, download its poster, watch
the live board count two teachers checking in through the API, export the sign-in sheet,
send a notice and see its receipts, log out, then log in again by scan (confirmed through
the API the mini-program calls); screenshots of each main page.

Runs in the embedded pass only: the browser adds nothing a second backend would test.
The screenshots go to tests/artifacts/<run>/web-screenshots/ (printed; ignored by git).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest

from server.common.time import china, now
from server.demo import load_demo
from server.demo_data import CONSOLE_PASSWORD
from server.orgs.models import Teacher
from tests.support.artifacts import artifacts
from tests.support.factories import login

HERE = Path(__file__).resolve().parent
SHOTS = artifacts("web-screenshots")


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "未找到 chromium：请运行 scripts/setup.sh（apt-get install chromium）"
    assert (HERE / "node_modules" / "playwright-core").is_dir(), (
        "未找到 playwright-core：请运行 scripts/setup.sh（tests/web 中 npm ci）"
    )
    return found


def _all_written(paths: list[str]) -> bool:
    return all(os.path.getsize(p) > 0 for p in paths)


async def _two_teachers(client) -> list[dict]:
    """Two plain teachers of the organizer's kindergarten, logged in to the API."""
    rows = (
        await Teacher.filter(kindergarten__name="湘江县实验幼儿园", title__in=("教研组长", "教师"))
        .order_by("id")
        .limit(2)
        .prefetch_related("person")
    )
    assert len(rows) == 2
    out = []
    for i, row in enumerate(rows):
        who = await login(client, f"web-browser-teacher-{i}", person=row.person)
        out.append({"name": row.person.name, "token": who.tokens["access_token"]})
    return out


@pytest.mark.embedded
async def test_organizer_runs_an_activity_and_a_notice_in_the_browser(client, api):
    chromium = _chromium()
    await load_demo(api.app.ctx.runtime.settings)
    organizer = await login(client, "demo-organizer")
    teachers = await _two_teachers(client)
    start = china(now() - timedelta(minutes=5))
    if SHOTS.exists():
        shutil.rmtree(SHOTS)
    SHOTS.mkdir(parents=True)
    scenario = {
        "base": api.url,
        "chromium": chromium,
        "shots": str(SHOTS),
        "login": "demo-organizer",
        "leader_login": "demo-leader",
        "password": CONSOLE_PASSWORD,
        "organizer_token": organizer.tokens["access_token"],
        "teachers": teachers,
        "title": "送教下乡：绘本教学示范课",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
    }
    proc = await asyncio.create_subprocess_exec(
        "node",
        str(HERE / "scenario.js"),
        cwd=HERE,
        env={**os.environ, "SJT_SCENARIO": json.dumps(scenario, ensure_ascii=False)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout=150)
    except TimeoutError:
        proc.kill()  # never leave a browser behind
        await proc.wait()
        raise
    print(f"console screenshots: {SHOTS}")
    seen = json.loads(stdout.decode().strip().splitlines()[-1]) if stdout.strip() else {}
    assert proc.returncode == 0, f"{stderr.decode()}\nseen so far: {seen}"

    nav = ["首页", "活动", "通知", "宣传推文", "捐赠与经费", "学时证明", "公众号通知"]
    assert seen["nav"] == nav
    assert seen["status_after_publish"] == "进行中"
    # Each form's message was shown on the page it led to, and no URL carried it.
    texts = [f["text"] for f in seen["flashes"]]
    assert texts == ["活动已创建（草稿），确认无误后请发布", "已发布，受邀教师将收到通知", "已发送"]
    assert all("?" not in f["url"] for f in seen["flashes"]), seen["flashes"]
    assert seen["poster_magic"] == "89504e470d0a1a0a"  # a PNG
    assert seen["live_before"] == "0" and seen["live_after"] == "2"
    assert seen["live_seen"] == ["checked_in", "checked_in"]
    names = [t["name"] for t in teachers]
    assert all(name in seen["live_list"] for name in names)
    assert all(name in seen["checkins_table"] for name in names)

    sheet = openpyxl.load_workbook(seen["sheet"]).active
    cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert any(scenario["title"] in c for c in cells)
    assert all(name in cells for name in names)

    assert seen["notice_status"] == "已发布"
    assert seen["read_before"] == "0" and seen["read_after"] == "1"
    assert "已读" in seen["people"] and "未读" in seen["people"]
    assert seen["tablet_nav_hidden"] is True
    assert seen["after_logout"] == "/console/login"
    assert seen["refresh_hidden"] is True
    assert seen["scan_login_name"].startswith("孙雅琴")
    assert seen["page_errors"] == []
    assert seen["report_tables"] == ["regions", "alliances", "pairings", "kindergartens"]
    assert seen["posts_heading"] == "宣传推文"
    assert len(seen["shots"]) == 14 and _all_written(seen["shots"])
