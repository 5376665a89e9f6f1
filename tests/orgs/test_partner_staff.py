"""Pairing partners see each other's staff names, never whole phones (docs/privacy.md)."""

from __future__ import annotations

from datetime import date

from server.orgs.models import Pairing, Teacher
from tests.orgs.asserts import ok, refused
from tests.support.factories import login_as, make_kindergarten, make_person, make_region


async def _paired():
    region = await make_region()
    supporting, supported = await make_kindergarten(region), await make_kindergarten(region)
    await Pairing.create(
        supporting=supporting,
        supported=supported,
        cycle_start=date(2026, 9, 1),
        cycle_end=date(2027, 7, 31),
    )
    return supporting, supported


async def test_supporting_director_sees_partner_staff_names_with_masked_phones(client):
    supporting, supported = await _paired()
    teacher = await Teacher.create(
        person=await make_person("石老师", phone="13800138000"), kindergarten=supported
    )
    director = await login_as(client, "director", scope_id=supporting.id)
    page = ok(
        await client.get(f"/api/v1/kindergartens/{supported.id}/teachers", headers=director.headers)
    )
    assert [(t["name"], t["phone"]) for t in page["items"]] == [("石老师", "138****8000")]
    one = ok(await client.get(f"/api/v1/teachers/{teacher.id}", headers=director.headers))
    assert one["phone"] == "138****8000"


async def test_supported_teacher_sees_the_supporting_staff(client):
    supporting, supported = await _paired()
    await Teacher.create(person=await make_person("骨干老师"), kindergarten=supporting)
    teacher = await login_as(client, "teacher", scope_id=supported.id)
    page = ok(
        await client.get(f"/api/v1/kindergartens/{supporting.id}/teachers", headers=teacher.headers)
    )
    assert [t["name"] for t in page["items"]] == ["骨干老师"]


async def test_unpaired_and_other_region_staff_still_see_nothing(client):
    supporting, supported = await _paired()
    neighbour = await make_kindergarten(await make_region())
    for kg in (neighbour,):
        director = await login_as(client, "director", scope_id=kg.id)
        for target in (supporting, supported):
            refused(
                await client.get(
                    f"/api/v1/kindergartens/{target.id}/teachers", headers=director.headers
                ),
                404,
                "not_found",
            )
    # A partner sees names, not the partner's classes.
    partner = await login_as(client, "director", scope_id=supporting.id)
    refused(
        await client.get(f"/api/v1/kindergartens/{supported.id}/classes", headers=partner.headers),
        403,
    )
