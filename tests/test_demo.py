"""`songjiao demo`: a realistic county, loaded idempotently, with working demo logins."""

from __future__ import annotations

from pathlib import Path

from server.accounts.models import Account, RoleGrant
from server.activities.models import Activity, Presenter
from server.archive.models import ArchiveFile
from server.checkin.models import Checkin
from server.demo import demo_console_text, demo_logins_markdown, load_demo
from server.orgs.models import (
    Alliance,
    Child,
    Guardian,
    Kindergarten,
    KindergartenLevel,
    LeadingGroup,
    LeadingGroupMember,
    Pairing,
    Person,
    Region,
    SchoolClass,
    Teacher,
)
from server.publicity.models import Post

ROOT = Path(__file__).resolve().parents[1]
MODELS = (
    Region,
    Alliance,
    Kindergarten,
    Pairing,
    Person,
    Teacher,
    SchoolClass,
    Child,
    Guardian,
    LeadingGroup,
    LeadingGroupMember,
    RoleGrant,
    Account,
    Activity,
    Presenter,
    Checkin,
    Post,
    ArchiveFile,
)


async def _counts() -> dict[str, int]:
    return {m.__name__: await m.all().count() for m in MODELS}


async def test_loading_the_demo_twice_changes_nothing(client, api):
    settings = api.app.ctx.runtime.settings
    first_summary = await load_demo(settings)
    first = await _counts()
    second_summary = await load_demo(settings)
    assert await _counts() == first
    assert first_summary == second_summary
    assert first["Kindergarten"] == 12 and first["Alliance"] == 3
    assert first["Teacher"] == 60 and first["Account"] == 8
    assert "湘江县教育局" in first_summary and "demo-director" in first_summary


async def test_demo_county_has_the_shapes_of_the_domain(client, api):
    await load_demo(api.app.ctx.runtime.settings)
    levels = {k.level for k in await Kindergarten.all()}
    assert {
        KindergartenLevel.PROVINCIAL_MODEL,
        KindergartenLevel.CITY_MODEL,
        KindergartenLevel.COUNTY_MODEL,
        KindergartenLevel.TOWNSHIP_CENTRAL,
        KindergartenLevel.VILLAGE,
        KindergartenLevel.PRIVATE,
    } <= levels
    assert all(k.address and k.lat and k.lng for k in await Kindergarten.all())
    city = await Kindergarten.get(level=KindergartenLevel.CITY_MODEL)
    supported = await Kindergarten.filter(pairings_received__supporting=city)
    assert sorted(k.level.value for k in supported) == ["县级示范园"] * 3 + ["民办园"]
    pairing = await Pairing.filter(supporting=city).first()
    assert (str(pairing.cycle_start), str(pairing.cycle_end)) == ("2025-09-01", "2027-08-31")
    assert pairing.targets["send_hours_per_semester"] == 10
    for alliance in await Alliance.all():
        assert alliance.lead_id in {k.id for k in await alliance.members.all()}
        group = await LeadingGroup.get(alliance=alliance)
        positions = [m.position for m in await group.members.all()]
        assert positions.count("组长") == 1 and "副组长" in positions and "成员" in positions
    assert await Teacher.filter(is_key_teacher=True).count() > 0
    phones = await Person.exclude(phone=None).values_list("phone", flat=True)
    assert all(p.startswith("1700") and len(p) == 11 for p in phones)


EXPECTED_ROLES = {
    "demo-admin": {("admin", "global")},
    "demo-leader": {("leader", "region")},
    "demo-alliance-leader": {("leader", "alliance")},
    "demo-director": {("director", "kindergarten"), ("teacher", "kindergarten")},
    "demo-organizer": {("organizer", "kindergarten"), ("teacher", "kindergarten")},
    "demo-teacher": {("teacher", "kindergarten")},
    "demo-teacher2": {("teacher", "kindergarten")},
    "demo-parent": {("parent", "child")},
}


async def test_demo_codes_log_in_with_their_roles(client, api):
    await load_demo(api.app.ctx.runtime.settings)
    scopes = {}
    for code, expected in EXPECTED_ROLES.items():
        resp = await client.post("/api/v1/auth/login", json={"code": code})
        assert resp.status_code == 200, resp.text
        person = resp.json()["person"]
        assert person["bound"] is True
        roles = person["roles"]
        assert {(r["role"], r["scope_kind"]) for r in roles} == expected, code
        scopes[code] = {r["role"]: r["scope_name"] for r in roles}
    assert scopes["demo-leader"]["leader"] == "湘江县"
    assert scopes["demo-alliance-leader"]["leader"] == "湘江县实验幼儿园发展联盟"
    assert scopes["demo-director"]["director"] == "湘江县实验幼儿园"
    assert scopes["demo-teacher"]["teacher"] == "青山镇石桥村幼儿园"
    assert scopes["demo-parent"]["parent"] == "小一班幼儿家长"


async def test_demo_director_leads_the_alliance_lead_kindergarten(client, api):
    await load_demo(api.app.ctx.runtime.settings)
    kg = await Kindergarten.get(name="湘江县实验幼儿园")
    alliance = await Alliance.get(name="湘江县实验幼儿园发展联盟")
    assert alliance.lead_id == kg.id
    village = await Kindergarten.get(name="青山镇石桥村幼儿园")
    assert await Pairing.exists(supported=village)


def test_docs_table_matches_the_demo_codes():
    text = (ROOT / "docs" / "demo-logins.md").read_text(encoding="utf-8")
    assert demo_logins_markdown() in text
    assert demo_console_text() in text


async def _login(client, code: str) -> dict:
    resp = await client.post("/api/v1/auth/login", json={"code": code})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


async def test_demo_semester_gives_every_role_something_to_see_and_do(client, api):
    summary = await load_demo(api.app.ctx.runtime.settings)
    assert "本学期 7 场帮扶活动" in summary
    leader = await _login(client, "demo-leader")
    pairings = (await client.get("/api/v1/reports/pairings", headers=leader)).json()["items"]
    done = {p["name"]: p["figures"]["activities"] for p in pairings if p["figures"]["activities"]}
    assert len(done) >= 3  # finished activities count in the leaders' reports
    to_sign = await client.get("/api/v1/posts?status=signing", headers=leader)
    assert [p["title"] for p in to_sign.json()["items"]] == ["送教下乡：科学活动《沉与浮》"]
    director = await _login(client, "demo-director")
    to_review = await client.get("/api/v1/posts?status=reviewing", headers=director)
    item = to_review.json()["items"][0]
    post = (await client.get(f"/api/v1/posts/{item['id']}", headers=director)).json()
    # Drawn demo photos: the consented ones are in the post, the other is refused.
    assert sorted(p["usable"] for p in post["photos"]) == [False, True, True]
    assert post["cover_file_id"] and post["html"].count("<img") == 2
    approve = await client.post(f"/api/v1/posts/{item['id']}/approve", json={}, headers=director)
    assert approve.status_code == 200 and approve.json()["status"] == "signing"
    teacher = await _login(client, "demo-teacher")
    listed = (await client.get("/api/v1/activities", headers=teacher)).json()["items"]
    ongoing = [a for a in listed if a["status"] == "ongoing"]
    assert ongoing and ongoing[0]["title"] == "送教下乡：音乐活动《小雨沙沙》"


async def test_the_demo_banner_names_nobody(api):
    # `songjiao serve --demo` prints it to the console and so into process logs.
    text = await load_demo(api.app.ctx.runtime.settings)
    assert "demo-director" in text and "demo-parent" in text and "园长" in text
    names = set(await Person.all().values_list("name", flat=True))
    assert len(names) > 100
    assert sorted(name for name in names if name in text) == []
