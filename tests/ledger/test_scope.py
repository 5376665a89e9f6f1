"""Scope: each side sees and changes only its own pairings' books; another pairing's or
region's ids, in the path or the body, are answered exactly like ids that do not exist;
teachers and parents read none of it (a parent sees a 公示 only once it is published)."""

from __future__ import annotations

from server.ledger.models import Donation, FundEntry, LedgerFile
from tests.archive.helpers import jpeg_bytes, make_activity
from tests.ledger.helpers import (
    LEDGER,
    all_received,
    items,
    make_alliance_world,
    record_donation,
    record_fund,
)
from tests.support.factories import login_as, make_child, make_class, make_kindergarten
from tests.support.world import make_pairing, make_world

UNKNOWN = 999_999_999


def _answer(resp) -> tuple:
    try:
        body = resp.json()
    except ValueError:
        body = resp.text
    return resp.status_code, body


async def _same(client, who, method: str, foreign_url: str, unknown_url: str, **kw) -> None:
    foreign = await client.request(method, foreign_url, headers=who.headers, **kw)
    unknown = await client.request(method, unknown_url, headers=who.headers, **kw)
    assert foreign.status_code == 404, (foreign_url, foreign.text)
    assert _answer(foreign) == _answer(unknown), (foreign.text, unknown.text)


async def test_another_pairings_books_answer_like_unknown_ones(client):
    w = await make_world(client, LEDGER)
    # The same 帮扶园 supports a second village kindergarten; its director is a stranger to w.
    second_village = await make_kindergarten(w.region, name="青山村幼儿园")
    await make_pairing(w.supporting, second_village)
    stranger = await login_as(client, "director", scope_id=second_village.id)
    elsewhere = await login_as(client, "leader", scope_kind="region", scope_id=(
        await make_kindergarten()).region_id)  # fmt: skip
    donation = await record_donation(client, w.giver, w.pairing.id)
    fund = await record_fund(client, w.giver, w.pairing.id)
    photo = await client.post(
        f"/api/v1/donations/{donation['id']}/photos",
        files={"file": ("p.jpg", jpeg_bytes(), "image/jpeg")},
        headers=w.giver.headers,
    )
    file_id = photo.json()["photos"][0]["id"]
    p, d, f = w.pairing.id, donation["id"], fund["id"]
    for who in (stranger, elsewhere):
        for method, path, kw in (
            ("GET", "/api/v1/pairings/{}/ledger", {}),
            ("GET", "/api/v1/pairings/{}/disclosure", {}),
            ("GET", "/api/v1/pairings/{}/disclosure.pdf", {}),
        ):
            await _same(client, who, method, path.format(p), path.format(UNKNOWN), **kw)
        for path in ("/api/v1/donations/{}", "/api/v1/funds/{}", "/api/v1/ledger-files/{}/content"):
            ident = {"/api/v1/donations/{}": d, "/api/v1/funds/{}": f}.get(path, file_id)
            await _same(client, who, "GET", path.format(ident), path.format(UNKNOWN))
    # Acting on them: the stranger directs a kindergarten, so the routes let her try.
    await _same(
        client,
        stranger,
        "POST",
        f"/api/v1/donations/{d}/confirm",
        f"/api/v1/donations/{UNKNOWN}/confirm",
        json={"items": all_received(donation)},
    )
    await _same(
        client, stranger, "POST", f"/api/v1/funds/{f}/confirm", f"/api/v1/funds/{UNKNOWN}/confirm",
        json={},
    )  # fmt: skip
    await _same(
        client, stranger, "POST", f"/api/v1/donations/{d}/reopen",
        f"/api/v1/donations/{UNKNOWN}/reopen", json={"reason": "试探"},
    )  # fmt: skip
    await _same(
        client, stranger, "PATCH", f"/api/v1/funds/{f}", f"/api/v1/funds/{UNKNOWN}",
        json={"amount": "1.00"},
    )  # fmt: skip
    await _same(
        client, stranger, "POST", f"/api/v1/pairings/{p}/funds",
        f"/api/v1/pairings/{UNKNOWN}/funds",
        json={"direction": "spent", "occurred_on": "2026-10-12", "amount": "1", "category": "交通",
              "purpose": "试探"},
    )  # fmt: skip
    assert (await Donation.get(id=d)).confirmed_at is None
    assert await FundEntry.filter(pairing_id=p).count() == 1
    assert await LedgerFile.filter(donation_id=d).count() == 1


async def test_ids_in_the_body_from_elsewhere_answer_like_unknown_ones(client):
    w = await make_world(client, LEDGER)
    other = await make_world(client, LEDGER)
    foreign_activity = await make_activity(host=other.supported, pairing=other.pairing)
    url = f"/api/v1/pairings/{w.pairing.id}/donations"
    base = {"donated_on": "2026-10-12", "items": items(("图书", "绘本", 1, "10"))}
    for field, foreign in (
        ("recipient_id", other.supported.id),
        ("activity_id", foreign_activity.id),
    ):
        a = await client.post(url, json={**base, field: foreign}, headers=w.giver.headers)
        b = await client.post(url, json={**base, field: UNKNOWN}, headers=w.giver.headers)
        assert a.status_code == 404 and _answer(a) == _answer(b), (field, a.text, b.text)
    own_activity = await make_activity(host=w.supported, pairing=w.pairing)
    ok = await client.post(
        url, json={**base, "activity_id": own_activity.id}, headers=w.giver.headers
    )
    assert ok.status_code == 201 and ok.json()["activity"]["id"] == own_activity.id
    assert await Donation.filter(pairing_id=w.pairing.id).count() == 1

    alliance = await make_alliance_world(client)
    outsider = await make_alliance_world(client)
    fund_url = f"/api/v1/alliances/{alliance.alliance.id}/funds"
    body = {
        "direction": "allocated",
        "occurred_on": "2026-10-12",
        "amount": "10",
        "category": "培训",
        "purpose": "下拨",
    }
    a = await client.post(
        fund_url,
        json={**body, "counterpart_id": outsider.members[0].id},
        headers=alliance.keeper.headers,
    )
    b = await client.post(
        fund_url, json={**body, "counterpart_id": UNKNOWN}, headers=alliance.keeper.headers
    )
    assert a.status_code == 404 and _answer(a) == _answer(b)
    donation_url = f"/api/v1/alliances/{alliance.alliance.id}/donations"
    a = await client.post(
        donation_url,
        json={**base, "recipient_id": outsider.members[0].id},
        headers=alliance.keeper.headers,
    )
    b = await client.post(
        donation_url, json={**base, "recipient_id": UNKNOWN}, headers=alliance.keeper.headers
    )
    assert a.status_code == 404 and _answer(a) == _answer(b)
    assert not await FundEntry.filter(alliance_id=alliance.alliance.id).exists()


async def test_teachers_and_parents_read_no_books_and_leaders_only_read(client):
    w = await make_world(client, LEDGER)
    donation = await record_donation(client, w.giver, w.pairing.id)
    teacher = await login_as(client, "teacher", scope_id=w.supported.id)
    child = await make_child(await make_class(w.supported))
    parent = await login_as(client, "parent", scope_kind="child", scope_id=child.id)
    for who in (teacher, parent):
        for url in (
            f"/api/v1/pairings/{w.pairing.id}/ledger",
            f"/api/v1/pairings/{w.pairing.id}/disclosure",
            f"/api/v1/pairings/{w.pairing.id}/disclosure.pdf",
            f"/api/v1/donations/{donation['id']}",
        ):
            assert (await client.get(url, headers=who.headers)).status_code == 403, url
    read = await client.get(f"/api/v1/pairings/{w.pairing.id}/ledger", headers=w.leader.headers)
    assert read.status_code == 200
    assert read.json()["can"] == {"record_donation": False, "record_fund": False}
    write = await client.post(
        f"/api/v1/pairings/{w.pairing.id}/donations",
        json={"donated_on": "2026-10-12", "items": items(("图书", "绘本", 1, "10"))},
        headers=w.leader.headers,
    )
    assert write.status_code == 403
    confirm = await client.post(
        f"/api/v1/donations/{donation['id']}/confirm",
        json={"items": all_received(donation)},
        headers=w.leader.headers,
    )
    assert confirm.status_code == 403
