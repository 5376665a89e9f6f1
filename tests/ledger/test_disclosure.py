"""The 公示: its PDF prints the ledger's figures (checked against an independent sum and
against the ledger's own answer), each line with its confirmation, names no one but the
people responsible, and is rendered to PNG (pdftoppm) under tests/artifacts/<run>/ledger."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from PIL import Image
from pypdf import PdfReader

from server.ledger.models import DonationItem, FundEntry
from server.orgs.models import Person
from tests.archive.helpers import PDF_BYTES
from tests.ledger.helpers import LEDGER, items, make_alliance_world, record_donation, record_fund
from tests.support.artifacts import artifacts
from tests.support.world import make_world

ARTIFACTS = artifacts("ledger")
PHONES = ("13912345678", "13787654321")


def _text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages).replace("\x00", "")


def pages_to_png(content: bytes, name: str) -> list[Path]:
    """Render every page (pdftoppm -png) for a person to look at; none may be blank."""
    assert shutil.which("pdftoppm"), "pdftoppm missing: scripts/setup.sh installs poppler-utils"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob(f"{name}-*.png"):
        old.unlink()
    pdf = ARTIFACTS / f"{name}.pdf"
    pdf.write_bytes(content)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "90", str(pdf), str(ARTIFACTS / name)], check=True, timeout=60
    )
    pngs = sorted(ARTIFACTS.glob(f"{name}-*.png"))
    assert len(pngs) == len(PdfReader(io.BytesIO(content)).pages)
    for png in pngs:
        with Image.open(png) as image:
            body = image.convert("L").crop((0, 0, image.width, int(image.height * 0.9)))
            lo, hi = body.getextrema()
        assert lo < 200 and hi > 240, f"{png.name} is blank"
    return pngs


async def _books(client, w) -> dict:
    """A semester of books: two donations (one confirmed short), funds in three categories."""
    await Person.filter(id=w.giver.person.id).update(phone=PHONES[0])
    await Person.filter(id=w.receiver.person.id).update(phone=PHONES[1])
    gift = await record_donation(
        client,
        w.giver,
        w.pairing.id,
        items=items(
            ("图书", "绘本《小蝌蚪找妈妈》", 120, "1800.00"), ("玩具", "木质积木", 20, "650.40")
        ),
    )
    books, blocks = gift["items"]
    resp = await client.post(
        f"/api/v1/donations/{gift['id']}/confirm",
        json={
            "items": [
                {"item_id": books["id"], "outcome": "received"},
                {"item_id": blocks["id"], "outcome": "short", "received_quantity": 18},
            ]
        },
        headers=w.receiver.headers,
    )
    assert resp.status_code == 200, resp.text
    pending_gift = await record_donation(
        client, w.giver, w.pairing.id, items=items(("设备", "电子琴", 1, "2999.00"))
    )
    voided = await record_donation(
        client, w.giver, w.pairing.id, items=items(("其他", "作废的登记", 1, "123456.00"))
    )
    await client.post(
        f"/api/v1/donations/{voided['id']}/void", json={"reason": "重复"}, headers=w.giver.headers
    )
    allocation = await record_fund(
        client, w.giver, w.pairing.id, direction="allocated", amount="20000.00", category="培训"
    )
    await client.post(
        f"/api/v1/funds/{allocation['id']}/confirm", json={}, headers=w.receiver.headers
    )
    travel = await record_fund(client, w.giver, w.pairing.id, amount="1280.50", category="交通")
    await client.post(
        f"/api/v1/funds/{travel['id']}/receipts",
        files={"file": ("车票.pdf", PDF_BYTES, "application/pdf")},
        headers=w.giver.headers,
    )
    await client.post(f"/api/v1/funds/{travel['id']}/confirm", json={}, headers=w.receiver.headers)
    await record_fund(
        client, w.receiver_organizer, w.pairing.id, amount="356.80", category="物资",
        purpose="购置区角材料",
    )  # fmt: skip
    return {"gift": gift, "pending_gift": pending_gift, "voided": voided}


def _yuan(value: Decimal) -> str:
    return f"{value:,.2f}"


async def test_the_disclosure_pdf_prints_the_ledgers_figures(client):
    w = await make_world(client, LEDGER)
    made = await _books(client, w)
    resp = await client.get(
        f"/api/v1/pairings/{w.pairing.id}/disclosure.pdf",
        params={"semester": "2026秋"},
        headers=w.leader.headers,
    )
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "application/pdf"
    text = _text(resp.content)
    flat = "".join(text.split())

    # Independent sums of the stored rows (not the ledger's totals code).
    values = [
        i.value
        for i in await DonationItem.filter(
            donation__pairing_id=w.pairing.id, donation__voided_at__isnull=True
        )
    ]
    confirmed_values = [i.value for i in await DonationItem.filter(donation_id=made["gift"]["id"])]
    funds = await FundEntry.filter(pairing_id=w.pairing.id, voided_at__isnull=True)
    spent = sum((f.amount for f in funds if f.direction == "spent"), Decimal(0))
    allocated = sum((f.amount for f in funds if f.direction == "allocated"), Decimal(0))
    spent_confirmed = sum(
        (f.amount for f in funds if f.direction == "spent" and f.confirmed_at), Decimal(0)
    )
    for figure in (
        sum(values, Decimal(0)),
        sum(confirmed_values, Decimal(0)),
        allocated,
        spent,
        spent_confirmed,
        allocated - spent,
    ):
        assert _yuan(figure) in flat, (_yuan(figure), text)
    assert _yuan(Decimal("5449.40")) in flat and _yuan(Decimal("18362.70")) in flat

    # The same figures as the ledger's own answer, line by line.
    ledger = (
        await client.get(
            f"/api/v1/pairings/{w.pairing.id}/disclosure",
            params={"semester": "2026秋"},
            headers=w.giver.headers,
        )
    ).json()
    assert ledger["printed"]["spent"] in flat and ledger["printed"]["donated"] in flat
    for line in ledger["funds"]:
        assert line["amount"] in flat and line["state_label"] in flat
    for line in ledger["donations"]:
        assert line["value"] in flat
    for category in ledger["printed"]["categories"]:
        assert category["category"] in flat
    assert "已确认接收（部分物品数量不足或有损坏）" in flat and "实收18件" in flat
    assert "待确认" in flat
    # A voided line is nowhere; phones never; the responsible people by name only.
    assert "作废的登记" not in flat and "123,456.00" not in flat
    assert not any(phone in flat for phone in PHONES)
    assert "孙雅琴" in flat and "王秀兰" in flat
    pages_to_png(resp.content, "pairing-disclosure")


async def test_the_disclosure_names_only_the_people_responsible(client):
    w = await make_world(client, LEDGER)
    await _books(client, w)
    resp = await client.get(
        f"/api/v1/pairings/{w.pairing.id}/disclosure",
        params={"semester": "2026秋"},
        headers=w.receiver.headers,
    )
    assert resp.status_code == 200
    body = resp.text
    assert not any(phone in body for phone in PHONES)
    data = resp.json()
    named = {line["recorded_by"] for line in data["donations"] + data["funds"]} | {
        line["confirmed_by"] for line in data["donations"] + data["funds"]
    }
    assert named <= {"孙雅琴", "林晓红", "王秀兰", ""}
    assert "photos" not in body and 'receipts": [' not in body


async def test_an_empty_period_prints_an_empty_disclosure(client):
    w = await make_world(client, LEDGER)
    resp = await client.get(
        f"/api/v1/pairings/{w.pairing.id}/disclosure.pdf",
        params={"year": "2025"},
        headers=w.giver.headers,
    )
    assert resp.status_code == 200
    flat = "".join(_text(resp.content).split())
    assert "本期无捐赠记录" in flat and "本期无经费收支记录" in flat and "0.00" in flat
    pages_to_png(resp.content, "empty-disclosure")


async def test_a_long_alliance_disclosure_runs_over_pages_with_its_headings(client):
    a = await make_alliance_world(client)
    purposes = ("联盟教研活动场地费", "送教下乡往返车费", "绘本采购", "骨干教师培训资料印制")
    for n in range(45):
        await FundEntry.create(
            alliance=a.alliance,
            direction="spent" if n % 3 else "allocated",
            occurred_on=date(2026, 9, 1) + timedelta(days=n * 3),
            amount=Decimal(f"{100 + n * 37}.{n:02d}"),
            category=("培训", "交通", "物资", "教研活动")[n % 4],
            purpose=purposes[n % 4],
            recorder=a.lead,
            counterpart=a.members[n % 2],
            recorded_by=a.keeper.person,
        )
    resp = await client.get(
        f"/api/v1/alliances/{a.alliance.id}/disclosure.pdf",
        params={"semester": "2026秋"},
        headers=a.member_directors[0].headers,
    )
    assert resp.status_code == 200, resp.text
    reader = PdfReader(io.BytesIO(resp.content))
    assert len(reader.pages) >= 2
    # The table's headings are printed again at the top of the next page.
    assert "金额（元）" in reader.pages[1].extract_text().replace("\x00", "")
    flat = "".join(_text(resp.content).split())
    funds = await FundEntry.filter(alliance_id=a.alliance.id)
    for direction in ("spent", "allocated"):
        total = sum((f.amount for f in funds if f.direction == direction), Decimal(0))
        assert _yuan(total) in flat
    assert "结对帮扶" not in flat and "捐赠与经费公示（2026秋）" in flat
    # An alliance's line says which member it concerns.
    assert f"（{a.lead.name}—{a.members[1].name}）" in flat
    pages_to_png(resp.content, "alliance-disclosure")
