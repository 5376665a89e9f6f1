"""Test data for the ledger: its world's setting (and an alliance), donations and fund lines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from server.orgs.models import Alliance, Kindergarten, KindergartenLevel, Region
from tests.support.factories import (
    LoggedIn,
    login,
    make_kindergarten,
    make_person,
    make_region,
    unique,
)
from tests.support.world import Setting, Who

#: A day inside 2026秋 (Aug 2026 – Jan 2027), in the past for every test run after it.
AUTUMN_DAY = date(2026, 10, 12)
SEMESTER = "2026秋"


#: A county kindergarten supporting a village one: `giver` (organizer) and `giver_director` of
#: the supporting side, `receiver` (director, confirms) and `receiver_organizer` of the
#: supported side, all named teachers, and the region's `leader`.
LEDGER = Setting(
    supporting_name="湘江县实验幼儿园",
    supported_name="石桥村幼儿园",
    unique_names=True,
    supporting_level=KindergartenLevel.COUNTY_MODEL,
    people={
        "giver": Who("organizer", "supporting", "孙雅琴", teacher=True),
        "giver_director": Who("director", "supporting", "陈婷", teacher=True),
        "receiver": Who("director", "supported", "王秀兰", teacher=True),
        "receiver_organizer": Who("organizer", "supported", "林晓红", teacher=True),
        "leader": Who("leader", "region"),
    },
)


async def _person(client, role: str, kg: Kindergarten, name: str) -> LoggedIn:
    person = await make_person(name, grants=((role, "kindergarten", kg.id),), teacher_of=kg)
    return await login(client, unique(f"ledger-{role}-"), person=person)


@dataclass
class AllianceWorld:
    """An alliance: a lead kindergarten and two members, with their directors."""

    alliance: Alliance
    lead: Kindergarten
    members: list[Kindergarten]
    keeper: LoggedIn  #: organizer of the lead
    member_directors: list[LoggedIn]


async def make_alliance_world(client, region: Region | None = None) -> AllianceWorld:
    """An alliance with its lead set and two other members."""
    region = region or await make_region()
    alliance = await Alliance.create(region=region, name=unique("湘江县学前教育联盟"))
    lead = await make_kindergarten(region, alliance=alliance, name=unique("联盟总园"))
    members = [
        await make_kindergarten(region, alliance=alliance, name=unique("联盟成员园"))
        for _ in range(2)
    ]
    alliance.lead_id = lead.id
    await alliance.save()
    return AllianceWorld(
        alliance=alliance,
        lead=lead,
        members=members,
        keeper=await _person(client, "organizer", lead, "罗慧敏"),
        member_directors=[
            await _person(client, "director", m, unique("成员园园长")) for m in members
        ],
    )


def items(*rows: tuple) -> list[dict]:
    """Donation items from (category, name, quantity, value) tuples."""
    return [
        {"category": c, "name": n, "quantity": q, "unit": "册" if c == "图书" else "件", "value": v}
        for c, n, q, v in rows
    ]


async def record_donation(client, who: LoggedIn, pairing_id: int, **body) -> dict:
    """POST a donation of the pairing; asserts it was recorded."""
    body.setdefault("donated_on", AUTUMN_DAY.isoformat())
    body.setdefault("items", items(("图书", "绘本《小蝌蚪找妈妈》", 120, "1800.00")))
    resp = await client.post(
        f"/api/v1/pairings/{pairing_id}/donations", json=body, headers=who.headers
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


async def record_fund(client, who: LoggedIn, pairing_id: int, **body) -> dict:
    """POST a fund line of the pairing; asserts it was recorded."""
    body.setdefault("direction", "spent")
    body.setdefault("occurred_on", AUTUMN_DAY.isoformat())
    body.setdefault("amount", "300.00")
    body.setdefault("category", "交通")
    body.setdefault("purpose", "送教下乡往返车费")
    resp = await client.post(f"/api/v1/pairings/{pairing_id}/funds", json=body, headers=who.headers)
    assert resp.status_code == 201, resp.text
    return resp.json()


def all_received(donation: dict) -> list[dict]:
    """Every item of a donation received in full."""
    return [{"item_id": i["id"], "outcome": "received"} for i in donation["items"]]
