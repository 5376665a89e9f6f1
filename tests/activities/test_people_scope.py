"""Person and kindergarten ids in an activity's body: only those in the activity's reach.

Ids are sequential, so an id outside the activity's kindergartens must be answered exactly
as an id that does not exist: same status, same JSON, nothing that tells one from the other.
"""

from __future__ import annotations

from datetime import date

from server.activities.models import Activity, ActivityInvitee, Presenter
from server.orgs.models import Alliance, Pairing, Person
from tests.activities.helpers import ACTIVITIES, create, payload, refused
from tests.support.factories import make_alliance, make_kindergarten, make_person, make_region
from tests.support.world import make_world

URL = "/api/v1/activities"


async def _missing_person_id() -> int:
    last = await Person.all().order_by("-id").first()
    return last.id + 10_000


async def _second_region() -> tuple:
    """Another region's paired kindergartens, with a teacher of each."""
    region = await make_region()
    supporting, supported = await make_kindergarten(region), await make_kindergarten(region)
    pairing = await Pairing.create(
        supporting=supporting,
        supported=supported,
        cycle_start=date(2026, 3, 1),
        cycle_end=date(2028, 3, 1),
    )
    teacher = await make_person(teacher_of=supported)
    return supporting, supported, pairing, teacher


async def _same_answer(client, world, make_body) -> dict:
    """Post a body naming an outsider and one naming nobody; both refused identically."""
    _, _, _, outsider = await _second_region()
    missing = await _missing_person_id()
    foreign = await client.post(URL, json=make_body(outsider.id), headers=world.organizer.headers)
    unknown = await client.post(URL, json=make_body(missing), headers=world.organizer.headers)
    body = refused(foreign, 400, "unknown_people")
    assert (unknown.status_code, unknown.json()) == (foreign.status_code, body)
    assert "details" not in body and str(outsider.id) not in body["message"]
    assert await Activity.all().count() == 0
    return body


async def test_a_presenter_from_another_region_is_answered_as_an_unknown_one(client):
    world = await make_world(client, ACTIVITIES)
    await _same_answer(
        client,
        world,
        lambda pid: payload(world, presenters=[{"person_id": pid, "hours": 2, "topic": "示范课"}]),
    )


async def test_an_invitee_from_another_region_is_answered_as_an_unknown_one(client):
    world = await make_world(client, ACTIVITIES)
    await _same_answer(
        client,
        world,
        lambda pid: payload(world, audience_mode="invited", invitee_ids=[world.presenter.id, pid]),
    )


async def test_staff_of_an_unrelated_kindergarten_of_the_same_region_are_refused(client):
    world = await make_world(client, ACTIVITIES)
    neighbour = await make_kindergarten(await world.supported.region)
    stranger = await make_person(teacher_of=neighbour)
    for body in (
        payload(world, presenters=[{"person_id": stranger.id, "hours": 1}]),
        payload(world, audience_mode="invited", invitee_ids=[stranger.id]),
    ):
        resp = await client.post(URL, json=body, headers=world.organizer.headers)
        refused(resp, 400, "unknown_people")
    assert await Activity.all().count() == 0


async def test_patching_presenters_or_invitees_checks_the_same_reach(client):
    world = await make_world(client, ACTIVITIES)
    made = await create(client, world, audience_mode="invited", invitee_ids=[world.presenter.id])
    url, headers = f"{URL}/{made['id']}", world.organizer.headers
    _, _, _, outsider = await _second_region()
    missing = await _missing_person_id()
    for field in ("presenters", "invitee_ids"):

        def change(pid: int, field: str = field) -> dict:
            if field == "presenters":
                return {"presenters": [{"person_id": pid, "hours": 1, "topic": "评课"}]}
            return {"invitee_ids": [world.presenter.id, pid]}

        foreign = await client.patch(url, json=change(outsider.id), headers=headers)
        unknown = await client.patch(url, json=change(missing), headers=headers)
        body = refused(foreign, 400, "unknown_people")
        assert (unknown.status_code, unknown.json()) == (foreign.status_code, body)
    assert not await Presenter.exists(person_id=outsider.id)
    assert not await ActivityInvitee.exists(person_id=outsider.id)


async def test_staff_of_the_host_the_pairing_and_the_alliance_may_present_and_be_invited(client):
    world = await make_world(client, ACTIVITIES)
    region = await world.supported.region
    alliance: Alliance = await make_alliance(region)
    world.supported.alliance_id = alliance.id
    await world.supported.save()
    member = await make_kindergarten(region, alliance=alliance)
    host_teacher = await make_person(teacher_of=world.supported)
    side_teacher = await make_person(teacher_of=world.supporting)
    member_teacher = await make_person(teacher_of=member)
    made = await create(
        client,
        world,
        alliance_id=alliance.id,
        audience_mode="invited",
        invitee_ids=[host_teacher.id, side_teacher.id, member_teacher.id],
        presenters=[
            {"person_id": side_teacher.id, "hours": 2, "topic": "示范课"},
            {"person_id": member_teacher.id, "hours": 1, "topic": "说课"},
        ],
    )
    assert made["invitee_ids"] == sorted([host_teacher.id, side_teacher.id, member_teacher.id])
    assert [p["person_id"] for p in made["presenters"]] == [side_teacher.id, member_teacher.id]
    # Without the alliance another teacher of the member is out of reach.
    newcomer = await make_person(teacher_of=member)
    resp = await client.patch(
        f"{URL}/{made['id']}",
        json={"alliance_id": None, "presenters": [{"person_id": newcomer.id, "hours": 1}]},
        headers=world.organizer.headers,
    )
    refused(resp, 400, "unknown_people")
    # People already on the activity may be sent back unchanged (a client echoes the list).
    resp = await client.patch(
        f"{URL}/{made['id']}",
        json={"invitee_ids": made["invitee_ids"], "title": "送教下乡（改）"},
        headers=world.organizer.headers,
    )
    assert resp.status_code == 200, resp.text


async def test_another_regions_pairing_or_alliance_is_answered_as_an_unknown_one(client):
    world = await make_world(client, ACTIVITIES)
    f_supporting, f_supported, f_pairing, _ = await _second_region()
    f_alliance = await make_alliance(await f_supported.region)
    f_supported.alliance_id = f_alliance.id
    await f_supported.save()
    last_pairing = await Pairing.all().order_by("-id").first()
    last_alliance = await Alliance.all().order_by("-id").first()
    cases = [
        # Our host under their pairing, and their host under their own pairing.
        ({"pairing_id": f_pairing.id}, {"pairing_id": last_pairing.id + 1000}),
        (
            {"host_id": f_supported.id, "pairing_id": f_pairing.id},
            {"host_id": f_supported.id, "pairing_id": last_pairing.id + 1000},
        ),
        (
            {"pairing_id": None, "alliance_id": f_alliance.id},
            {"pairing_id": None, "alliance_id": last_alliance.id + 1000},
        ),
        (
            {"host_id": f_supported.id, "pairing_id": None, "alliance_id": f_alliance.id},
            {"host_id": f_supported.id, "pairing_id": None, "alliance_id": last_alliance.id + 1000},
        ),
    ]
    for foreign_change, unknown_change in cases:
        foreign = await client.post(
            URL, json=payload(world, **foreign_change), headers=world.organizer.headers
        )
        unknown = await client.post(
            URL, json=payload(world, **unknown_change), headers=world.organizer.headers
        )
        assert foreign.status_code in (400, 403, 404), foreign.text
        assert (unknown.status_code, unknown.json()) == (foreign.status_code, foreign.json()), (
            foreign_change
        )
    assert await Activity.all().count() == 0
