"""Leading-group members are staff of the group's kindergartens; others are answered as nobody."""

from __future__ import annotations

from server.orgs.models import LeadingGroup, LeadingGroupMember, Pairing, Person
from tests.orgs.asserts import ok, refused
from tests.support.factories import (
    login_as,
    make_alliance,
    make_kindergarten,
    make_person,
    make_region,
)


async def _pairing_group():
    region = await make_region()
    a, b = await make_kindergarten(region), await make_kindergarten(region)
    pairing = await Pairing.create(
        supporting=a, supported=b, cycle_start="2024-03-01", cycle_end="2026-03-01"
    )
    return region, a, b, await LeadingGroup.create(name="结对帮扶领导小组", pairing=pairing)


async def _missing_person_id() -> int:
    last = await Person.all().order_by("-id").first()
    return last.id + 10_000


async def test_a_person_of_another_region_is_answered_as_an_unknown_one(client):
    _, a, _, group = await _pairing_group()
    director = await login_as(client, "director", scope_id=a.id)
    outsider = await make_person(teacher_of=await make_kindergarten(await make_region()))
    url = f"/api/v1/leading-groups/{group.id}/members"
    foreign = await client.post(url, json={"person_id": outsider.id}, headers=director.headers)
    unknown = await client.post(
        url, json={"person_id": await _missing_person_id()}, headers=director.headers
    )
    body = refused(foreign, 404, "not_found")
    assert (unknown.status_code, unknown.json()) == (404, body)
    assert not await LeadingGroupMember.exists(group_id=group.id)


async def test_staff_of_an_unrelated_kindergarten_or_nobodys_staff_are_refused(client):
    region, a, _, group = await _pairing_group()
    leader = await login_as(client, "leader", scope_kind="region", scope_id=region.id)
    url = f"/api/v1/leading-groups/{group.id}/members"
    neighbour_teacher = await make_person(teacher_of=await make_kindergarten(region))
    for person in (neighbour_teacher, await make_person()):
        resp = await client.post(url, json={"person_id": person.id}, headers=leader.headers)
        refused(resp, 404, "not_found")
    assert not await LeadingGroupMember.exists(group_id=group.id)


async def test_staff_of_both_sides_and_the_caller_herself_take_seats(client):
    region, a, b, group = await _pairing_group()
    leader = await login_as(client, "leader", scope_kind="region", scope_id=region.id)
    url = f"/api/v1/leading-groups/{group.id}/members"
    ours, theirs = await make_person(teacher_of=a), await make_person(teacher_of=b)
    for person, position in ((leader.person, "组长"), (ours, "副组长"), (theirs, "成员")):
        seat = await client.post(
            url, json={"person_id": person.id, "position": position}, headers=leader.headers
        )
        ok(seat, 201)
    assert await LeadingGroupMember.filter(group_id=group.id).count() == 3


async def test_an_alliance_group_takes_staff_of_its_members_only(client):
    region = await make_region()
    alliance = await make_alliance(region)
    lead = await make_kindergarten(region, alliance=alliance)
    member = await make_kindergarten(region, alliance=alliance)
    alliance.lead_id = lead.id
    await alliance.save()
    group = await LeadingGroup.create(name="联盟工作领导小组", alliance=alliance)
    director = await login_as(client, "director", scope_id=lead.id)
    url = f"/api/v1/leading-groups/{group.id}/members"
    member_teacher = await make_person(teacher_of=member)
    ok(await client.post(url, json={"person_id": member_teacher.id}, headers=director.headers), 201)
    outside = await make_person(teacher_of=await make_kindergarten(region))
    refused(
        await client.post(url, json={"person_id": outside.id}, headers=director.headers),
        404,
        "not_found",
    )
