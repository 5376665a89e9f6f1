"""Nobody becomes someone they are not: invitations, role grants, live tokens, refresh reuse."""

from __future__ import annotations

from server.accounts.models import Account, Invitation, RoleGrant, Session
from server.audit.models import AuditEntry
from server.wechat.sandbox import openid_for
from tests.support.factories import (
    login,
    login_as,
    make_alliance,
    make_child,
    make_class,
    make_kindergarten,
    make_person,
    make_region,
    unique,
)

UNKNOWN_ID = 987654321


async def _post_invitation(client, who, **body):
    return await client.post("/api/v1/invitations", json=body, headers=who.headers)


async def _redeem(client, who, code, name=None):
    body = {"code": code} | ({"name": name} if name else {})
    return await client.post("/api/v1/invitations/redeem", json=body, headers=who.headers)


async def _same_as_unknown(client, who, field, foreign_id, **body):
    """The answer for a foreign id, which must equal the answer for an id that is nobody's."""
    foreign = await _post_invitation(client, who, **body, **{field: foreign_id})
    unknown = await _post_invitation(client, who, **body, **{field: UNKNOWN_ID})
    assert foreign.status_code == unknown.status_code == 404, foreign.text
    assert foreign.json() == unknown.json()
    return foreign


async def test_director_cannot_name_the_admin_in_an_invitation(client):
    kg = await make_kindergarten()
    director = await login_as(client, "director", scope_id=kg.id)
    admin = await login_as(client, "admin")
    await _same_as_unknown(
        client, director, "person_id", admin.person.id, kind="teacher", kindergarten_id=kg.id
    )
    assert not await RoleGrant.filter(person_id=admin.person.id, role="teacher").exists()


async def test_director_cannot_name_the_admin_even_when_she_is_staff_of_the_kindergarten(client):
    """The admin teaching at the kindergarten is in scope, but her admin role is not grantable."""
    kg = await make_kindergarten()
    director = await login_as(client, "director", scope_id=kg.id)
    admin = await make_person(grants=(("admin", "global", 0),), teacher_of=kg)
    resp = await _post_invitation(
        client, director, kind="teacher", kindergarten_id=kg.id, person_id=admin.id
    )
    assert resp.status_code == 403
    assert "管理员" in resp.json()["message"]


async def test_region_leader_cannot_take_over_another_regions_parent(client):
    home, away = await make_region(), await make_region()
    home_kg = await make_kindergarten(home)
    away_kg = await make_kindergarten(away)
    leader = await login_as(client, "leader", scope_kind="region", scope_id=home.id)
    parent = await make_person()
    child = await make_child(await make_class(away_kg), guardian=parent)
    await RoleGrant.create(person=parent, role="parent", scope_kind="child", scope_id=child.id)
    # Neither as a teacher of his own kindergarten nor as a parent of the foreign child.
    await _same_as_unknown(
        client, leader, "person_id", parent.id, kind="teacher", kindergarten_id=home_kg.id
    )
    resp = await _post_invitation(
        client,
        leader,
        kind="parent",
        kindergarten_id=away_kg.id,
        child_id=child.id,
        person_id=parent.id,
    )
    assert resp.status_code in (403, 404)


async def test_alliance_leader_cannot_turn_a_fresh_login_into_the_admin(client):
    region = await make_region()
    alliance = await make_alliance(region)
    kg = await make_kindergarten(region, alliance=alliance)
    leader = await login_as(client, "leader", scope_kind="alliance", scope_id=alliance.id)
    admin = await login_as(client, "admin")
    await _same_as_unknown(
        client, leader, "person_id", admin.person.id, kind="teacher", kindergarten_id=kg.id
    )
    fresh = await login(client, unique("fresh"))
    me = await client.get("/api/v1/me", headers=fresh.headers)
    assert me.json()["roles"] == []


async def test_a_bound_person_is_rebound_only_by_an_admin(client):
    kg = await make_kindergarten()
    director = await login_as(client, "director", scope_id=kg.id)
    teacher = await make_person(grants=(("teacher", "kindergarten", kg.id),), teacher_of=kg)
    old_phone = await login(client, unique("oldphone"), person=teacher)
    resp = await _post_invitation(
        client, director, kind="teacher", kindergarten_id=kg.id, person_id=teacher.id
    )
    assert resp.status_code == 409
    assert resp.json()["error"] == "already_bound"

    admin = await login_as(client, "admin")
    resp = await _post_invitation(
        client, admin, kind="teacher", kindergarten_id=kg.id, person_id=teacher.id, max_uses=50
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["max_uses"] == 1  # a named person binds one account, once
    assert await AuditEntry.exists(action="invitation.rebind", target_id=teacher.id)

    new_phone = await login(client, unique("newphone"))
    resp = await _redeem(client, new_phone, resp.json()["code"])
    assert resp.status_code == 200, resp.text
    assert resp.json()["person"]["id"] == teacher.id
    # The old WeChat account lets go, and its live token stops at once.
    old_account = await Account.get(openid=openid_for(old_phone.code))
    assert old_account.person_id is None
    assert (await client.get("/api/v1/me", headers=old_phone.headers)).status_code == 401
    assert await AuditEntry.exists(action="person.rebind", target_id=teacher.id)


async def test_redeeming_never_brings_a_role_added_after_the_invitation(client):
    kg = await make_kindergarten()
    director = await login_as(client, "director", scope_id=kg.id)
    teacher = await make_person(grants=(("teacher", "kindergarten", kg.id),), teacher_of=kg)
    resp = await _post_invitation(
        client, director, kind="teacher", kindergarten_id=kg.id, person_id=teacher.id
    )
    assert resp.status_code == 201, resp.text
    await RoleGrant.create(
        person=teacher, role="leader", scope_kind="region", scope_id=kg.region_id
    )
    redeemer = await login(client, unique("grab"))
    resp = await _redeem(client, redeemer, resp.json()["code"])
    assert resp.status_code == 400
    assert resp.json()["error"] == "invitation_not_applicable"
    assert (await Account.get(openid=openid_for(redeemer.code))).person_id is None


async def test_director_names_her_own_unbound_teacher(client):
    kg = await make_kindergarten()
    director = await login_as(client, "director", scope_id=kg.id)
    teacher = await make_person(grants=(("teacher", "kindergarten", kg.id),), teacher_of=kg)
    resp = await _post_invitation(
        client, director, kind="teacher", kindergarten_id=kg.id, person_id=teacher.id
    )
    assert resp.status_code == 201, resp.text
    redeemer = await login(client, unique("rightful"))
    resp = await _redeem(client, redeemer, resp.json()["code"])
    assert resp.status_code == 200, resp.text
    assert resp.json()["person"]["id"] == teacher.id
    redeemed = await AuditEntry.get(action="invitation.redeem", actor_id=teacher.id)
    assert redeemed.detail["role"] == "teacher" and redeemed.target_type == "invitation"


async def test_director_grants_roles_to_her_own_staff_only(client):
    kg, other = await make_kindergarten(), await make_kindergarten()
    director = await login_as(client, "director", scope_id=kg.id)
    outsider = await make_person(teacher_of=other)
    body = {"role": "organizer", "scope_kind": "kindergarten", "scope_id": kg.id}
    foreign = await client.post(
        "/api/v1/role-grants", json=body | {"person_id": outsider.id}, headers=director.headers
    )
    unknown = await client.post(
        "/api/v1/role-grants", json=body | {"person_id": UNKNOWN_ID}, headers=director.headers
    )
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json() == unknown.json()
    assert not await RoleGrant.exists(person_id=outsider.id, role="organizer")

    own = await make_person(teacher_of=kg)
    ok = await client.post(
        "/api/v1/role-grants", json=body | {"person_id": own.id}, headers=director.headers
    )
    assert ok.status_code == 201, ok.text


async def test_a_foreign_grant_is_answered_like_an_unknown_one(client):
    kg, other = await make_kindergarten(), await make_kindergarten()
    director = await login_as(client, "director", scope_id=kg.id)
    theirs = await make_person(grants=(("organizer", "kindergarten", other.id),))
    grant = await RoleGrant.get(person_id=theirs.id)
    foreign = await client.delete(f"/api/v1/role-grants/{grant.id}", headers=director.headers)
    unknown = await client.delete(f"/api/v1/role-grants/{UNKNOWN_ID}", headers=director.headers)
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json() == unknown.json()
    assert await RoleGrant.exists(id=grant.id)


async def test_a_removed_role_stops_working_on_the_next_request(client):
    kg = await make_kindergarten()
    admin = await login_as(client, "admin")
    director = await login_as(client, "director", scope_id=kg.id)
    url = f"/api/v1/invitations?kindergarten_id={kg.id}"
    assert (await client.get(url, headers=director.headers)).status_code == 200
    grant = await RoleGrant.get(person_id=director.person.id, role="director")
    resp = await client.delete(f"/api/v1/role-grants/{grant.id}", headers=admin.headers)
    assert resp.status_code in (200, 204), resp.text
    # The same access token, not refreshed: the role is gone already.
    assert (await client.get(url, headers=director.headers)).status_code == 403


async def test_a_given_role_works_on_the_next_request(client):
    kg = await make_kindergarten()
    admin = await login_as(client, "admin")
    teacher = await login_as(client, "teacher", scope_id=kg.id, teacher_of=kg)
    url = f"/api/v1/invitations?kindergarten_id={kg.id}"
    assert (await client.get(url, headers=teacher.headers)).status_code == 403
    resp = await client.post(
        "/api/v1/role-grants",
        json={
            "person_id": teacher.person.id,
            "role": "director",
            "scope_kind": "kindergarten",
            "scope_id": kg.id,
        },
        headers=admin.headers,
    )
    assert resp.status_code == 201, resp.text
    assert (await client.get(url, headers=teacher.headers)).status_code == 200


async def test_reusing_a_rotated_refresh_token_ends_the_whole_session(client):
    me = await login(client, unique("victim"))
    stolen = me.tokens["refresh_token"]
    first = await client.post("/api/v1/auth/refresh", json={"refresh_token": stolen})
    assert first.status_code == 200
    rotated = first.json()
    again = await client.post("/api/v1/auth/refresh", json={"refresh_token": stolen})
    assert again.status_code == 401
    # Whoever holds the newer tokens is logged out too: the session is over.
    later = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]}
    )
    assert later.status_code == 401
    headers = {"Authorization": f"Bearer {rotated['access_token']}"}
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 401
    account_id = rotated["person"]["account_id"]
    assert all(s.revoked_at for s in await Session.filter(account_id=account_id))


async def test_a_forged_refresh_token_does_not_end_anyones_session(client):
    me = await login(client, unique("bystander"))
    session_id = me.tokens["refresh_token"].split(".")[0]
    forged = f"{session_id}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA"
    resp = await client.post("/api/v1/auth/refresh", json={"refresh_token": forged})
    assert resp.status_code == 401
    assert (await client.get("/api/v1/me", headers=me.headers)).status_code == 200
    ok = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": me.tokens["refresh_token"]}
    )
    assert ok.status_code == 200


async def test_an_invitation_she_could_never_use_is_refused_when_it_is_made(client):
    # Found by the week test: the admin made a 教师 code for a 园长, and the 园长 learnt at
    # the bind page that it "cannot bind this person".
    kg = await make_kindergarten()
    head = await make_person(
        grants=(("teacher", "kindergarten", kg.id), ("director", "kindergarten", kg.id)),
        teacher_of=kg,
    )
    admin = await login_as(client, "admin")
    resp = await _post_invitation(
        client, admin, kind="teacher", kindergarten_id=kg.id, person_id=head.id
    )
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"] == "invitation_not_applicable"
    assert resp.json()["message"] == "该人员是本园园长，请选择“园长”角色生成邀请码"
    assert not await Invitation.exists(person_id=head.id)
    resp = await _post_invitation(
        client, admin, kind="teacher", kindergarten_id=kg.id, person_id=head.id, role="director"
    )
    assert resp.status_code == 201, resp.text
    # A person who also leads a region cannot be bound with a kindergarten's code at all.
    await RoleGrant.create(person=head, role="leader", scope_kind="region", scope_id=kg.region_id)
    resp = await _post_invitation(
        client, admin, kind="teacher", kindergarten_id=kg.id, person_id=head.id, role="director"
    )
    assert resp.status_code == 400, resp.text
    assert "本园以外的角色" in resp.json()["message"]
