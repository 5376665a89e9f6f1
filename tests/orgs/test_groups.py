"""Leading groups (领导小组) of pairings and alliances."""

from __future__ import annotations

from server.orgs.models import LeadingGroup, LeadingGroupMember, Pairing
from tests.orgs.asserts import ok, refused
from tests.support.factories import (
    login_as,
    make_alliance,
    make_kindergarten,
    make_person,
    make_region,
)


async def _pairing():
    region = await make_region()
    a, b = await make_kindergarten(region), await make_kindergarten(region)
    pairing = await Pairing.create(
        supporting=a, supported=b, cycle_start="2024-03-01", cycle_end="2026-03-01"
    )
    return region, a, b, pairing


async def test_director_of_supported_side_sets_up_group_with_members(client):
    _, a, b, pairing = await _pairing()
    director = await login_as(client, "director", scope_id=b.id)
    group = ok(
        await client.post(
            "/api/v1/leading-groups",
            json={"name": "结对帮扶领导小组", "pairing_id": pairing.id},
            headers=director.headers,
        ),
        201,
    )
    # Members are staff of the pairing's kindergartens.
    head = await make_person("王园长", teacher_of=b)
    member = await make_person("李老师", phone="13800138000", teacher_of=a)
    ok(
        await client.post(
            f"/api/v1/leading-groups/{group['id']}/members",
            json={"person_id": member.id, "duty": "环境布置"},
            headers=director.headers,
        ),
        201,
    )
    seat = ok(
        await client.post(
            f"/api/v1/leading-groups/{group['id']}/members",
            json={"person_id": head.id, "position": "组长", "duty": "全面负责"},
            headers=director.headers,
        ),
        201,
    )
    assert seat["name"] == "王园长" and "phone" not in seat
    page = ok(
        await client.get(
            f"/api/v1/leading-groups?pairing_id={pairing.id}", headers=director.headers
        )
    )
    assert page["total"] == 1
    members = page["items"][0]["members"]
    assert [m["position"] for m in members] == ["组长", "成员"]
    assert "13800138000" not in str(page)


async def test_member_position_and_duty_are_checked(client):
    _, a, _, pairing = await _pairing()
    group = await LeadingGroup.create(name="小组", pairing=pairing)
    person = await make_person(teacher_of=a)
    director = await login_as(client, "director", scope_id=a.id)
    url = f"/api/v1/leading-groups/{group.id}/members"
    refused(
        await client.post(
            url, json={"person_id": person.id, "position": "秘书长"}, headers=director.headers
        ),
        400,
        "invalid_position",
    )
    refused(
        await client.post(
            url, json={"person_id": person.id, "duty": "责" * 65}, headers=director.headers
        ),
        400,
        "text_too_long",
    )
    refused(
        await client.post(url, json={"person_id": 9999}, headers=director.headers), 404, "not_found"
    )
    ok(await client.post(url, json={"person_id": person.id}, headers=director.headers), 201)
    refused(
        await client.post(url, json={"person_id": person.id}, headers=director.headers),
        409,
        "duplicate",
    )


async def test_member_is_promoted_and_removed(client):
    _, a, _, pairing = await _pairing()
    group = await LeadingGroup.create(name="小组", pairing=pairing)
    person = await make_person()
    seat = await LeadingGroupMember.create(group=group, person=person)
    admin = await login_as(client, "admin")
    url = f"/api/v1/leading-groups/{group.id}/members/{seat.id}"
    edited = ok(
        await client.patch(
            url, json={"position": "副组长", "duty": "教学活动"}, headers=admin.headers
        )
    )
    assert (edited["position"], edited["duty"]) == ("副组长", "教学活动")
    refused(
        await client.patch(url, json={"position": "老大"}, headers=admin.headers),
        400,
        "invalid_position",
    )
    ok(await client.delete(url, headers=admin.headers))
    refused(await client.delete(url, headers=admin.headers), 404, "not_found")


async def test_group_needs_exactly_one_owner(client):
    region, _, _, pairing = await _pairing()
    alliance = await make_alliance(region)
    admin = await login_as(client, "admin")
    refused(
        await client.post("/api/v1/leading-groups", json={"name": "小组"}, headers=admin.headers),
        400,
        "invalid_owner",
    )
    refused(
        await client.post(
            "/api/v1/leading-groups",
            json={"name": "小组", "pairing_id": pairing.id, "alliance_id": alliance.id},
            headers=admin.headers,
        ),
        400,
        "invalid_owner",
    )
    refused(
        await client.post(
            "/api/v1/leading-groups",
            json={"name": "", "pairing_id": pairing.id},
            headers=admin.headers,
        ),
        400,
        "invalid_name",
    )
    refused(
        await client.post(
            "/api/v1/leading-groups",
            json={"name": "小组", "pairing_id": 999},
            headers=admin.headers,
        ),
        404,
        "not_found",
    )
    refused(await client.get("/api/v1/leading-groups", headers=admin.headers), 400, "invalid_owner")


async def test_alliance_lead_director_manages_alliance_group(client):
    region = await make_region()
    alliance = await make_alliance(region)
    lead = await make_kindergarten(region, alliance=alliance)
    member = await make_kindergarten(region, alliance=alliance)
    alliance.lead_id = lead.id
    await alliance.save()
    lead_director = await login_as(client, "director", scope_id=lead.id)
    group = ok(
        await client.post(
            "/api/v1/leading-groups",
            json={"name": "联盟工作领导小组", "alliance_id": alliance.id},
            headers=lead_director.headers,
        ),
        201,
    )
    member_director = await login_as(client, "director", scope_id=member.id)
    ok(await client.get(f"/api/v1/leading-groups/{group['id']}", headers=member_director.headers))
    refused(
        await client.delete(
            f"/api/v1/leading-groups/{group['id']}", headers=member_director.headers
        ),
        403,
        "forbidden",
    )
    ok(await client.delete(f"/api/v1/leading-groups/{group['id']}", headers=lead_director.headers))
    assert not await LeadingGroup.exists(id=group["id"])


async def test_outsiders_cannot_manage_or_see_groups(client):
    _, a, _, pairing = await _pairing()
    group = await LeadingGroup.create(name="小组", pairing=pairing)
    stranger = await make_kindergarten()
    outsider = await login_as(client, "director", scope_id=stranger.id)
    refused(await client.get(f"/api/v1/leading-groups/{group.id}", headers=outsider.headers), 404)
    refused(
        await client.post(
            "/api/v1/leading-groups",
            json={"name": "小组", "pairing_id": pairing.id},
            headers=outsider.headers,
        ),
        404,
    )
    teacher = await login_as(client, "teacher", scope_id=a.id)
    ok(await client.get(f"/api/v1/leading-groups/{group.id}", headers=teacher.headers))
    refused(
        await client.post(
            f"/api/v1/leading-groups/{group.id}/members",
            json={"person_id": (await make_person()).id},
            headers=teacher.headers,
        ),
        403,
        "forbidden",
    )
    organizer_director = await login_as(client, "organizer", scope_id=a.id)
    refused(
        await client.delete(
            f"/api/v1/leading-groups/{group.id}", headers=organizer_director.headers
        ),
        403,
        "forbidden",
    )
    refused(await client.get("/api/v1/leading-groups/999", headers=teacher.headers), 404)


async def test_region_leader_manages_pairing_group(client):
    region, _, _, pairing = await _pairing()
    leader = await login_as(client, "leader", scope_kind="region", scope_id=region.id)
    group = ok(
        await client.post(
            "/api/v1/leading-groups",
            json={"name": "县级督导小组", "pairing_id": pairing.id},
            headers=leader.headers,
        ),
        201,
    )
    person = await make_person(teacher_of=await pairing.supported)
    ok(
        await client.post(
            f"/api/v1/leading-groups/{group['id']}/members",
            json={"person_id": person.id, "position": "组长"},
            headers=leader.headers,
        ),
        201,
    )
    ok(await client.delete(f"/api/v1/leading-groups/{group['id']}", headers=leader.headers))
    assert not await LeadingGroupMember.exists(person_id=person.id)
