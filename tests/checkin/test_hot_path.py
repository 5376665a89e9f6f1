"""The check-in hot path's Redis work: remembered and announced per batch, asked when refused."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest

from server.activities.codes import static_scene
from server.activities.models import Activity
from server.checkin.cache import activity_by_code, forget_activity
from server.checkin.fastpath import DONE_KEY
from server.checkin.live import channel
from server.checkin.models import Checkin
from server.common.time import now
from tests.checkin.conftest import nonce, scan, teacher_of


async def _close_window(activity) -> None:
    await Activity.filter(id=activity.id).update(checkin_closes_at=now() - timedelta(minutes=1))
    forget_activity(activity.id)


async def test_a_burst_is_remembered_and_announced_once_per_new_check_in(client, scene, api):
    redis = api.app.ctx.runtime.redis
    teachers = [await teacher_of(client, scene.kg) for _ in range(12)]
    code = static_scene(scene.activity.code)
    pubsub = redis.pubsub()
    await pubsub.subscribe(channel(redis, scene.activity.id))
    try:
        # Each teacher scans twice at once: one check-in each, the other scan a repeat.
        results = await asyncio.gather(*(scan(client, t, code) for t in teachers for _ in (1, 2)))
        announced = []
        deadline = asyncio.get_running_loop().time() + 10
        while len(announced) < len(teachers) and asyncio.get_running_loop().time() < deadline:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
            if message is not None:
                announced.append(json.loads(message["data"]))
        # Nothing more is on its way: a repeat is never announced.
        extra = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
    finally:
        await pubsub.unsubscribe()
        await pubsub.aclose()
    made = [body["checkin"]["id"] for _, body in results if body["status"] == "checked_in"]
    assert len(made) == len(teachers)
    assert sorted(a["checkin_id"] for a in announced) == sorted(made)
    assert {a["change"] for a in announced} == {"new"}
    assert extra is None
    rows = await Checkin.filter(activity_id=scene.activity.id)
    assert len(rows) == len(teachers)
    for row in rows:
        remembered = await redis.get(DONE_KEY.format(scene.activity.id, row.person_id))
        assert int(remembered) == row.id


async def test_a_retry_after_the_window_closed_gets_its_check_in_again(client, scene):
    teacher = await teacher_of(client, scene.kg)
    key = nonce()
    code = static_scene(scene.activity.code)
    _, first = await scan(client, teacher, code, nonce=key)
    assert first["status"] == "checked_in"
    await _close_window(scene.activity)
    status, again = await scan(client, teacher, code, nonce=key)
    assert status == 200 and again["status"] == "checked_in"
    assert again["checkin"]["id"] == first["checkin"]["id"]
    _, other = await scan(client, teacher, code)
    assert other["status"] == "already_checked_in"
    assert other["checkin"]["id"] == first["checkin"]["id"]
    # Someone who never checked in is refused as before.
    newcomer = await teacher_of(client, scene.kg)
    status, refused = await scan(client, newcomer, code)
    assert status == 422 and refused["reason"] == "closed"
    assert await Checkin.filter(activity_id=scene.activity.id).count() == 1


async def test_a_repeat_is_answered_by_the_insert_when_redis_forgot(client, scene, api):
    teacher = await teacher_of(client, scene.kg)
    key = nonce()
    code = static_scene(scene.activity.code)
    _, first = await scan(client, teacher, code, nonce=key)
    await api.app.ctx.runtime.redis.delete(DONE_KEY.format(scene.activity.id, teacher.person.id))
    _, again = await scan(client, teacher, code, nonce=key)
    assert again["status"] == "checked_in" and again["checkin"]["id"] == first["checkin"]["id"]
    _, other = await scan(client, teacher, code)
    assert other["status"] == "already_checked_in"
    assert await Checkin.filter(activity_id=scene.activity.id).count() == 1


async def test_a_burst_after_the_activity_cache_ran_out_loads_the_activity_once(scene):
    forget_activity(scene.activity.id)
    found = await asyncio.gather(*(activity_by_code(scene.activity.code) for _ in range(20)))
    assert {a.id for a in found} == {scene.activity.id}
    assert len({id(a) for a in found}) == 1  # one query, one object shared by every scan
    assert await activity_by_code("no-such-code") is None


@pytest.mark.services
async def test_a_live_notice_stays_in_its_redis_database():
    # Pub/sub ignores database numbers: a deployment on database 13 and one on 14 of the
    # same server would otherwise wake each other's live boards.
    from redis import asyncio as aioredis

    from server.checkin.live import publish_change
    from tests.support import backends

    mine = aioredis.from_url(backends.redis_url(13))
    theirs = aioredis.from_url(backends.redis_url(14))
    pubsub = mine.pubsub()
    try:
        assert channel(mine, 7) != channel(theirs, 7)
        await pubsub.subscribe(channel(mine, 7))
        await pubsub.get_message(timeout=5)  # the subscribe confirmation
        await publish_change(theirs, activity_id=7, checkin_id=1, change="new")
        await publish_change(mine, activity_id=7, checkin_id=2, change="new")
        heard = []
        while (message := await pubsub.get_message(timeout=5)) is not None:
            heard.append(json.loads(message["data"])["checkin_id"])
            if len(heard) > 1 or heard == [2]:
                break
        assert heard == [2]
    finally:
        await pubsub.aclose()
        await mine.aclose()
        await theirs.aclose()
