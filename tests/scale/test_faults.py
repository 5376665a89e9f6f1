"""Things break: WeChat fails at a rate, Redis goes away mid-burst, PostgreSQL restarts.

Redis and PostgreSQL are throwaway servers of these tests alone (the machine's shared
ones are never stopped); everything else is a real `songjiao` process.
"""

from __future__ import annotations

import asyncio
import json

import pytest
import redis.asyncio as aioredis

from server.activities.codes import static_scene
from server.checkin.models import Checkin
from server.delivery.models import Channel, Delivery, DeliveryStatus
from server.jobs.broker import build_broker, enqueue
from server.settings import load_settings
from tests.checkin.conftest import nonce, teacher_of
from tests.delivery.helpers import seed_parents, template_id
from tests.scale import helpers
from tests.scale.procs import PrivatePostgres, PrivateRedis, Proc, until, wait_http
from tests.support import backends
from tests.support.factories import make_activity, make_kindergarten
from tests.support.http import http_client
from tests.support.processes import process_env
from tests.support.sandbox import read_outbox
from tests.support.servers import free_port

pytestmark = pytest.mark.services


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


async def test_wechat_failing_at_a_rate_ends_every_delivery_sent_or_dead_once(
    fresh, sandbox_http, api
):
    people, openids = await seed_parents(sandbox_http, 40, "ft")
    # WeChat would take more than one message each: a second send would show.
    resp = await sandbox_http.post(
        "/sandbox/subscriptions/bulk",
        json={"openids": openids, "template_id": template_id("notice"), "count": 2},
    )
    assert resp.status_code == 200
    faults = [
        {"kind": "subscribe_send", "errcode": -1, "rate": 0.25},
        {"kind": "subscribe_send", "errcode": 45009, "rate": 0.15},
        {"kind": "subscribe_send", "errcode": 42001, "rate": 0.1},
        {"kind": "subscribe_send", "delay": 0.4, "rate": 0.3},
        {"kind": "stable_token", "delay": 0.3, "rate": 0.5},
    ]
    for fault in faults:
        assert (await sandbox_http.post("/sandbox/faults", json=fault)).status_code == 200
    await helpers.fan_out(fresh.broker, people, "notice:faults")
    await until(lambda: helpers.settled("notice:faults", 40), within=90, what="every delivery")

    rows = await Delivery.filter(key="notice:faults").order_by("person_id")
    assert len(rows) == 40
    counts = await helpers.delivered_counts(sandbox_http)
    assert set(counts.values()) <= {1}, "a parent got the message twice"
    openid_of = dict(zip(people, openids, strict=True))
    for row in rows:
        if row.status == DeliveryStatus.SENT:
            assert row.channel == Channel.SUBSCRIBE
            assert counts.get(openid_of[row.person_id]) == 1
        else:
            assert row.status == DeliveryStatus.FAILED
            assert openid_of[row.person_id] not in counts
            assert row.last_error and _chinese(row.last_error)
            assert "已尝试 2 次" in row.last_error
    # Every refused call is in the outbox with WeChat's code; none of them delivered.
    outbox = await read_outbox(sandbox_http, kind="subscribe_send")
    refused = {e["errcode"] for e in outbox if e["errcode"]}
    # 40001 too: a forced token refresh (after a 42001) revokes the old token at once, so
    # calls in flight with it are refused, as WeChat documents ("可能会返回错误码40001").
    assert refused <= {-1, 45009, 42001, 40001}
    assert sum(e["delivered"] for e in outbox) == len(counts)


async def test_redis_restart_mid_burst_loses_and_duplicates_no_checkin_and_no_message(
    api, client, settings, sandbox_client, tmp_path
):
    redis_server = PrivateRedis(tmp_path)
    redis_server.start()
    env = process_env(settings, redis_url=redis_server.url, SONGJIAO_DELIVERY_BATCH_SIZE="2")
    ports = [free_port(), free_port()]
    procs = [
        Proc(
            f"api{i}",
            ["serve", "--no-migrate"],
            {**env, "SONGJIAO_PORT": str(p)},
            tmp_path / f"a{i}",
        )
        for i, p in enumerate(ports)
    ] + [Proc("worker", ["worker"], env, tmp_path / "w")]
    apis = [f"http://127.0.0.1:{p}" for p in ports]
    broker = build_broker(load_settings(redis_url=redis_server.url, database_url="x"))
    try:
        for proc in procs:
            await proc.start()
        for base in apis:
            await wait_http(base + "/healthz")
        kg = await make_kindergarten()
        activity = await make_activity(kg)
        teachers = [await teacher_of(client, kg) for _ in range(24)]
        people, openids = await seed_parents(sandbox_client, 12, "rd")
        quiet, quiet_openids = await seed_parents(sandbox_client, 2, "rq")
        # Slow WeChat: the fan-out is still being sent when Redis goes away.
        await sandbox_client.post("/sandbox/faults", json={"kind": "subscribe_send", "delay": 1.0})
        await broker.startup()
        await helpers.fan_out(broker, people, "notice:redis")

        async def sending() -> bool:
            return await Delivery.filter(key="notice:redis", status=DeliveryStatus.SENDING).exists()

        await until(sending, what="the worker to start sending")

        scene_text = static_scene(activity.code)
        first_nonce = {t.person.id: nonce() for t in teachers}
        answers: dict[int, list[tuple[int, dict]]] = {t.person.id: [] for t in teachers}
        async with http_client(timeout=30) as http:

            async def scan(i: int, who, scan_nonce: str) -> int:
                resp = await http.post(
                    f"{apis[i % 2]}/api/v1/checkins",
                    headers=who.headers,
                    json={"scene": scene_text, "nonce": scan_nonce},
                )
                answers[who.person.id].append((resp.status_code, resp.json()))
                return resp.status_code

            async def burst(part) -> list[int]:
                return await asyncio.gather(
                    *(scan(i, t, first_nonce[t.person.id]) for i, t in part)
                )

            numbered = list(enumerate(teachers))
            await burst(numbered[:8])
            redis_server.stop()  # in the middle of the burst
            await burst(numbered[8:16])
            # A notice sent meanwhile is saved, though its jobs cannot be queued.
            await helpers.fan_out(broker, quiet, "notice:redis-during")
            redis_server.start()
            await burst(numbered[16:])
            # Whoever was refused scans again with the same nonce, as the app retries.
            for i, t in numbered:
                while answers[t.person.id][-1][0] != 200:
                    assert await scan(i, t, first_nonce[t.person.id]) in (200, 503)
            # And everyone scans once more on the other process: already checked in.
            await asyncio.gather(*(scan(i + 1, t, nonce()) for i, t in numbered))

        for t in teachers:
            mine = answers[t.person.id]
            for status, body in mine:
                assert status in (200, 503), body
                if status == 503:
                    assert _chinese(body["message"]), body
            ok = [body for status, body in mine if status == 200]
            assert [b["status"] for b in ok] == ["checked_in"] * (len(ok) - 1) + [
                "already_checked_in"
            ]
            assert len({b["checkin"]["id"] for b in ok}) == 1
        by_person = await Checkin.filter(activity_id=activity.id).values_list(
            "person_id", flat=True
        )
        assert sorted(by_person) == sorted(t.person.id for t in teachers)

        # The fan-out under way went on, and the worker takes new jobs from Redis again.
        more, more_openids = await seed_parents(sandbox_client, 2, "ra")
        await helpers.fan_out(broker, more, "notice:redis-after")
        await until(lambda: helpers.settled("notice:redis", 12), within=60, what="the fan-out")
        await until(lambda: helpers.settled("notice:redis-after", 2), within=60, what="new jobs")
        # The sweeper (cron, every minute) queues what could not be queued.
        await enqueue(broker, "delivery.recover_stuck")
        await until(lambda: helpers.settled("notice:redis-during", 2), within=60, what="sweeper")
        rows = await Delivery.filter(key__startswith="notice:redis")
        assert len(rows) == 16
        assert {r.status for r in rows} == {DeliveryStatus.SENT}
        counts = await helpers.delivered_counts(sandbox_client)
        assert sorted(counts) == sorted(openids + more_openids + quiet_openids)
        assert set(counts.values()) == {1}

        async def all_acknowledged() -> bool:
            return await helpers.pending_jobs(redis_server.url) == 0

        # Jobs that ended while Redis was away were acknowledged once it came back (none
        # is left to run again), and the worker process rode it out without a restart.
        await until(all_acknowledged, within=60, what="the acknowledgements")
        assert "is dead" not in procs[-1].output()
    finally:
        await broker.shutdown()
        await asyncio.gather(*(proc.stop() for proc in procs))
        redis_server.kill()
        print("\n".join(f"--- {p.name}\n{p.output()}" for p in procs))


async def test_api_answers_503_in_chinese_while_postgres_restarts_and_recovers(settings, tmp_path):
    pg = PrivatePostgres()
    await asyncio.to_thread(pg.init)
    redis_url = backends.redis_url(11)
    scratch = aioredis.from_url(redis_url)
    await scratch.flushdb()
    await scratch.aclose()
    port = free_port()
    env = process_env(
        settings,
        redis_url=redis_url,
        SONGJIAO_DATABASE_URL=pg.dsn,
        SONGJIAO_PORT=str(port),
        # The api's own sandbox: this database knows nobody the shared sandbox knows. The
        # embedded sandbox runs in development only (outside it the api refuses to start).
        SONGJIAO_ENV="development",
        SONGJIAO_WECHAT_API_BASE="",
        SONGJIAO_WECOM_API_BASE="",
    )
    proc = Proc("api", ["serve"], env, tmp_path / "api")
    base = f"http://127.0.0.1:{port}"
    try:
        await proc.start()
        await wait_http(base + "/healthz", within=90)
        async with http_client(base_url=base, timeout=30) as http:
            login = await http.post("/api/v1/auth/login", json={"code": "pg-restart"})
            assert login.status_code == 200, login.text
            headers = {"authorization": f"Bearer {login.json()['access_token']}"}
            assert (await http.get("/api/v1/me", headers=headers)).status_code == 200

            await asyncio.to_thread(pg.stop)
            for _ in range(3):
                down = await http.get("/api/v1/me", headers=headers)
                assert down.status_code == 503, down.text
                assert down.json()["message"] == "数据库暂时不可用，请稍后重试"
            relogin = await http.post("/api/v1/auth/login", json={"code": "pg-restart"})
            assert relogin.status_code == 503, relogin.text
            assert (await http.get("/healthz")).status_code == 503

            await asyncio.to_thread(pg.start)

            async def answers_again() -> bool:
                return (await http.get("/api/v1/me", headers=headers)).status_code == 200

            await until(answers_again, within=30, what="the api to reach PostgreSQL again")
            again = await http.post("/api/v1/auth/login", json={"code": "pg-restart"})
            assert again.status_code == 200, again.text
        assert proc.proc.returncode is None, "the api restarted"
    finally:
        await proc.stop()
        await asyncio.to_thread(pg.remove)
        print(proc.output())


async def test_job_listener_comes_back_after_redis_restarts_without_its_data(tmp_path):
    redis_server = PrivateRedis(tmp_path)
    redis_server.start()
    broker = build_broker(load_settings(redis_url=redis_server.url, database_url="x"))
    await broker.startup()
    messages = broker.listen()
    try:
        reading = asyncio.create_task(anext(messages))
        await asyncio.sleep(0.5)  # blocked reading the stream
        # Killed without saving: the stream and its consumer group are gone.
        redis_server.kill()
        redis_server.start()
        await enqueue(broker, "accounts.purge_sessions")
        message = await asyncio.wait_for(reading, timeout=30)
        assert json.loads(message.data)["task_name"] == "accounts.purge_sessions"
        await message.ack()
        assert await helpers.pending_jobs(redis_server.url) == 0
    finally:
        await messages.aclose()
        await broker.shutdown()
        redis_server.kill()
