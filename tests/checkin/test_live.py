"""The live board: counts and changes pushed by SSE, across api processes."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from server.activities.codes import static_scene
from tests.checkin.conftest import nonce, scan, teacher_of
from tests.scale.procs import wait_http
from tests.support import backends
from tests.support.factories import login_as
from tests.support.http import http_client
from tests.support.processes import process_env
from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[2]


async def read_events(http: httpx.AsyncClient, url: str, headers: dict, *, until) -> list:
    """Collect (event, data) pairs from an SSE stream until `until(events)` is true."""
    events: list[tuple[str, dict]] = []
    async with http.stream("GET", url, headers=headers) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        name = None
        async for line in resp.aiter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                events.append((name, json.loads(line[6:])))
                if until(events):
                    break
    return events


def last_counts(events):
    counts = [data for name, data in events if name == "counts"]
    return counts[-1] if counts else None


async def test_live_board_pushes_counts_and_who_checked_in(client, scene, api):
    org = await login_as(client, "organizer", scope_id=scene.kg.id, teacher_of=scene.kg)
    teachers = [await teacher_of(client, scene.kg) for _ in range(3)]
    url = f"{api.url}/api/v1/activities/{scene.activity.id}/live?max_seconds=20"

    async def check_in_all():
        await asyncio.sleep(0.5)
        for t in teachers:
            await scan(client, t, static_scene(scene.activity.code))

    async with http_client(timeout=30) as http:
        reader = asyncio.create_task(
            read_events(
                http,
                url,
                org.headers,
                until=lambda ev: (
                    (last_counts(ev) or {}).get("checked_in") == 3
                    and sum(1 for n, _ in ev if n == "checkin") == 3
                ),
            )
        )
        await check_in_all()
        events = await asyncio.wait_for(reader, timeout=20)
    assert events[0][0] == "counts" and events[0][1]["checked_in"] == 0
    assert last_counts(events)["checked_in"] == 3
    names = {data["name"] for name, data in events if name == "checkin"}
    assert names == {t.person.name for t in teachers}


async def test_live_board_is_for_organizers_only(client, scene):
    teacher = await teacher_of(client, scene.kg)
    resp = await client.get(
        f"/api/v1/activities/{scene.activity.id}/live?max_seconds=1", headers=teacher.headers
    )
    assert resp.status_code == 403


@pytest.mark.services
async def test_live_board_sees_scans_that_hit_another_api_process(client, scene, settings):
    env = process_env(settings, redis_url=backends.TEST_REDIS)
    ports = [free_port(), free_port()]
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "server.cli",
            "serve",
            "--no-migrate",
            cwd=ROOT,
            env={**env, "SONGJIAO_PORT": str(port)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    board_url, scan_url = (f"http://127.0.0.1:{p}" for p in ports)
    try:
        async with http_client(timeout=30) as http:
            for base in (board_url, scan_url):
                await wait_http(f"{base}/healthz")
            org = await login_as(client, "organizer", scope_id=scene.kg.id, teacher_of=scene.kg)
            teachers = [await teacher_of(client, scene.kg) for _ in range(4)]
            url = f"{board_url}/api/v1/activities/{scene.activity.id}/live?max_seconds=110"
            reader = asyncio.create_task(
                read_events(
                    http,
                    url,
                    org.headers,
                    until=lambda ev: (
                        (last_counts(ev) or {}).get("checked_in") == 4
                        and sum(1 for n, _ in ev if n == "checkin") == 4
                    ),
                )
            )
            await asyncio.sleep(1)
            for t in teachers:
                resp = await http.post(
                    f"{scan_url}/api/v1/checkins",
                    headers=t.headers,
                    json={"scene": static_scene(scene.activity.code), "nonce": nonce()},
                )
                assert resp.json()["status"] == "checked_in"
            events = await asyncio.wait_for(reader, timeout=120)
        assert last_counts(events)["checked_in"] == 4
        assert sum(1 for name, _ in events if name == "checkin") == 4
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            await asyncio.wait_for(proc.wait(), timeout=20)


async def test_projector_screen_gets_counts_but_no_names(client, scene, api):
    org = await login_as(client, "organizer", scope_id=scene.kg.id, teacher_of=scene.kg)
    link = await client.post(
        f"/api/v1/activities/{scene.activity.id}/projector-link", headers=org.headers
    )
    token = link.json()["url"].split("t=", 1)[1]
    teacher = await teacher_of(client, scene.kg)
    url = f"{api.url}/api/v1/activities/{scene.activity.id}/live?t={token}&max_seconds=3"

    async def check_in_later():
        await asyncio.sleep(0.5)
        await scan(client, teacher, static_scene(scene.activity.code))

    async with http_client(timeout=30) as http:
        reader = asyncio.create_task(read_events(http, url, {}, until=lambda ev: False))
        await check_in_later()
        events = await asyncio.wait_for(reader, timeout=20)
    assert last_counts(events)["checked_in"] == 1
    assert all(name == "counts" for name, _ in events)
    assert teacher.person.name not in json.dumps([d for _, d in events], ensure_ascii=False)


async def test_live_board_refuses_a_bad_projector_token(client, scene):
    resp = await client.get(f"/api/v1/activities/{scene.activity.id}/live?t=nonsense")
    assert resp.status_code == 401
