"""Withdrawing photo consent always works, even on a locked 帮扶记录卡, and the card records
who withdrew it; the locked card otherwise stays as both sides confirmed it."""

from __future__ import annotations

from server.accounts.models import RoleGrant
from server.activities.models import AudienceMode
from server.archive.models import ArchiveFile
from server.audit.models import AuditEntry
from tests.archive.helpers import ARCHIVE, jpeg_bytes, make_activity, upload
from tests.support.factories import login, make_child, make_class, make_person, unique
from tests.support.world import make_world


async def _locked_with_photo(client, w, activity_id: int) -> dict:
    photo = (await upload(client, w.organizer, activity_id, jpeg_bytes(), consent="true")).json()
    await client.put(
        f"/api/v1/activities/{activity_id}/record",
        json={"summary": "总结"},
        headers=w.organizer.headers,
    )
    for who in (w.organizer, w.director):
        resp = await client.post(
            f"/api/v1/activities/{activity_id}/record-card/confirm", headers=who.headers
        )
        assert resp.status_code == 200, resp.text
    assert resp.json()["locked"] is True
    return photo


async def _card(client, who, activity_id: int) -> dict:
    resp = await client.get(f"/api/v1/activities/{activity_id}/record-card", headers=who.headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


async def test_organizer_withdraws_consent_on_a_locked_card(client):
    w = await make_world(client, ARCHIVE)
    photo = await _locked_with_photo(client, w, w.activity.id)
    before = await _card(client, w.director, w.activity.id)

    resp = await client.patch(
        f"/api/v1/files/{photo['id']}", json={"consent": False}, headers=w.organizer.headers
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["consent"] is False
    assert (await ArchiveFile.get(id=photo["id"])).consent is False

    after = await _card(client, w.director, w.activity.id)
    # Still locked, both confirmations intact; the withdrawal is a line of the card.
    assert after["locked"] is True and after["sides"] == before["sides"]
    assert after["record"] == before["record"]
    [line] = after["consent_withdrawals"]
    assert line["file_id"] == photo["id"] and line["by"] == w.organizer.person.name
    assert line["at"]
    # Granting consent again is a change of the locked record: still refused.
    again = await client.patch(
        f"/api/v1/files/{photo['id']}", json={"consent": True}, headers=w.organizer.headers
    )
    assert again.status_code == 409


async def test_a_teacher_in_the_photo_withdraws_her_consent(client):
    w = await make_world(client, ARCHIVE)
    photo = await _locked_with_photo(client, w, w.activity.id)
    teacher = await make_person(
        "吴老师", teacher_of=w.supported, grants=(("teacher", "kindergarten", w.supported.id),)
    )
    teacher_login = await login(client, unique("withdraw-teacher-"), person=teacher)
    resp = await client.post(
        f"/api/v1/files/{photo['id']}/withdraw-consent",
        json={"reason": "本人不同意公开"},
        headers=teacher_login.headers,
    )
    assert resp.status_code == 200, resp.text
    assert (await ArchiveFile.get(id=photo["id"])).consent is False
    card = await _card(client, w.organizer, w.activity.id)
    assert card["locked"] is True
    [line] = card["consent_withdrawals"]
    assert line["by"] == "吴老师" and line["reason"] == "本人不同意公开"
    entry = await AuditEntry.get(action="archive.consent_withdrawn", target_id=photo["id"])
    assert entry.actor_id == teacher.id


async def test_a_parent_withdraws_consent_of_a_photo_she_sees(client):
    w = await make_world(client, ARCHIVE)
    open_day = await make_activity(
        host=w.supported,
        pairing=w.pairing,
        title="家长开放日",
        audience_mode=AudienceMode.FAMILIES,
        audience=(w.supported,),
    )
    photo = await _locked_with_photo(client, w, open_day.id)
    mother = await make_person("林女士")
    child = await make_child(await make_class(w.supported), guardian=mother)
    await make_person_grant(mother, child.id)
    parent = await login(client, unique("withdraw-parent-"), person=mother)
    listed = await client.get(f"/api/v1/activities/{open_day.id}/files", headers=parent.headers)
    assert [f["id"] for f in listed.json()["items"]] == [photo["id"]]

    resp = await client.post(
        f"/api/v1/files/{photo['id']}/withdraw-consent", json={}, headers=parent.headers
    )
    assert resp.status_code == 200, resp.text
    # The photo is no longer shown to families, and the card says a parent withdrew it.
    listed = await client.get(f"/api/v1/activities/{open_day.id}/files", headers=parent.headers)
    assert listed.json()["items"] == []
    card = await _card(client, w.organizer, open_day.id)
    assert card["locked"] is True
    [line] = card["consent_withdrawals"]
    assert line["role"] == "家长" and line["by"] == ""
    # A second withdrawal of the same photo is simply not found for her now.
    resp = await client.post(
        f"/api/v1/files/{photo['id']}/withdraw-consent", json={}, headers=parent.headers
    )
    assert resp.status_code == 404


async def make_person_grant(person, child_id: int) -> None:
    """The parent grant on her child, as the roster import gives it."""
    await RoleGrant.create(person=person, role="parent", scope_kind="child", scope_id=child_id)
