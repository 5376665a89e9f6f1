"""Funds: money to the fen, recorded by one side with its receipt, confirmed by the other
side's director and then locked; an alliance's lines are between the lead and a member."""

from __future__ import annotations

from decimal import Decimal

from server.audit.models import AuditEntry
from server.ledger.models import FundEntry
from tests.archive.helpers import PDF_BYTES, jpeg_bytes
from tests.ledger.helpers import AUTUMN_DAY, LEDGER, make_alliance_world, record_fund
from tests.support.world import make_world


async def _receipt(client, who, fund_id: int, data: bytes, name: str = "发票.pdf"):
    kind = "application/pdf" if name.endswith(".pdf") else "image/jpeg"
    return await client.post(
        f"/api/v1/funds/{fund_id}/receipts",
        files={"file": (name, data, kind)},
        headers=who.headers,
    )


async def _confirm(client, who, fund: dict, **body):
    return await client.post(f"/api/v1/funds/{fund['id']}/confirm", json=body, headers=who.headers)


async def test_spending_is_confirmed_by_the_other_side_once_its_receipt_is_attached(client):
    w = await make_world(client, LEDGER)
    fund = await record_fund(client, w.giver, w.pairing.id, amount="1280.50", category="培训")
    assert fund["recorder"]["id"] == w.supporting.id
    assert fund["counterpart"]["id"] == w.supported.id
    assert fund["amount"] == "1280.50" and fund["state"] == "pending"
    no_receipt = await _confirm(client, w.receiver, fund)
    assert no_receipt.status_code == 409 and no_receipt.json()["error"] == "receipt_required"
    # Only the side that recorded the line attaches its receipt.
    other = await _receipt(client, w.receiver_organizer, fund["id"], PDF_BYTES)
    assert other.status_code == 403
    resp = await _receipt(client, w.giver, fund["id"], PDF_BYTES)
    assert resp.status_code == 201, resp.text
    with_receipt = resp.json()
    assert [r["filename"] for r in with_receipt["receipts"]] == ["发票.pdf"]
    # The recording side's director does not confirm her own side's line.
    own_side = await _confirm(client, w.giver_director, with_receipt)
    assert own_side.status_code == 403
    confirmed = await _confirm(
        client, w.receiver, with_receipt, content_hash=with_receipt["content_hash"]
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["state"] == "confirmed" and confirmed.json()["confirmed_by"] == "王秀兰"
    # Locked: no change, no further receipt, no void.
    patch = await client.patch(
        f"/api/v1/funds/{fund['id']}", json={"amount": "1.00"}, headers=w.giver.headers
    )
    assert patch.status_code == 409 and patch.json()["error"] == "record_locked"
    late = await _receipt(client, w.giver, fund["id"], jpeg_bytes(), "补充.jpg")
    assert late.status_code == 409
    assert (await FundEntry.get(id=fund["id"])).amount == Decimal("1280.50")


async def test_reopening_a_fund_line_needs_a_reason_and_is_audited(client):
    w = await make_world(client, LEDGER)
    fund = await record_fund(client, w.giver, w.pairing.id, direction="allocated", amount="20000")
    confirmed = await _confirm(client, w.receiver, fund)
    assert confirmed.status_code == 200, confirmed.text  # an allocation needs no receipt
    url = f"/api/v1/funds/{fund['id']}"
    assert (
        await client.post(f"{url}/reopen", json={"reason": ""}, headers=w.receiver.headers)
    ).status_code == 400
    reopened = await client.post(
        f"{url}/reopen", json={"reason": "金额应为 18000 元"}, headers=w.receiver.headers
    )
    assert reopened.status_code == 200 and reopened.json()["state"] == "pending"
    patch = await client.patch(url, json={"amount": "18000.00"}, headers=w.giver.headers)
    assert patch.status_code == 200 and patch.json()["amount"] == "18000.00"
    reopen = await AuditEntry.get(action="ledger.fund.reopen", target_id=fund["id"])
    assert reopen.reason == "金额应为 18000 元" and reopen.detail["previous"]["content_hash"]
    update = await AuditEntry.get(action="ledger.fund.update", target_id=fund["id"])
    assert update.detail["before"]["amount"] == "20000.00"
    assert update.detail["after"]["amount"] == "18000.00"


async def test_amounts_are_yuan_to_the_fen_never_floats(client):
    w = await make_world(client, LEDGER)
    url = f"/api/v1/pairings/{w.pairing.id}/funds"
    base = {
        "direction": "spent",
        "occurred_on": AUTUMN_DAY.isoformat(),
        "category": "物资",
        "purpose": "购买绘本",
    }
    for amount in ("12.345", 0.1 + 0.2, "-5", "0", "abc", "99999999999"):
        resp = await client.post(url, json={**base, "amount": amount}, headers=w.giver.headers)
        assert resp.status_code == 400, (amount, resp.text)
        assert resp.json()["error"] in ("invalid_amount", "invalid_input"), resp.text
    for amount, stored in (("12.30", "12.30"), (12.5, "12.50"), (7, "7.00"), ("0.01", "0.01")):
        resp = await client.post(url, json={**base, "amount": amount}, headers=w.giver.headers)
        assert resp.status_code == 201, resp.text
        assert resp.json()["amount"] == stored
        row = await FundEntry.get(id=resp.json()["id"])
        assert isinstance(row.amount, Decimal) and row.amount == Decimal(stored)
    bad_category = await client.post(
        url, json={**base, "amount": "1", "category": "吃饭"}, headers=w.giver.headers
    )
    assert bad_category.status_code == 400 and bad_category.json()["error"] == "invalid_category"


async def test_the_supported_side_records_its_own_spending_and_the_supporting_side_confirms(client):
    w = await make_world(client, LEDGER)
    fund = await record_fund(client, w.receiver_organizer, w.pairing.id, amount="86.00")
    assert fund["recorder"]["id"] == w.supported.id
    assert fund["counterpart"]["id"] == w.supporting.id
    await _receipt(client, w.receiver_organizer, fund["id"], jpeg_bytes(), "车票.jpg")
    assert (await _confirm(client, w.receiver, fund)).status_code == 403
    confirmed = await _confirm(client, w.giver_director, fund)
    assert confirmed.status_code == 200 and confirmed.json()["state"] == "confirmed"


async def test_an_alliance_line_is_between_the_lead_and_the_member_it_concerns(client):
    a = await make_alliance_world(client)
    first, second = a.members
    url = f"/api/v1/alliances/{a.alliance.id}/funds"
    body = {
        "direction": "allocated",
        "occurred_on": AUTUMN_DAY.isoformat(),
        "amount": "5000.00",
        "category": "培训",
        "purpose": "联盟集中培训经费下拨",
    }
    missing = await client.post(url, json=body, headers=a.keeper.headers)
    assert missing.status_code == 400 and missing.json()["error"] == "counterpart_required"
    lead_itself = await client.post(
        url, json={**body, "counterpart_id": a.lead.id}, headers=a.keeper.headers
    )
    assert lead_itself.status_code == 400 and lead_itself.json()["error"] == "invalid_kindergarten"
    resp = await client.post(
        url, json={**body, "counterpart_id": first.id}, headers=a.keeper.headers
    )
    assert resp.status_code == 201, resp.text
    fund = resp.json()
    assert fund["counterpart"]["id"] == first.id
    # The other member's director sees the alliance's books but does not confirm this line.
    assert (await _confirm(client, a.member_directors[1], fund)).status_code == 403
    assert (await _confirm(client, a.member_directors[0], fund)).status_code == 200
    # A member's director records for her kindergarten; the lead confirms.
    resp = await client.post(
        url,
        json={**body, "direction": "spent", "purpose": "参加培训交通费", "amount": "120"},
        headers=a.member_directors[1].headers,
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["recorder"]["id"] == second.id
    assert resp.json()["counterpart"]["id"] == a.lead.id
