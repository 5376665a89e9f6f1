"""Bad activity input is refused with a stable code and a Chinese explanation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from server.activities.models import Activity
from tests.activities.helpers import ACTIVITIES, at, create, payload, refused
from tests.support.factories import make_kindergarten
from tests.support.world import make_world


def _times(**offsets_h) -> dict:
    """Times relative to a start 48 h from now, in hours."""
    base = at(48)
    return {name: (base + timedelta(hours=h)).isoformat() for name, h in offsets_h.items()}


CASES = {
    "end_before_start": ("invalid_time", _times(starts_at=0, ends_at=-1)),
    "end_equals_start": ("invalid_time", _times(starts_at=0, ends_at=0)),
    "late_before_opening": (
        "invalid_window",
        _times(starts_at=0, ends_at=2, checkin_opens_at=0, late_after=-0.25),
    ),
    "closing_before_late": (
        "invalid_window",
        _times(starts_at=0, ends_at=2, late_after=1, checkin_closes_at=0.5),
    ),
    "opens_more_than_a_day_early": (
        "invalid_window",
        _times(starts_at=0, ends_at=2, checkin_opens_at=-25),
    ),
    "opens_after_the_end": (
        "invalid_window",
        _times(starts_at=0, ends_at=2, checkin_opens_at=2, late_after=2, checkin_closes_at=3),
    ),
    "closes_before_the_start": (
        "invalid_window",
        _times(
            starts_at=0, ends_at=2, checkin_opens_at=-1, late_after=-0.5, checkin_closes_at=-0.2
        ),
    ),
    "closes_long_after_the_end": (
        "invalid_window",
        _times(starts_at=0, ends_at=2, checkin_closes_at=8.5),
    ),
    "latitude_out_of_range": ("invalid_coordinates", {"lat": 91, "lng": 112.9}),
    "longitude_out_of_range": ("invalid_coordinates", {"lat": 28.2, "lng": -181}),
    "one_coordinate_only": ("invalid_coordinates", {"lat": 28.2, "lng": None}),
    "radius_zero": ("invalid_radius", {"radius_m": 0}),
    "radius_negative": ("invalid_radius", {"radius_m": -5}),
    "radius_over_50_km": ("invalid_radius", {"radius_m": 50_001}),
    "negative_presenter_hours": (
        "invalid_hours",
        {"presenters": [{"person_id": 1, "hours": -1}]},
    ),
    "negative_attendee_hours": ("invalid_hours", {"attendee_hours": -0.5}),
    "empty_title": ("invalid_title", {"title": "   "}),
    "title_too_long": ("invalid_title", {"title": "送" * 65}),
    "unknown_kind": ("invalid_kind", {"kind": "郊游"}),
    "unknown_audience_mode": ("invalid_audience", {"audience_mode": "everyone"}),
    "alliance_audience_without_alliance": ("invalid_audience", {"audience_mode": "alliance"}),
    "rotation_too_fast": ("invalid_rotation", {"rotate_seconds": 2}),
}


@pytest.mark.parametrize("case", sorted(CASES))
async def test_bad_input_is_refused_with_code_and_chinese_message(client, case):
    world = await make_world(client, ACTIVITIES)
    code, change = CASES[case]
    body = payload(world, **change)
    if "presenters" in change:
        body["presenters"] = [{**change["presenters"][0], "person_id": world.presenter.id}]
    resp = await client.post("/api/v1/activities", json=body, headers=world.organizer.headers)
    refused(resp, 400, code)
    assert await Activity.all().count() == 0


async def test_unknown_people_are_refused_without_naming_ids(client):
    world = await make_world(client, ACTIVITIES)
    body = payload(
        world,
        invitee_ids=[world.presenter.id, 99_001],
        presenters=[{"person_id": 99_002, "hours": 1}],
    )
    resp = await client.post("/api/v1/activities", json=body, headers=world.organizer.headers)
    answer = refused(resp, 400, "unknown_people")
    # Naming the refused ids would tell which of them exist elsewhere (ids are sequential).
    assert "details" not in answer
    assert "99001" not in answer["message"] and "99002" not in answer["message"]


async def test_pairing_must_have_the_host_as_one_side(client):
    world = await make_world(client, ACTIVITIES)
    outsider = await make_kindergarten()
    body = payload(world, host_id=outsider.id)
    resp = await client.post("/api/v1/activities", json=body, headers=world.organizer.headers)
    refused(resp, 400, "invalid_pairing")


async def test_alliance_must_contain_the_host(client):
    from tests.support.factories import make_alliance, make_region

    world = await make_world(client, ACTIVITIES)
    alliance = await make_alliance(await make_region())
    body = payload(world, alliance_id=alliance.id)
    resp = await client.post("/api/v1/activities", json=body, headers=world.organizer.headers)
    refused(resp, 400, "invalid_alliance")


async def test_audience_kindergartens_must_be_within_sight(client):
    world = await make_world(client, ACTIVITIES)
    hidden = await make_kindergarten()
    body = payload(world, audience_kindergarten_ids=[world.supported.id, hidden.id])
    resp = await client.post("/api/v1/activities", json=body, headers=world.organizer.headers)
    refused(resp, 400, "invalid_audience")


async def test_unknown_fields_are_refused(client):
    world = await make_world(client, ACTIVITIES)
    body = payload(world, secret="mine")
    resp = await client.post("/api/v1/activities", json=body, headers=world.organizer.headers)
    refused(resp, 400, "invalid_input")


async def test_patch_is_checked_by_the_same_rules(client):
    world = await make_world(client, ACTIVITIES)
    made = await create(client, world)
    url, headers = f"/api/v1/activities/{made['id']}", world.organizer.headers
    starts = made["starts_at"]
    refused(await client.patch(url, json={"ends_at": starts}, headers=headers), 400, "invalid_time")
    refused(await client.patch(url, json={"radius_m": 0}, headers=headers), 400, "invalid_radius")
    refused(await client.patch(url, json={"lat": 95}, headers=headers), 400, "invalid_coordinates")
    refused(await client.patch(url, json={"title": None}, headers=headers), 400, "invalid_input")
    refused(
        await client.patch(url, json={"invitee_ids": [99_003]}, headers=headers),
        400,
        "unknown_people",
    )
    closes_late = {"checkin_closes_at": (at(48 + 9)).isoformat()}
    refused(await client.patch(url, json=closes_late, headers=headers), 400, "invalid_window")
    assert (await Activity.get(id=made["id"])).version == 1
