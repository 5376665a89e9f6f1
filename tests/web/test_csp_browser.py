"""Every console page and the projector page work in Chromium under their
Content-Security-Policy: the browser reports no violation and no error.

Runs in the embedded pass only: the browser adds nothing a second backend would test.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from server.activities.models import Activity
from server.demo import load_demo
from server.demo_data import CONSOLE_PASSWORD
from server.notices.models import Notice
from server.orgs.models import Alliance, Kindergarten, Pairing
from server.publicity.models import Post
from tests.activities.helpers import ACTIVITIES, create, publish
from tests.support.factories import login
from tests.support.world import make_world
from tests.web.test_browser import _chromium

HERE = Path(__file__).resolve().parent


async def _director_pages(client) -> list[str]:
    """Every kind of console page the demo director opens, with ids from her kindergarten."""
    kg = await Kindergarten.get(name="湘江县实验幼儿园")
    activity = await Activity.filter(host=kg).order_by("-starts_at").first()
    director = await login(client, "demo-director")
    body = {"kindergarten_id": kg.id, "title": "家长开放日邀请", "audience": {"kindergarten": True}}
    made = await client.post("/api/v1/notices", json=body, headers=director.headers)
    assert made.status_code == 201, made.text
    notice = await Notice.get(id=made.json()["id"])
    post = await Post.filter(kindergarten=kg).first()
    alliance = await Alliance.filter(lead_id=kg.id).first()
    pairing = await Pairing.filter(supporting=kg).first()
    assert activity and notice and post and alliance and pairing
    a = f"/console/activities/{activity.id}"
    return [
        "/console/dashboard",
        "/console/activities",
        "/console/activities/new",
        a,
        f"{a}/edit",
        f"{a}/archive",
        f"{a}/live",
        "/console/notices",
        "/console/notices/new",
        f"/console/notices/{notice.id}",
        "/console/posts",
        f"/console/posts/{post.id}",  # with its phone preview in a frame
        "/console/orgs",
        f"/console/orgs/kindergartens/{kg.id}",
        f"/console/orgs/kindergartens/{kg.id}/roster",
        f"/console/orgs/alliances/{alliance.id}",
        f"/console/orgs/pairings/{pairing.id}",
        "/console/reports",
        "/console/me/follow",
    ]


@pytest.mark.embedded
async def test_console_and_projector_run_under_their_policy_without_violations(client, api):
    chromium = _chromium()
    await load_demo(api.app.ctx.runtime.settings)
    world = await make_world(client, ACTIVITIES)
    made = await create(client, world, start_in=0.1)
    await publish(client, world, made["id"])
    link = await client.post(
        f"/api/v1/activities/{made['id']}/projector-link", headers=world.organizer.headers
    )
    assert link.status_code == 201, link.text
    leader_pages = ["/console/dashboard", "/console/orgs/pairings/new"]
    admin_pages = ["/console/delivery", "/console/delivery/dead-letters", "/console/sandbox-inbox"]
    config = {
        "base": api.url,
        "chromium": chromium,
        "password": CONSOLE_PASSWORD,
        "logins": [
            {"login": "demo-director", "pages": await _director_pages(client)},
            {"login": "demo-leader", "pages": leader_pages},
            {"login": "demo-admin", "pages": admin_pages},
        ],
        "projector": link.json()["url"],
    }
    proc = await asyncio.create_subprocess_exec(
        "node",
        str(HERE / "csp_pages.js"),
        cwd=HERE,
        env={**os.environ, "SJT_CSP": json.dumps(config, ensure_ascii=False)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout=240)
    except TimeoutError:
        proc.kill()  # never leave a browser behind
        await proc.wait()
        raise
    lines = stdout.decode().strip().splitlines()
    seen = json.loads(lines[-1]) if lines else {}
    assert proc.returncode == 0, f"{stderr.decode()}\nseen so far: {seen}"

    opened = {v["url"]: v["status"] for v in seen["visited"]}
    expected = [url for who in config["logins"] for url in who["pages"]] + [config["projector"]]
    assert {url: opened.get(url) for url in expected if opened.get(url) != 200} == {}
    assert seen["violations"] == []
    assert seen["errors"] == [], seen["failed"]
    projector = seen["projector"]
    assert "/rotating-code.png?" in projector["code_src"]  # its script polled and drew
    assert projector["clock"].count(":") == 2
    assert projector["header_background"] == "rgb(14, 110, 96)"  # its stylesheet applied
