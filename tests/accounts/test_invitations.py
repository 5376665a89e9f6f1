"""Invitation codes bind WeChat users to teachers and parents."""

from __future__ import annotations

from datetime import timedelta

import pytest

from server.accounts.models import Account, Invitation, RoleGrant
from server.common.time import now
from server.orgs.models import Guardian, Teacher
from tests.support.factories import (
    login,
    login_as,
    make_child,
    make_class,
    make_kindergarten,
    make_person,
    unique,
)


async def _invite(client, who, **body):
    resp = await client.post("/api/v1/invitations", json=body, headers=who.headers)
    assert resp.status_code == 201, resp.text
    return resp.json()


async def test_director_invites_teacher_who_binds_and_gets_role(client):
    kg = await make_kindergarten()
    director = await login_as(client, "director", scope_id=kg.id)
    inv = await _invite(client, director, kind="teacher", kindergarten_id=kg.id)
    assert len(inv["code"]) == 8

    newcomer = await login(client, unique("newteacher"))
    resp = await client.post(
        "/api/v1/invitations/redeem",
        json={"code": inv["code"].lower(), "name": "李老师"},
        headers=newcomer.headers,
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["person"]["bound"] and body["person"]["name"] == "李老师"
    assert [r["role"] for r in body["person"]["roles"]] == ["teacher"]
    person_id = body["person"]["id"]
    assert await Teacher.exists(person_id=person_id, kindergarten_id=kg.id)
    # The new access token carries the role at once.
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["roles"][0]["scope_id"] == kg.id


async def test_invitation_with_organizer_role_grants_both_roles(client):
    kg = await make_kindergarten()
    director = await login_as(client, "director", scope_id=kg.id)
    inv = await _invite(client, director, kind="teacher", kindergarten_id=kg.id, role="organizer")
    user = await login(client, unique("org"))
    resp = await client.post(
        "/api/v1/invitations/redeem",
        json={"code": inv["code"], "name": "王主任"},
        headers=user.headers,
    )
    roles = sorted(r["role"] for r in resp.json()["person"]["roles"])
    assert roles == ["organizer", "teacher"]


async def test_parent_invitation_binds_guardian_of_the_child(client):
    kg = await make_kindergarten()
    child = await make_child(await make_class(kg))
    director = await login_as(client, "director", scope_id=kg.id)
    inv = await _invite(
        client, director, kind="parent", kindergarten_id=kg.id, child_id=child.id, max_uses=2
    )
    parent = await login(client, unique("parent"))
    resp = await client.post(
        "/api/v1/invitations/redeem",
        json={"code": inv["code"], "name": "陈妈妈", "relation": "母亲"},
        headers=parent.headers,
    )
    assert resp.status_code == 200
    pid = resp.json()["person"]["id"]
    assert await Guardian.exists(person_id=pid, child_id=child.id, relation="母亲")
    assert await RoleGrant.exists(person_id=pid, role="parent", scope_id=child.id)
    # The role names the class, never the child.
    assert "家长" in resp.json()["person"]["roles"][0]["scope_name"]
    assert child.name not in resp.text


async def test_invitation_for_a_roster_person_binds_that_person(client):
    kg = await make_kindergarten()
    roster_person = await make_person("赵老师", teacher_of=kg)
    director = await login_as(client, "director", scope_id=kg.id)
    inv = await _invite(
        client, director, kind="teacher", kindergarten_id=kg.id, person_id=roster_person.id
    )
    user = await login(client, unique("zhao"))
    resp = await client.post(
        "/api/v1/invitations/redeem", json={"code": inv["code"]}, headers=user.headers
    )
    assert resp.status_code == 200
    assert resp.json()["person"]["id"] == roster_person.id
    account = await Account.get(id=user.tokens["person"]["account_id"])
    assert account.person_id == roster_person.id


async def test_used_up_invitation_is_refused(client):
    kg = await make_kindergarten()
    director = await login_as(client, "director", scope_id=kg.id)
    inv = await _invite(client, director, kind="teacher", kindergarten_id=kg.id)
    first = await login(client, unique("a"))
    await client.post(
        "/api/v1/invitations/redeem",
        json={"code": inv["code"], "name": "甲"},
        headers=first.headers,
    )
    second = await login(client, unique("b"))
    resp = await client.post(
        "/api/v1/invitations/redeem",
        json={"code": inv["code"], "name": "乙"},
        headers=second.headers,
    )
    assert resp.status_code == 400
    assert resp.json()["error"] == "invitation_used_up"


async def test_expired_and_revoked_and_unknown_codes_are_refused(client):
    kg = await make_kindergarten()
    director = await login_as(client, "director", scope_id=kg.id)
    expired = await _invite(client, director, kind="teacher", kindergarten_id=kg.id)
    await Invitation.filter(id=expired["id"]).update(expires_at=now() - timedelta(minutes=1))
    revoked = await _invite(client, director, kind="teacher", kindergarten_id=kg.id)
    resp = await client.delete(f"/api/v1/invitations/{revoked['id']}", headers=director.headers)
    assert resp.json()["revoked"] is True
    user = await login(client, unique("u"))
    for code, error in (
        (expired["code"], "invitation_expired"),
        (revoked["code"], "invitation_revoked"),
        ("ZZZZ2222", "invitation_not_found"),
    ):
        resp = await client.post(
            "/api/v1/invitations/redeem", json={"code": code, "name": "某"}, headers=user.headers
        )
        assert resp.status_code == 400 and resp.json()["error"] == error
        assert resp.json()["message"]


async def test_redeem_without_name_for_unbound_user_asks_for_name(client):
    kg = await make_kindergarten()
    director = await login_as(client, "director", scope_id=kg.id)
    inv = await _invite(client, director, kind="teacher", kindergarten_id=kg.id)
    user = await login(client, unique("noname"))
    resp = await client.post(
        "/api/v1/invitations/redeem", json={"code": inv["code"]}, headers=user.headers
    )
    assert resp.status_code == 400 and "姓名" in resp.json()["message"]
    assert (await Invitation.get(id=inv["id"])).uses == 0


async def test_director_cannot_invite_for_another_kindergarten(client):
    mine, other = await make_kindergarten(), await make_kindergarten()
    director = await login_as(client, "director", scope_id=mine.id)
    resp = await client.post(
        "/api/v1/invitations",
        headers=director.headers,
        json={"kind": "teacher", "kindergarten_id": other.id},
    )
    # Another region's kindergarten is answered as one that does not exist.
    assert resp.status_code == 404


async def test_only_admin_may_invite_a_director(client):
    kg = await make_kindergarten()
    director = await login_as(client, "director", scope_id=kg.id)
    resp = await client.post(
        "/api/v1/invitations",
        headers=director.headers,
        json={"kind": "teacher", "kindergarten_id": kg.id, "role": "director"},
    )
    assert resp.status_code == 403
    admin = await login_as(client, "admin")
    resp = await client.post(
        "/api/v1/invitations",
        headers=admin.headers,
        json={"kind": "teacher", "kindergarten_id": kg.id, "role": "director"},
    )
    assert resp.status_code == 201


@pytest.mark.parametrize(
    "body,status",
    [
        ({"kind": "boss", "kindergarten_id": 1}, 400),
        ({"kind": "teacher"}, 400),
        ({"kind": "teacher", "kindergarten_id": 1, "expires_in_days": 0}, 400),
        ({"kind": "teacher", "kindergarten_id": 1, "max_uses": 100000}, 400),
        ({"kind": "parent", "kindergarten_id": 1}, 400),
        ({"kind": "teacher", "kindergarten_id": 99999}, 404),
    ],
)
async def test_bad_invitation_requests_are_refused(client, body, status):
    admin = await login_as(client, "admin")
    kg = await make_kindergarten()
    if body.get("kindergarten_id") == 1:
        body = {**body, "kindergarten_id": kg.id}
    resp = await client.post("/api/v1/invitations", json=body, headers=admin.headers)
    assert resp.status_code == status, resp.text
    assert resp.json()["message"]


async def test_teacher_cannot_make_invitations(client):
    kg = await make_kindergarten()
    teacher = await login_as(client, "teacher", scope_id=kg.id)
    resp = await client.post(
        "/api/v1/invitations",
        headers=teacher.headers,
        json={"kind": "teacher", "kindergarten_id": kg.id},
    )
    assert resp.status_code == 403


async def test_list_invitations_of_own_kindergarten(client):
    kg = await make_kindergarten()
    director = await login_as(client, "director", scope_id=kg.id)
    await _invite(client, director, kind="teacher", kindergarten_id=kg.id)
    resp = await client.get(
        f"/api/v1/invitations?kindergarten_id={kg.id}", headers=director.headers
    )
    assert resp.status_code == 200 and len(resp.json()) == 1
    bad = await client.get("/api/v1/invitations?kindergarten_id=abc", headers=director.headers)
    assert bad.status_code == 400


async def test_director_grants_organizer_within_own_kindergarten_only(client):
    kg, other = await make_kindergarten(), await make_kindergarten()
    director = await login_as(client, "director", scope_id=kg.id)
    person = await make_person(teacher_of=kg)
    ok = await client.post(
        "/api/v1/role-grants",
        headers=director.headers,
        json={
            "person_id": person.id,
            "role": "organizer",
            "scope_kind": "kindergarten",
            "scope_id": kg.id,
        },
    )
    assert ok.status_code == 201
    listed = await client.get(
        f"/api/v1/role-grants?person_id={person.id}", headers=director.headers
    )
    assert [g["role"] for g in listed.json()] == ["organizer"]
    elsewhere = await client.post(
        "/api/v1/role-grants",
        headers=director.headers,
        json={
            "person_id": person.id,
            "role": "organizer",
            "scope_kind": "kindergarten",
            "scope_id": other.id,
        },
    )
    assert elsewhere.status_code == 404  # out of sight: as if it did not exist
    admin_grant = await client.post(
        "/api/v1/role-grants",
        headers=director.headers,
        json={"person_id": person.id, "role": "admin", "scope_kind": "global", "scope_id": 0},
    )
    assert admin_grant.status_code == 403
    removed = await client.delete(
        f"/api/v1/role-grants/{ok.json()['id']}", headers=director.headers
    )
    assert removed.status_code == 200
    assert not await RoleGrant.exists(person_id=person.id, role="organizer")


async def test_role_must_match_scope_kind(client):
    admin = await login_as(client, "admin")
    person = await make_person()
    resp = await client.post(
        "/api/v1/role-grants",
        headers=admin.headers,
        json={
            "person_id": person.id,
            "role": "leader",
            "scope_kind": "kindergarten",
            "scope_id": 1,
        },
    )
    assert resp.status_code == 400 and resp.json()["message"]
