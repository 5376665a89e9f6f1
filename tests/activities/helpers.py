"""Activity tests: their world's setting, a valid payload, creating and publishing them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx

from tests.support.world import Setting, Who, World

CHINESE = re.compile(r"[\u4e00-\u9fff]")


#: Two kindergartens of one region, paired; an organizer of each logged in (the supporting
#: side's is `organizer`, the supported side's `partner`) and a presenter of the supporting one.
ACTIVITIES = Setting(
    presenter=True,
    people={
        "organizer": Who("organizer", "supporting"),
        "partner": Who("organizer", "supported"),
    },
)


def at(hours: float) -> datetime:
    """A moment `hours` from now (UTC, whole minutes)."""
    moment = datetime.now(UTC) + timedelta(hours=hours)
    return moment.replace(second=0, microsecond=0)


def payload(world: World, *, start_in: float = 48, length: float = 2.5, **extra) -> dict:
    """A valid 送教下乡 hosted by the supported kindergarten under the pairing."""
    starts = at(start_in)
    body = {
        "title": "送教下乡：小班语言活动《小蝌蚪找妈妈》",
        "kind": "送教下乡",
        "host_id": world.supported.id,
        "pairing_id": world.pairing.id,
        "address": "黄花镇中心幼儿园三楼多功能厅",
        "lat": 28.2,
        "lng": 112.9,
        "radius_m": 300,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=length)).isoformat(),
        "presenters": [{"person_id": world.presenter.id, "hours": 2, "topic": "示范课"}],
        "attendee_hours": 1.5,
    }
    body.update(extra)
    return body


async def create(client: httpx.AsyncClient, world: World, **extra) -> dict:
    """Create an activity as the supporting side's organizer; its JSON."""
    resp = await client.post(
        "/api/v1/activities", json=payload(world, **extra), headers=world.organizer.headers
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


async def publish(client: httpx.AsyncClient, world: World, activity_id: int) -> dict:
    """Publish as the supporting side's organizer."""
    resp = await client.post(
        f"/api/v1/activities/{activity_id}/publish", headers=world.organizer.headers
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


def refused(resp: httpx.Response, status: int, code: str | None = None) -> dict:
    """The answer is a refusal with this status, code and a Chinese message."""
    assert resp.status_code == status, resp.text
    body = resp.json()
    if code is not None:
        assert body["error"] == code, body
    assert CHINESE.search(body["message"]), body
    return body


def parse_time(text: str) -> datetime:
    """An ISO time from the api."""
    return datetime.fromisoformat(text)
