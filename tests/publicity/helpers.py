"""Test data for publicity: the setting of a finished 送教 with a record and its people, photos."""

from __future__ import annotations

import asyncio
import time

from server.activities.models import Activity, ActivityKind, Presenter
from server.checkin.models import Checkin, CheckinMethod
from server.common.time import now
from server.publicity import publish
from server.publicity.models import Post
from tests.archive.helpers import jpeg_bytes, make_activity, upload
from tests.support.factories import make_person
from tests.support.world import Setting, Who, World


def finished_send(*, reflection: str = ""):
    """The world's activity: the supporting kindergarten's finished 送教 at the supported one,
    with its plan (and `reflection`), two presenters and three of its teachers checked in."""

    async def make(world: World) -> Activity:
        host = world.supported
        activity = await make_activity(
            host=host, pairing=world.pairing, title="绘本教学示范课", audience=(host,)
        )
        activity.plan = "通过示范课和现场评课，帮助村园教师掌握绘本教学的基本方法。其余内容略。"
        activity.reflection = reflection
        await activity.save()
        lessons = (
            ("王丽", "示范课《小蝌蚪找妈妈》", 1, "大二班", "语言"),
            ("李娜", "评课与说课", 0.5, "", ""),
        )
        for name, topic, hours, class_name, area in lessons:
            person = await make_person(name, teacher_of=world.supporting)
            await Presenter.create(
                activity=activity,
                person=person,
                hours=hours,
                topic=topic,
                class_name=class_name,
                subject_area=area,
            )
        for _ in range(3):
            teacher = await make_person(teacher_of=host)
            await Checkin.create(
                activity=activity, person=teacher, method=CheckinMethod.STATIC, scanned_at=now()
            )
        return activity

    return make


#: A county kindergarten's 送教 to a village one, finished, with its people: the organizer
#: (撰稿) and director (审核) of the supported (host) kindergarten and the region's leader (签发).
#: No photos yet. `make_world(client, PUBLICITY, activity=finished_send(reflection=…))` for a
#: reflection.
PUBLICITY = Setting(
    supporting_name="湘江县实验幼儿园",
    supported_name="石桥村幼儿园",
    activity=finished_send(),
    people={
        "organizer": Who("organizer", "supported", "孙雅琴"),
        "director": Who("director", "supported", "陈婷"),
        "leader": Who("leader", "region"),
    },
)


async def add_photo(
    client, world: World, *, consent: bool, caption: str = "示范课现场", data: bytes | None = None
) -> dict:
    """Upload a photo to the activity's record as its organizer."""
    resp = await upload(
        client,
        world.organizer,
        world.activity.id,
        data or jpeg_bytes(color=(unique_color(), 120, 60)),
        caption=caption,
        consent="true" if consent else "false",
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


_colors = iter(range(10, 250, 7))


def unique_color() -> int:
    """A red channel no other photo in this run uses (so photos never deduplicate)."""
    return next(_colors, 3)


async def draft(client, world: World, **body) -> dict:
    """Generate the post as the organizer."""
    resp = await client.post(
        f"/api/v1/activities/{world.activity.id}/post", json=body, headers=world.organizer.headers
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


async def to_signing(client, world: World, post_id: int) -> None:
    """撰稿 submits, 审核 approves."""
    resp = await client.post(f"/api/v1/posts/{post_id}/submit", headers=world.organizer.headers)
    assert resp.status_code == 200, resp.text
    resp = await client.post(
        f"/api/v1/posts/{post_id}/approve", json={}, headers=world.director.headers
    )
    assert resp.status_code == 200, resp.text


async def wait_for(check, within: float = 30.0):
    """Poll `check()` until it returns something truthy."""
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


async def submitted(post_id: int) -> Post:
    """The post once the publish job has submitted it to WeChat (or failed).

    The job is run here too (it is safe to run twice, one run at a time), so the test
    does not depend on the worker having taken it from the queue yet.
    """
    await publish.publish_post(post_id=post_id)

    async def check():
        post = await Post.get(id=post_id)
        return post if post.publish_id or post.status != "publishing" else None

    return await wait_for(check)


__all__ = ["ActivityKind", "jpeg_bytes"]


async def published_post(client, world: World) -> Post:
    """Draft, review, sign and publish the activity's post (URL found by polling)."""
    post = await draft(client, world)
    await to_signing(client, world, post["id"])
    resp = await client.post(f"/api/v1/posts/{post['id']}/sign", headers=world.leader.headers)
    assert resp.status_code == 200, resp.text
    await submitted(post["id"])
    for _ in range(3):  # the sandbox answers "publishing" first, then the URL
        await publish.poll_publishes()
    row = await Post.get(id=post["id"])
    assert row.status == "published" and row.article_url, row.fail_message
    return row
