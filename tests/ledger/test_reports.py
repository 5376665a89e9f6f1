"""Leaders' reports, the .xlsx export and the summaries show donations and spending per
pairing, alliance and region: the ledger's figures, checked against sums of the stored rows;
the export writes them as text cells, never formulas."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import load_workbook

from server.ledger.models import DonationItem, FundEntry
from server.reports.summary_store import SummaryScope, build_data
from tests.ledger.helpers import (
    LEDGER,
    SEMESTER,
    items,
    make_alliance_world,
    record_donation,
    record_fund,
)
from tests.support.sheets import formula_elements
from tests.support.world import make_world


async def _spent(**where) -> str:
    rows = await FundEntry.filter(direction="spent", voided_at__isnull=True, **where)
    return str(sum((r.amount for r in rows), Decimal("0.00")))


async def _donated(**where) -> str:
    rows = await DonationItem.filter(donation__voided_at__isnull=True, **where)
    return str(sum((r.value for r in rows), Decimal("0.00")))


async def _books(client):
    """A pairing and an alliance of one region with books, and another region's pairing."""
    w = await make_world(client, LEDGER)
    a = await make_alliance_world(client, region=w.region)
    far = await make_world(client, LEDGER)
    await record_donation(
        client, w.giver, w.pairing.id, items=items(("图书", "绘本", 10, "150.25"))
    )
    await record_fund(client, w.giver, w.pairing.id, amount="88.88")
    await record_fund(client, w.receiver_organizer, w.pairing.id, amount="0.12")
    resp = await client.post(
        f"/api/v1/alliances/{a.alliance.id}/funds",
        json={
            "direction": "spent",
            "occurred_on": "2026-10-20",
            "amount": "1000.01",
            "category": "培训",
            "purpose": "联盟集中培训场地费",
            "counterpart_id": a.members[0].id,
        },
        headers=a.keeper.headers,
    )
    assert resp.status_code == 201, resp.text
    resp = await client.post(
        f"/api/v1/alliances/{a.alliance.id}/donations",
        json={
            "donated_on": "2026-10-21",
            "items": items(("教具", "科学发现箱", 2, "399.90")),
            "recipient_id": a.members[1].id,
        },
        headers=a.keeper.headers,
    )
    assert resp.status_code == 201, resp.text
    await record_fund(client, far.giver, far.pairing.id, amount="7777.00")
    return w, a, far


async def test_reports_carry_each_units_figures_and_the_region_adds_them_up(client):
    w, a, far = await _books(client)
    params = {"semester": SEMESTER}
    pairings = (
        await client.get("/api/v1/reports/pairings", params=params, headers=w.leader.headers)
    ).json()
    item = next(i for i in pairings["items"] if i["pairing_id"] == w.pairing.id)
    assert item["ledger"]["spent"] == await _spent(pairing_id=w.pairing.id) == "89.00"
    assert item["ledger"]["donated_value"] == await _donated(donation__pairing_id=w.pairing.id)
    assert far.pairing.id not in {i["pairing_id"] for i in pairings["items"]}
    one = await client.get(
        f"/api/v1/reports/pairings/{w.pairing.id}", params=params, headers=w.receiver.headers
    )
    assert one.json()["ledger"] == item["ledger"]

    alliances = (
        await client.get("/api/v1/reports/alliances", params=params, headers=w.leader.headers)
    ).json()
    own = next(i for i in alliances["items"] if i["alliance_id"] == a.alliance.id)
    assert own["ledger"]["spent"] == await _spent(alliance_id=a.alliance.id) == "1000.01"
    assert own["ledger"]["donated_value"] == "399.90"

    regions = (
        await client.get("/api/v1/reports/regions", params=params, headers=w.leader.headers)
    ).json()
    region = next(i for i in regions["items"] if i["region_id"] == w.region.id)
    expected = Decimal(await _spent(pairing_id=w.pairing.id)) + Decimal(
        await _spent(alliance_id=a.alliance.id)
    )
    assert region["ledger"]["spent"] == str(expected) == "1089.01"
    assert region["ledger"]["donated_value"] == "550.15"


async def test_the_export_writes_the_figures_as_text_cells(client):
    w, a, _ = await _books(client)
    resp = await client.get(
        "/api/v1/reports/export.xlsx", params={"semester": SEMESTER}, headers=w.leader.headers
    )
    assert resp.status_code == 200, resp.text
    book = load_workbook(io.BytesIO(resp.content))
    for sheet, name, spent in (
        ("结对", w.supporting.name, "89.00"),
        ("联盟", a.alliance.name, "1000.01"),
    ):
        ws = book[sheet]
        header = [c.value for c in ws[1]]
        column = header.index("经费支出（元）")
        row = next(r for r in ws.iter_rows(min_row=2) if name in [c.value for c in r])
        cell = row[column]
        assert cell.value == spent and cell.data_type == "s"
    regions = book["教育局"]
    header = [c.value for c in regions[1]]
    assert "捐赠物资估值（元）" in header and "其中支出已确认（元）" in header
    assert formula_elements(resp.content) == []


async def test_summaries_count_the_donations_and_spending_of_their_scope(client):
    w, a, far = await _books(client)
    region = await build_data(
        kind="semester", period=SEMESTER, scope=SummaryScope("region", w.region.id)
    )
    assert region["happened"]["ledger"]["spent"] == "1089.01"
    assert region["happened"]["ledger"]["donated_value"] == "550.15"
    alliance = await build_data(
        kind="semester", period=SEMESTER, scope=SummaryScope("alliance", a.alliance.id)
    )
    assert alliance["happened"]["ledger"]["spent"] == "1000.01"
    city = await build_data(kind="semester", period=SEMESTER, scope=SummaryScope("city", 0))
    # The city: every line of every unit (both regions).
    assert city["happened"]["ledger"]["spent"] == await _spent() == "8866.01"
