"""Production shape: two api processes, two job workers, the scheduler and the sandbox.

Every process is a real `songjiao` command on PostgreSQL and Redis; the test talks to
them over HTTP and reads what the sandbox (WeChat) received.
"""

from __future__ import annotations

import asyncio

import pytest
from taskiq.schedule_sources import LabelScheduleSource

from server.activities.codes import static_scene
from server.checkin.models import Checkin
from server.delivery.models import Delivery, DeliveryStatus
from server.jobs.broker import build_broker
from server.jobs.scheduler import OncePerTickScheduler
from server.settings import load_settings
from tests.checkin.conftest import nonce, teacher_of
from tests.checkin.test_live import last_counts, read_events
from tests.delivery.helpers import seed_parents
from tests.scale import helpers
from tests.scale.procs import until
from tests.support.factories import login_as, make_activity, make_kindergarten
from tests.support.http import http_client
from tests.support.sandbox import read_outbox

pytestmark = pytest.mark.services


async def test_simultaneous_scans_on_both_api_processes_make_one_checkin_each(fresh, client):
    kg = await make_kindergarten()
    activity = await make_activity(kg)
    teachers = [await teacher_of(client, kg) for _ in range(6)]
    scene_text = static_scene(activity.code)

    async with http_client(timeout=30) as http:

        async def one_scan(i: int, who) -> tuple[int, dict]:
            resp = await http.post(
                f"{fresh.apis[i % 2]}/api/v1/checkins",
                headers=who.headers,
                json={"scene": scene_text, "nonce": nonce()},
            )
            assert resp.status_code == 200, resp.text
            return who.person.id, resp.json()

        # Each teacher scans four times at once, two on each api process.
        answers = await asyncio.gather(*(one_scan(i, t) for t in teachers for i in range(4)))

    for t in teachers:
        mine = [a for pid, a in answers if pid == t.person.id]
        assert sorted(a["status"] for a in mine) == ["already_checked_in"] * 3 + ["checked_in"]
        assert len({a["checkin"]["id"] for a in mine}) == 1
    assert await Checkin.filter(activity_id=activity.id).count() == len(teachers)


async def test_live_boards_on_both_processes_see_every_scan_whichever_it_hit(fresh, client):
    kg = await make_kindergarten()
    activity = await make_activity(kg)
    org = await login_as(client, "organizer", scope_id=kg.id, teacher_of=kg)
    teachers = [await teacher_of(client, kg) for _ in range(6)]

    def all_seen(events) -> bool:
        checkins = sum(1 for name, _ in events if name == "checkin")
        return checkins == len(teachers) and (last_counts(events) or {}).get("checked_in") == 6

    async with http_client(timeout=30) as http:
        boards = [
            asyncio.create_task(
                read_events(
                    http,
                    f"{base}/api/v1/activities/{activity.id}/live?max_seconds=30",
                    org.headers,
                    until=all_seen,
                )
            )
            for base in fresh.apis
        ]
        await asyncio.sleep(1)  # both boards subscribed
        for i, t in enumerate(teachers):
            resp = await http.post(
                f"{fresh.apis[i % 2]}/api/v1/checkins",
                headers=t.headers,
                json={"scene": static_scene(activity.code), "nonce": nonce()},
            )
            assert resp.json()["status"] == "checked_in"
        seen = await asyncio.wait_for(asyncio.gather(*boards), timeout=30)

    for events in seen:
        assert last_counts(events)["checked_in"] == len(teachers)
        names = sorted(d["person_id"] for n, d in events if n == "checkin")
        assert names == sorted(t.person.id for t in teachers)


async def test_fan_out_over_two_workers_delivers_each_once_with_one_token_per_expiry(
    fresh, sandbox_http, client
):
    people, openids = await seed_parents(sandbox_http, 40, "mp")
    first, second = people[:20], people[20:]

    # A cold token cache: both workers' many concurrent sends want a token at once.
    await helpers.fan_out(fresh.broker, first, "notice:scale:1")
    await until(lambda: helpers.settled("notice:scale:1", 20), what="the first fan-out")
    assert await helpers.stable_token_calls(sandbox_http) == 1

    # WeChat expires the token. Both workers (the second fan-out) and both api processes
    # (posters carrying a mini-program code) are refused with 42001 at the same moment.
    kg = await make_kindergarten()
    activities = [await make_activity(kg) for _ in range(4)]
    org = await login_as(client, "organizer", scope_id=kg.id, teacher_of=kg)
    resp = await sandbox_http.post("/sandbox/faults", json={"expire_tokens": True})
    assert resp.status_code == 200
    await helpers.fan_out(fresh.broker, second, "notice:scale:2")
    async with http_client(timeout=60) as http:
        posters = await asyncio.gather(
            *(
                http.get(
                    f"{fresh.apis[i % 2]}/api/v1/activities/{a.id}/poster.png",
                    headers=org.headers,
                )
                for i, a in enumerate(activities)
            )
        )
    assert [r.status_code for r in posters] == [200] * 4
    await until(lambda: helpers.settled("notice:scale:2", 20), what="the second fan-out")
    assert await helpers.stable_token_calls(sandbox_http) == 2
    codes = await read_outbox(sandbox_http, kind="wxacode")
    assert sum(e["delivered"] for e in codes) == 4  # real codes, not fallbacks

    rows = await Delivery.filter(key__startswith="notice:scale:")
    assert len(rows) == 40
    assert {r.status for r in rows} == {DeliveryStatus.SENT}
    counts = await helpers.delivered_counts(sandbox_http)
    assert sorted(counts) == sorted(openids)
    assert set(counts.values()) == {1}


async def test_two_schedulers_on_the_same_tick_queue_the_cron_job_once(fresh, settings):
    scheduler_settings = load_settings(redis_url=fresh.redis_url, database_url="x")
    schedulers = []
    for _ in range(2):
        broker = build_broker(scheduler_settings)
        schedulers.append(
            OncePerTickScheduler(
                broker, sources=[LabelScheduleSource(broker)], settings=scheduler_settings
            )
        )
    for scheduler in schedulers:
        await scheduler.sources[0].startup()
        await scheduler.startup()
    try:
        name = "accounts.purge_sessions"
        tasks = []
        for scheduler in schedulers:
            found = await scheduler.sources[0].get_schedules()
            tasks.append(next(t for t in found if t.task_name == name))
        before = await helpers.queued_jobs(fresh.redis_url, name)
        await asyncio.gather(
            *(s.on_ready(s.sources[0], t) for s, t in zip(schedulers, tasks, strict=True))
        )
        assert await helpers.queued_jobs(fresh.redis_url, name) == before + 1

        async def taken_and_done() -> bool:
            return await helpers.pending_jobs(fresh.redis_url) == 0

        # One of the two worker processes took it and acknowledged it.
        await until(taken_and_done, what="the workers to run the job")
    finally:
        for scheduler in schedulers:
            await scheduler.shutdown()
    # The deployment's own processes, the real scheduler among them, are all still up.
    assert all(p.proc.returncode is None for p in fresh.procs.values())
