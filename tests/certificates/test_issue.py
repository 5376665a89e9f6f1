"""A teacher's 学时证明: every figure of the ledger, as text, with a QR code that scans.

The ledger's figures are counted here with hand-written SQL over hours_entry, never with
the ledger's or the certificate's own functions.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise import Tortoise

from server.audit.models import AuditEntry
from server.certificates.models import Certificate
from server.common.time import CHINA
from tests.certificates.helpers import make_scene, pdf_pages, pdf_text, qr_texts, render_pages

ROLE = {"presenter": "授课", "attendee": "参加"}


async def ledger_rows(person_id: int, semesters: tuple[str, ...]) -> list[dict]:
    """The person's ledger, by hand: one row per activity and role, with date and host."""
    marks = ", ".join(f"'{s}'" for s in semesters)  # fixed test values, not input
    rows = await Tortoise.get_connection("default").execute_query_dict(
        "SELECT h.activity_id, h.role, h.hours, a.title, a.kind, a.starts_at, k.name AS host "
        "FROM hours_entry h JOIN activity a ON a.id = h.activity_id "
        "JOIN kindergarten k ON k.id = a.host_id "
        f"WHERE h.person_id = {int(person_id)} AND h.semester IN ({marks}) "
        "ORDER BY a.starts_at, h.activity_id, h.role"
    )
    return rows


def china_day(value) -> str:
    """The China date of a timestamp as the database returns it (text on SQLite)."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(CHINA).date().isoformat()


def hours(value: float) -> str:
    return f"{value:g}"


async def test_the_certificate_states_every_figure_of_the_ledger(client):
    scene = await make_scene(client)
    resp = await client.post(
        "/api/v1/me/certificates", json={"period": "2026秋"}, headers=scene.teacher.headers
    )
    assert resp.status_code == 201, resp.text
    cert = resp.json()
    rows = await ledger_rows(scene.teacher.person.id, ("2026秋",))
    assert len(rows) == 4  # 绘本 2, 讲座 1 (left early), 教研 1.5 attended + 1 presented
    total = sum(r["hours"] for r in rows)
    assert total == 5.5
    assert cert["total_hours"] == total
    assert cert["presenter_hours"] == sum(r["hours"] for r in rows if r["role"] == "presenter")
    assert cert["attendee_hours"] == sum(r["hours"] for r in rows if r["role"] == "attendee")
    assert [(e["activity_id"], e["role"], e["hours"]) for e in cert["entries"]] == [
        (r["activity_id"], r["role"], r["hours"]) for r in rows
    ]
    assert cert["holder_name"] == "郑洁" and cert["kindergarten_name"] == scene.village.name
    assert cert["issuer_name"] == "湘江县教育局"  # the region's bureau by default

    pdf = await client.get(cert["pdf_url"], headers=scene.teacher.headers)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.content)
    # Chinese is text in the PDF: every printed figure reads back.
    for must in ("学时证明", "郑洁", scene.village.name, "2026秋季学期", "湘江县教育局"):
        assert must in text, must
    assert f"共获得学时{hours(total)}学时" in text
    # Each ledger line is one numbered row: number, date, title, host, kind, role, hours.
    for n, row in enumerate(rows, start=1):
        day = china_day(row["starts_at"])
        printed = f"{n}{day}{row['title']}{row['host']}{row['kind']}{ROLE[row['role']]}"
        assert printed + hours(row["hours"]) in text, printed
    assert f"合计{hours(total)}" in text
    assert "出具日期" in text and "出具单位：湘江县教育局" in text
    pages = render_pages(pdf.content, "teacher-2026秋")
    assert len(pages) == 1
    assert qr_texts(pages[0]) == [cert["verify_url"]]
    assert "/verify/" in cert["verify_url"]


async def test_a_year_adds_both_semesters(client):
    scene = await make_scene(client)
    resp = await client.post(
        "/api/v1/me/certificates", json={"period": "2026"}, headers=scene.teacher.headers
    )
    assert resp.status_code == 201, resp.text
    cert = resp.json()
    rows = await ledger_rows(scene.teacher.person.id, ("2026春", "2026秋"))
    assert cert["total_hours"] == sum(r["hours"] for r in rows) == 9.5
    assert cert["period_label"] == "2026年度"
    pdf = await client.get(cert["pdf_url"], headers=scene.teacher.headers)
    text = pdf_text(pdf.content)
    assert "春季跟岗学习" in text and "2026年度" in text and "合计9.5" in text
    assert "2026年2月1日至2027年1月31日" in text


async def test_asking_again_unchanged_answers_the_same_certificate_once_audited(client):
    scene = await make_scene(client)
    first = await client.post("/api/v1/me/certificates", json={}, headers=scene.teacher.headers)
    again = await client.post("/api/v1/me/certificates", json={}, headers=scene.teacher.headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and first.json()["period"] == "2026秋"
    audit = await AuditEntry.filter(action="certificate.issue", target_id=first.json()["id"])
    assert len(audit) == 1
    entry = audit[0]
    assert entry.actor_id == scene.teacher.person.id and entry.target_type == "certificate"
    assert entry.detail["period"] == "2026秋" and entry.detail["total_hours"] == 5.5
    assert entry.detail["person_id"] == scene.teacher.person.id
    # The record: who, when, which period, which hours.
    stored = await Certificate.get(id=first.json()["id"])
    assert stored.issued_by_id == scene.teacher.person.id and stored.issued_at is not None
    assert stored.period == "2026秋" and stored.total_hours == 5.5
    mine = await client.get("/api/v1/me/certificates", headers=scene.teacher.headers)
    assert [c["id"] for c in mine.json()["items"]] == [stored.id]


async def test_the_alliance_may_issue_it_and_a_kindergarten_without_one_is_told(client):
    scene = await make_scene(client)
    resp = await client.post(
        "/api/v1/me/certificates", json={"issuer": "alliance"}, headers=scene.teacher.headers
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["issuer_name"] == scene.alliance.name
    pdf = await client.get(resp.json()["pdf_url"], headers=scene.teacher.headers)
    assert f"出具单位：{scene.alliance.name}" in pdf_text(pdf.content)
    scene.village.alliance_id = None
    await scene.village.save()
    resp = await client.post(
        "/api/v1/me/certificates", json={"issuer": "alliance"}, headers=scene.teacher.headers
    )
    assert resp.status_code == 400 and resp.json()["error"] == "no_alliance"
    assert "未加入联盟" in resp.json()["message"]


async def test_no_hours_no_certificate_and_bad_periods_are_refused_in_chinese(client):
    scene = await make_scene(client)
    resp = await client.post(
        "/api/v1/me/certificates", json={"period": "2025秋"}, headers=scene.teacher.headers
    )
    assert resp.status_code == 422 and resp.json()["error"] == "no_hours"
    assert "2025秋季学期" in resp.json()["message"]
    for bad in ("2026冬", "26秋", "1999"):
        resp = await client.post(
            "/api/v1/me/certificates", json={"period": bad}, headers=scene.teacher.headers
        )
        assert resp.status_code == 400 and resp.json()["error"] == "invalid_period", bad
    assert not await Certificate.exists()


async def test_the_printed_copy_comes_from_the_record_not_the_live_ledger(client):
    scene = await make_scene(client)
    cert = (
        await client.post("/api/v1/me/certificates", json={}, headers=scene.teacher.headers)
    ).json()
    first = await client.get(cert["pdf_url"], headers=scene.teacher.headers)
    annulled = scene.checkins["绘本教学示范课"]
    resp = await client.post(
        f"/api/v1/checkins/{annulled.id}/annul",
        json={"reason": "代签，作废"},
        headers=scene.organizer.headers,
    )
    assert resp.status_code == 200, resp.text
    again = await client.get(cert["pdf_url"], headers=scene.teacher.headers)
    # The paper says what it said when issued; the verification page tells what changed.
    assert pdf_pages(again.content) == pdf_pages(first.content)
    assert "绘本教学示范课" in pdf_text(again.content)
