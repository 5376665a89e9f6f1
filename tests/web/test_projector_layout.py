"""The projector page fits a room's screen: once the code shows, the loading text is gone and
the scan hint and the 全屏 button are on screen, at 1366×768 and at 1920×1080.

Runs in the embedded pass only: the browser adds nothing a second backend would test. The
screenshots go to tests/artifacts/<run>/projector/ (ignored by git).
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from tests.activities.helpers import ACTIVITIES, create, publish
from tests.support.artifacts import artifacts
from tests.support.world import make_world
from tests.web.test_browser import _chromium

HERE = Path(__file__).resolve().parent
SHOTS = artifacts("projector")
SIZES = [(1366, 768), (1920, 1080)]


def _inside(box: dict, viewport: dict) -> bool:
    return (
        box["width"] > 0
        and box["height"] > 0
        and box["top"] >= 0
        and box["left"] >= 0
        and box["bottom"] <= viewport["height"]
        and box["right"] <= viewport["width"]
    )


@pytest.mark.embedded
async def test_the_projector_shows_code_hint_and_fullscreen_on_laptop_and_hd_screens(client):
    chromium = _chromium()
    SHOTS.mkdir(parents=True, exist_ok=True)
    world = await make_world(client, ACTIVITIES)
    # A long title, as real ones are: it must not push the hint off the screen.
    title = "送教下乡：小班语言活动《小蝌蚪找妈妈》示范课与集体教研（青山镇中心幼儿园）"
    made = await create(client, world, start_in=0.1, title=title)
    await publish(client, world, made["id"])
    link = await client.post(
        f"/api/v1/activities/{made['id']}/projector-link", headers=world.organizer.headers
    )
    assert link.status_code == 201, link.text
    url = str(client.base_url).rstrip("/") + link.json()["url"]
    config = {"chromium": chromium, "url": url, "sizes": SIZES, "shots": str(SHOTS)}
    proc = await asyncio.create_subprocess_exec(
        "node",
        str(HERE / "projector_sizes.js"),
        cwd=HERE,
        env={**os.environ, "SJT_PROJECTOR": json.dumps(config, ensure_ascii=False)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout=180)
    except TimeoutError:
        proc.kill()  # never leave a browser behind
        await proc.wait()
        raise
    lines = stdout.decode().strip().splitlines()
    seen = json.loads(lines[-1]) if lines else {}
    assert proc.returncode == 0, f"{stderr.decode()}\nseen so far: {seen}"
    assert seen["errors"] == []
    assert [tuple(s["size"]) for s in seen["sizes"]] == SIZES
    for shown in seen["sizes"]:
        size, viewport = shown["size"], shown["viewport"]
        print(f"projector {size[0]}x{size[1]}: {shown['shot']}")
        assert shown["placeholder_display"] == "none", size  # 签到码加载中… is gone
        assert _inside(shown["code"], viewport), (size, shown["code"])
        assert _inside(shown["hint"], viewport), (size, shown["hint"], viewport)
        assert _inside(shown["fullscreen"], viewport), (size, shown["fullscreen"], viewport)
        assert _inside(shown["counts"], viewport), (size, shown["counts"])
        # Nothing hangs off the screen sideways.
        assert shown["scroll"]["width"] <= viewport["width"], size
