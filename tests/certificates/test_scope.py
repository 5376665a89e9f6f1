"""Whose certificates one may have: a teacher her own, a director her own staff's, nobody
else's by id (answered exactly as an id that does not exist)."""

from __future__ import annotations

from server.certificates.models import Certificate
from tests.certificates.helpers import make_scene
from tests.support.factories import login, login_as, make_kindergarten, make_person, unique

MISSING = 999_999_999


async def _issue(client, who) -> dict:
    resp = await client.post("/api/v1/me/certificates", json={}, headers=who.headers)
    assert resp.status_code == 201, resp.text
    return resp.json()


def _same_refusal(a, b) -> bool:
    return a.status_code == b.status_code and a.json() == b.json()


async def test_a_teacher_gets_only_her_own(client):
    scene = await make_scene(client)
    cert = await _issue(client, scene.teacher)
    colleague = await login_as(
        client, "teacher", scope_id=scene.village.id, teacher_of=scene.village
    )
    for suffix in ("", "/certificate.pdf"):
        foreign = await client.get(
            f"/api/v1/certificates/{cert['id']}{suffix}", headers=colleague.headers
        )
        unknown = await client.get(
            f"/api/v1/certificates/{MISSING}{suffix}", headers=colleague.headers
        )
        assert foreign.status_code == 404 and _same_refusal(foreign, unknown)
        own = await client.get(
            f"/api/v1/certificates/{cert['id']}{suffix}", headers=scene.teacher.headers
        )
        assert own.status_code == 200
    mine = await client.get("/api/v1/me/certificates", headers=colleague.headers)
    assert mine.json() == {"items": []}


async def test_a_director_reads_her_staffs_certificates_and_no_one_elses(client):
    scene = await make_scene(client)
    cert = await _issue(client, scene.teacher)
    own = await client.get(
        f"/api/v1/certificates/{cert['id']}/certificate.pdf", headers=scene.director.headers
    )
    assert own.status_code == 200 and own.headers["content-type"] == "application/pdf"
    listed = await client.get(
        f"/api/v1/kindergartens/{scene.village.id}/certificates?period=2026秋",
        headers=scene.director.headers,
    )
    assert [c["id"] for c in listed.json()["items"]] == [cert["id"]]
    assert listed.json()["items"][0]["issued_by"] == "郑洁"
    # The director of the county kindergarten (a partner, same region) sees none of it.
    other = await make_person(
        unique("园长"),
        grants=(("director", "kindergarten", scene.county.id),),
        teacher_of=scene.county,
    )
    other_director = await login(client, unique("cert-other-director-"), person=other)
    foreign = await client.get(f"/api/v1/certificates/{cert['id']}", headers=other_director.headers)
    unknown = await client.get(f"/api/v1/certificates/{MISSING}", headers=other_director.headers)
    assert foreign.status_code == 404 and _same_refusal(foreign, unknown)
    # Another region's kindergarten answers as an unknown one; a partner's as not hers.
    far = await make_kindergarten()
    for kg_id in (far.id, MISSING):
        resp = await client.get(
            f"/api/v1/kindergartens/{kg_id}/certificates", headers=other_director.headers
        )
        assert resp.status_code == 404
    partner = await client.get(
        f"/api/v1/kindergartens/{scene.village.id}/certificates", headers=other_director.headers
    )
    assert partner.status_code == 403 and "园长" in partner.json()["message"]


async def test_leaders_and_parents_are_refused_and_an_unbound_staff_less_account_too(client):
    scene = await make_scene(client)
    cert = await _issue(client, scene.teacher)
    leader = await login_as(client, "leader", scope_kind="region", scope_id=scene.region.id)
    for url in (
        f"/api/v1/certificates/{cert['id']}",
        f"/api/v1/certificates/{cert['id']}/certificate.pdf",
    ):
        assert (await client.get(url, headers=leader.headers)).status_code == 403
    resp = await client.post("/api/v1/me/certificates", json={}, headers=leader.headers)
    assert resp.status_code == 403
    # A teacher's grant without a staff row (left the kindergarten): no certificate.
    former = await login_as(client, "teacher", scope_id=scene.village.id)
    resp = await client.post("/api/v1/me/certificates", json={}, headers=former.headers)
    assert resp.status_code == 403 and resp.json()["error"] == "not_staff"
    assert await Certificate.filter(person_id=former.person.id).count() == 0
