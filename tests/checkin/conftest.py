"""Check-in fixtures: a kindergarten, an activity happening now, teachers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from tests.support.factories import login_as, make_activity, make_kindergarten


@dataclass
class Scene:
    """A kindergarten, its live activity and helpers to scan."""

    kg: object
    activity: object


@pytest.fixture
async def scene():
    kg = await make_kindergarten()
    return Scene(kg=kg, activity=await make_activity(kg))


def nonce() -> str:
    """A fresh client nonce."""
    return uuid.uuid4().hex


async def teacher_of(client, kg):
    """A teacher of `kg`, logged in."""
    return await login_as(client, "teacher", scope_id=kg.id, teacher_of=kg)


async def scan(client, who, scene_text, **extra):
    """POST a check-in and return the JSON answer with the HTTP status."""
    body = {"scene": scene_text, "nonce": extra.pop("nonce", None) or nonce(), **extra}
    resp = await client.post("/api/v1/checkins", json=body, headers=who.headers)
    return resp.status_code, resp.json()
