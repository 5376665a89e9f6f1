"""Totals are exact decimals: checked against an independent sum of the stored rows (hand-written
SQL, summed as Decimal), per semester and year, the same for both sides and their leader."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tortoise import connections

from tests.ledger.helpers import LEDGER, all_received, items, record_donation, record_fund
from tests.support.world import make_world

#: Cents that binary floats cannot hold: added up as floats they make 1335.6799999999998.
SPENT = ["0.10", "0.20", "0.10", "0.70", "1234.56", "99.99", "0.03"]
ALLOCATED = ["20000.00", "0.30", "5000.05"]


async def _sql_sum(sql: str, *args) -> Decimal:
    """Σ of the selected amount column, as Decimal (SQLite keeps the text, PostgreSQL numeric)."""
    conn = connections.get("default")
    marker = "$" if conn.capabilities.dialect == "postgres" else "?"
    for n in range(1, len(args) + 1):
        sql = sql.replace(f"%{n}", f"${n}" if marker == "$" else "?")
    _, rows = await conn.execute_query(sql, list(args))
    return sum((Decimal(str(r[0])) for r in rows), Decimal("0.00"))


async def _funds_sum(pairing_id: int, direction: str, first: date, last: date, *, confirmed=False):
    sql = (
        "SELECT amount FROM ledger_fund_entry WHERE pairing_id = %1 AND direction = %2 "
        "AND voided_at IS NULL AND occurred_on >= %3 AND occurred_on <= %4"
    )
    if confirmed:
        sql += " AND confirmed_at IS NOT NULL"
    return await _sql_sum(sql, pairing_id, direction, first, last)


async def _donations_sum(pairing_id: int, first: date, last: date, *, confirmed=False):
    sql = (
        "SELECT i.value FROM ledger_donation_item i JOIN ledger_donation d ON d.id = i.donation_id "
        "WHERE d.pairing_id = %1 AND d.voided_at IS NULL AND d.donated_on >= %2 "
        "AND d.donated_on <= %3"
    )
    if confirmed:
        sql += " AND d.confirmed_at IS NOT NULL"
    return await _sql_sum(sql, pairing_id, first, last)


async def _ledger(client, who, pairing_id: int, **period) -> dict:
    resp = await client.get(
        f"/api/v1/pairings/{pairing_id}/ledger", params=period, headers=who.headers
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


async def test_totals_equal_an_independent_decimal_sum_per_semester_and_year(client):
    w = await make_world(client, LEDGER)
    other = await make_world(client, LEDGER)  # another pairing's lines must not count here
    autumn, spring = date(2026, 10, 12), date(2026, 4, 20)
    for n, amount in enumerate(SPENT):
        fund = await record_fund(
            client,
            w.giver,
            w.pairing.id,
            amount=amount,
            category=("交通", "培训", "物资")[n % 3],
            occurred_on=autumn.isoformat(),
        )
        if n % 2 == 0:  # every other one gets its receipt and is confirmed
            await client.post(
                f"/api/v1/funds/{fund['id']}/receipts",
                files={
                    "file": ("票.pdf", b"%PDF-1.4\n%%EOF\n" + str(n).encode(), "application/pdf")
                },
                headers=w.giver.headers,
            )
            resp = await client.post(
                f"/api/v1/funds/{fund['id']}/confirm", json={}, headers=w.receiver.headers
            )
            assert resp.status_code == 200, resp.text
    for amount in ALLOCATED:
        await record_fund(
            client, w.giver, w.pairing.id, direction="allocated", amount=amount, category="培训"
        )
    await record_fund(
        client, w.giver, w.pairing.id, amount="777.77", occurred_on=spring.isoformat()
    )
    voided = await record_fund(client, w.giver, w.pairing.id, amount="1000000.00")
    await client.post(
        f"/api/v1/funds/{voided['id']}/void", json={"reason": "录错"}, headers=w.giver.headers
    )
    await record_fund(client, other.giver, other.pairing.id, amount="55.55")
    first_gift = await record_donation(
        client,
        w.giver,
        w.pairing.id,
        items=items(("图书", "绘本", 30, "450.10"), ("玩具", "积木", 3, "0.20")),
    )
    await client.post(
        f"/api/v1/donations/{first_gift['id']}/confirm",
        json={"items": all_received(first_gift)},
        headers=w.receiver.headers,
    )
    await record_donation(client, w.giver, w.pairing.id, items=items(("教具", "拼图", 4, "0.10")))
    await record_donation(
        client,
        w.giver,
        w.pairing.id,
        donated_on=spring.isoformat(),
        items=items(("设备", "电子琴", 1, "1999.00")),
    )

    first, last = date(2026, 8, 1), date(2027, 1, 31)
    data = await _ledger(client, w.receiver, w.pairing.id, semester="2026秋")
    funds, gifts = data["totals"]["funds"], data["totals"]["donations"]
    spent = await _funds_sum(w.pairing.id, "spent", first, last)
    allocated = await _funds_sum(w.pairing.id, "allocated", first, last)
    floats = 0.0
    for amount in SPENT:
        floats += float(amount)
    assert spent == Decimal("1335.68") and floats != 1335.68
    assert funds["spent"] == str(spent)
    assert funds["allocated"] == str(allocated)
    assert funds["balance"] == str(allocated - spent)
    assert funds["spent_confirmed"] == str(
        await _funds_sum(w.pairing.id, "spent", first, last, confirmed=True)
    )
    by_category = {c["category"]: c for c in funds["by_category"]}
    assert sum(Decimal(c["spent"]) for c in by_category.values()) == spent
    assert gifts["value"] == str(await _donations_sum(w.pairing.id, first, last))
    assert gifts["confirmed_value"] == str(
        await _donations_sum(w.pairing.id, first, last, confirmed=True)
    )

    # The year adds up its two semesters (2026春 + 2026秋), each as the ledger shows it.
    year = await _ledger(client, w.giver, w.pairing.id, year="2026")
    year_first, year_last = date(2026, 2, 1), date(2027, 1, 31)
    assert year["totals"]["funds"]["spent"] == str(
        await _funds_sum(w.pairing.id, "spent", year_first, year_last)
    )
    assert year["totals"]["donations"]["value"] == str(
        await _donations_sum(w.pairing.id, year_first, year_last)
    )
    per_semester = {s["semester"]: s for s in year["by_semester"]}
    assert per_semester["2026秋"]["spent"] == str(spent)
    assert Decimal(per_semester["2026春"]["spent"]) + spent == Decimal(
        year["totals"]["funds"]["spent"]
    )

    # Both sides and their leader read the very same figures.
    for who in (w.giver, w.giver_director, w.receiver_organizer, w.leader):
        assert (await _ledger(client, who, w.pairing.id, semester="2026秋"))["totals"] == data[
            "totals"
        ]
