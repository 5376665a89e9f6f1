"""Donations: the receiving director confirms item by item; a confirmed donation is locked
like the 帮扶记录卡, and a change after confirmation needs a reason and is audited."""

from __future__ import annotations

import io
import re

from PIL import Image

from server.audit.models import AuditEntry
from server.ledger.models import Donation, DonationItem, LedgerFile
from tests.archive.helpers import jpeg_bytes, jpeg_with_gps
from tests.ledger.helpers import LEDGER, all_received, items, record_donation
from tests.support.world import make_world


async def _confirm(client, who, donation: dict, outcomes: list[dict], **extra):
    return await client.post(
        f"/api/v1/donations/{donation['id']}/confirm",
        json={"items": outcomes, **extra},
        headers=who.headers,
    )


async def _photo(client, who, donation_id: int, data: bytes):
    return await client.post(
        f"/api/v1/donations/{donation_id}/photos",
        files={"file": ("到货.jpg", data, "image/jpeg")},
        headers=who.headers,
    )


async def test_receipt_is_confirmed_item_by_item_and_the_donation_locks(client):
    w = await make_world(client, LEDGER)
    donation = await record_donation(
        client,
        w.giver,
        w.pairing.id,
        items=items(
            ("图书", "绘本", 120, "1800.00"),
            ("玩具", "积木", 20, "600.50"),
            ("教具", "数棒", 10, "99.90"),
        ),
    )
    assert donation["state"] == "pending" and donation["total_value"] == "2500.40"
    books, blocks, rods = donation["items"]
    resp = await _confirm(
        client,
        w.receiver,
        donation,
        [
            {"item_id": books["id"], "outcome": "received"},
            {"item_id": blocks["id"], "outcome": "short", "received_quantity": 18},
            {"item_id": rods["id"], "outcome": "damaged", "note": "两盒外包装破损"},
        ],
        content_hash=donation["content_hash"],
    )
    assert resp.status_code == 200, resp.text
    confirmed = resp.json()
    assert confirmed["state"] == "confirmed" and confirmed["locked"] is True
    assert confirmed["confirmed_by"] == "王秀兰"
    assert "部分物品数量不足或有损坏" in confirmed["state_label"]
    stored = {i.id: i for i in await DonationItem.filter(donation_id=donation["id"])}
    assert stored[books["id"]].outcome == "received"
    assert stored[blocks["id"]].outcome == "short" and stored[blocks["id"]].received_quantity == 18
    assert stored[rods["id"]].outcome_note == "两盒外包装破损"

    # Locked: no change, no photo, no voiding, no second confirmation.
    patch = await client.patch(
        f"/api/v1/donations/{donation['id']}", json={"note": "改一下"}, headers=w.giver.headers
    )
    assert patch.status_code == 409 and patch.json()["error"] == "record_locked"
    assert (await _photo(client, w.giver, donation["id"], jpeg_bytes())).status_code == 409
    void = await client.post(
        f"/api/v1/donations/{donation['id']}/void", json={"reason": "重复"}, headers=w.giver.headers
    )
    assert void.status_code == 409 and void.json()["error"] == "record_locked"
    again = await _confirm(client, w.receiver, donation, all_received(donation))
    assert again.status_code == 409
    row = await Donation.get(id=donation["id"])
    assert row.note == "" and not await LedgerFile.exists(donation_id=donation["id"])


async def test_a_change_after_confirmation_needs_a_reason_and_is_audited(client):
    w = await make_world(client, LEDGER)
    donation = await record_donation(client, w.giver, w.pairing.id)
    resp = await _confirm(client, w.receiver, donation, all_received(donation))
    assert resp.status_code == 200, resp.text
    url = f"/api/v1/donations/{donation['id']}"
    no_reason = await client.post(
        f"{url}/reopen", json={"reason": "  "}, headers=w.receiver.headers
    )
    assert no_reason.status_code == 400 and no_reason.json()["error"] == "reason_required"
    # An organizer is no director: the route refuses her.
    organizer = await client.post(f"{url}/reopen", json={"reason": "x"}, headers=w.giver.headers)
    assert organizer.status_code == 403
    reopened = await client.post(
        f"{url}/reopen",
        json={"reason": "数量登记错误，应为 100 册"},
        headers=w.giver_director.headers,
    )
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["state"] == "pending" and reopened.json()["confirmed_by"] is None
    assert all(i["outcome"] == "pending" for i in reopened.json()["items"])
    entry = await AuditEntry.get(action="ledger.donation.reopen", target_id=donation["id"])
    assert entry.reason == "数量登记错误，应为 100 册"
    assert entry.detail["previous"]["outcomes"] == {str(donation["items"][0]["id"]): "received"}
    assert entry.actor_id == w.giver_director.person.id

    changed = items(("图书", "绘本《小蝌蚪找妈妈》", 100, "1500.00"))
    patch = await client.patch(url, json={"items": changed}, headers=w.giver.headers)
    assert patch.status_code == 200, patch.text
    assert patch.json()["total_value"] == "1500.00"
    update = await AuditEntry.get(action="ledger.donation.update", target_id=donation["id"])
    assert update.detail["before"]["items"][0][2] == 120
    assert update.detail["after"]["items"][0][2] == 100
    # The recipient confirms the corrected content again.
    fresh = patch.json()
    again = await _confirm(
        client, w.receiver, fresh, all_received(fresh), content_hash=fresh["content_hash"]
    )
    assert again.status_code == 200 and again.json()["state"] == "confirmed"


async def test_only_the_receiving_director_confirms(client):
    w = await make_world(client, LEDGER)
    donation = await record_donation(client, w.giver, w.pairing.id)
    outcomes = all_received(donation)
    # The giving side's director sees the donation but does not receive it.
    giver = await _confirm(client, w.giver_director, donation, outcomes)
    assert giver.status_code == 403 and giver.json()["error"] == "forbidden"
    # Organizers (either side) and leaders are refused by the route's roles.
    for who in (w.receiver_organizer, w.giver, w.leader):
        assert (await _confirm(client, who, donation, outcomes)).status_code == 403
    assert (await Donation.get(id=donation["id"])).confirmed_at is None


async def test_every_item_needs_its_outcome_and_the_details_it_asks_for(client):
    w = await make_world(client, LEDGER)
    donation = await record_donation(
        client,
        w.giver,
        w.pairing.id,
        items=items(("图书", "绘本", 10, "100.00"), ("设备", "投影仪", 1, "2999.00")),
    )
    books, projector = donation["items"]
    cases = [
        ([{"item_id": books["id"], "outcome": "received"}], "outcome_required"),
        (
            [
                {"item_id": books["id"], "outcome": "short"},
                {"item_id": projector["id"], "outcome": "received"},
            ],
            "invalid_quantity",
        ),
        (
            [
                {"item_id": books["id"], "outcome": "short", "received_quantity": 10},
                {"item_id": projector["id"], "outcome": "received"},
            ],
            "invalid_quantity",
        ),
        (
            [
                {"item_id": books["id"], "outcome": "received"},
                {"item_id": projector["id"], "outcome": "damaged"},
            ],
            "note_required",
        ),
        (
            [
                {"item_id": books["id"], "outcome": "received"},
                {"item_id": books["id"], "outcome": "received"},
            ],
            "duplicate_item",
        ),
    ]
    for outcomes, code in cases:
        resp = await _confirm(client, w.receiver, donation, outcomes)
        assert resp.status_code == 400 and resp.json()["error"] == code, (code, resp.text)
        assert re.search(r"[\u4e00-\u9fff]", resp.json()["message"]), resp.text
    assert (await Donation.get(id=donation["id"])).confirmed_at is None


async def test_confirming_content_that_changed_since_it_was_shown_is_refused(client):
    w = await make_world(client, LEDGER)
    donation = await record_donation(client, w.giver, w.pairing.id)
    patch = await client.patch(
        f"/api/v1/donations/{donation['id']}",
        json={"note": "另附图书清单一份"},
        headers=w.giver.headers,
    )
    assert patch.status_code == 200
    stale = await _confirm(
        client, w.receiver, donation, all_received(donation), content_hash=donation["content_hash"]
    )
    assert stale.status_code == 409 and stale.json()["error"] == "content_changed"
    assert (await Donation.get(id=donation["id"])).confirmed_at is None


async def test_a_photo_loses_its_gps_and_is_part_of_what_is_confirmed(client):
    w = await make_world(client, LEDGER)
    donation = await record_donation(client, w.giver, w.pairing.id)
    resp = await _photo(client, w.receiver_organizer, donation["id"], jpeg_with_gps())
    assert resp.status_code == 201, resp.text
    with_photo = resp.json()
    assert len(with_photo["photos"]) == 1
    assert with_photo["content_hash"] != donation["content_hash"]
    content = await client.get(with_photo["photos"][0]["url"], headers=w.leader.headers)
    assert content.status_code == 200
    with Image.open(io.BytesIO(content.content)) as image:
        assert not image.getexif().get_ifd(0x8825)  # no GPS block
    # A photo that is not one is refused in Chinese.
    bad = await _photo(client, w.giver, donation["id"], b"not an image at all")
    assert bad.status_code == 400 and bad.json()["error"] == "not_an_image"


async def test_a_voided_donation_stays_listed_and_counts_nowhere(client):
    w = await make_world(client, LEDGER)
    kept = await record_donation(client, w.giver, w.pairing.id)
    dropped = await record_donation(
        client, w.giver, w.pairing.id, items=items(("玩具", "皮球", 5, "75.00"))
    )
    no_reason = await client.post(
        f"/api/v1/donations/{dropped['id']}/void", json={"reason": ""}, headers=w.giver.headers
    )
    assert no_reason.status_code == 400
    void = await client.post(
        f"/api/v1/donations/{dropped['id']}/void",
        json={"reason": "重复登记"},
        headers=w.giver.headers,
    )
    assert void.status_code == 200 and void.json()["state"] == "void"
    ledger = await client.get(
        f"/api/v1/pairings/{w.pairing.id}/ledger",
        params={"semester": "2026秋"},
        headers=w.receiver.headers,
    )
    data = ledger.json()
    assert {d["id"] for d in data["donations"]} == {kept["id"], dropped["id"]}
    assert data["totals"]["donations"]["count"] == 1
    assert data["totals"]["donations"]["value"] == kept["total_value"]
    confirm = await _confirm(client, w.receiver, dropped, all_received(dropped))
    assert confirm.status_code == 409
    assert await AuditEntry.exists(action="ledger.donation.void", reason="重复登记")


async def test_the_giver_names_the_recipient_and_activity_only_inside_the_pairing(client):
    w = await make_world(client, LEDGER)
    # The pairing's own 帮扶园 cannot be its recipient; the 被帮扶园 is the default.
    resp = await client.post(
        f"/api/v1/pairings/{w.pairing.id}/donations",
        json={
            "donated_on": "2026-10-12",
            "items": items(("图书", "绘本", 1, "10")),
            "recipient_id": w.supporting.id,
        },
        headers=w.giver.headers,
    )
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_kindergarten"
    # The receiving side does not record donations to itself.
    resp = await client.post(
        f"/api/v1/pairings/{w.pairing.id}/donations",
        json={"donated_on": "2026-10-12", "items": items(("图书", "绘本", 1, "10"))},
        headers=w.receiver.headers,
    )
    assert resp.status_code == 403
    # A donation dated in the future is refused.
    resp = await client.post(
        f"/api/v1/pairings/{w.pairing.id}/donations",
        json={"donated_on": "2099-01-01", "items": items(("图书", "绘本", 1, "10"))},
        headers=w.giver.headers,
    )
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_date"
    assert not await Donation.exists(pairing_id=w.pairing.id)
