"""The public verification page: genuine and current, changed since, or refused.

It names the holder by family name only; an annulled hour flips it to 已变更 with the new
total (counted here with SQL over hours_entry); a forged or altered code is refused exactly
like an unknown one.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

from tortoise import Tortoise

from server.activities.models import Activity
from server.certificates import codes
from server.certificates.models import Certificate
from server.checkin import hours
from tests.certificates.helpers import AUTUMN, attend, make_activity, make_scene
from tests.conftest import CERTIFICATE_SECRET

#: Everything the verification answers: nothing else about the person.
PUBLIC_KEYS = {
    "status",
    "status_label",
    "holder",
    "kindergarten",
    "period",
    "period_label",
    "total_hours",
    "current_total_hours",
    "issued_on",
    "issuer",
    "number",
}


async def _issue(client, scene, period: str = "2026秋") -> dict:
    resp = await client.post(
        "/api/v1/me/certificates", json={"period": period}, headers=scene.teacher.headers
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


def _code(cert: dict) -> str:
    return urlsplit(cert["verify_url"]).path.removeprefix("/verify/")


async def _ledger_now(certificate_id: int) -> float:
    """The certificate's lines' hours in the ledger now, summed by hand (SQL)."""
    cert = await Certificate.get(id=certificate_id)
    connection = Tortoise.get_connection("default")
    marks = ("$1", "$2", "$3") if connection.capabilities.dialect == "postgres" else ("?",) * 3
    sql = "SELECT hours FROM hours_entry WHERE person_id = {} AND activity_id = {} AND role = {}"
    total = 0.0
    for line in cert.entries:
        rows = await connection.execute_query_dict(
            sql.format(*marks), [cert.person_id, line["activity_id"], line["role"]]
        )
        total += sum(r["hours"] for r in rows)
    return total


def _visible_text(page: str) -> str:
    return re.sub(r"<[^>]+>", " ", page)


async def test_a_genuine_certificate_is_valid_and_shows_only_the_masked_name(client):
    scene = await make_scene(client)
    cert = await _issue(client, scene)
    resp = await client.get(f"/api/v1/certificates/verify/{_code(cert)}")
    assert resp.status_code == 200, resp.text
    answer = resp.json()
    assert set(answer) == PUBLIC_KEYS
    assert answer["status"] == "valid" and answer["status_label"] == "有效"
    assert answer["holder"] == "郑*"
    assert answer["kindergarten"] == scene.village.name and answer["period_label"] == "2026秋季学期"
    assert answer["total_hours"] == answer["current_total_hours"] == 5.5
    assert answer["issuer"] == "湘江县教育局"
    page = await client.get(urlsplit(cert["verify_url"]).path)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "noindex" in page.headers["x-robots-tag"]
    text = _visible_text(page.text)
    assert "有效" in text and "郑*" in text and "5.5 学时" in text and scene.village.name in text
    # Nothing else about her: not her name, phone, the activities or where she went.
    for private in (
        "郑洁",
        "13800138000",
        "绘本教学示范课",
        "专题讲座",
        "联合教研",
        scene.county.name,
    ):
        assert private not in page.text and private not in resp.text, private


async def test_annulling_a_checkin_flips_it_to_changed_with_the_new_total(client):
    scene = await make_scene(client)
    cert = await _issue(client, scene)
    url = f"/api/v1/certificates/verify/{_code(cert)}"
    assert (await client.get(url)).json()["status"] == "valid"
    annulled = scene.checkins["绘本教学示范课"]
    resp = await client.post(
        f"/api/v1/checkins/{annulled.id}/annul",
        json={"reason": "代签，作废"},
        headers=scene.organizer.headers,
    )
    assert resp.status_code == 200, resp.text
    answer = (await client.get(url)).json()
    new_total = await _ledger_now(cert["id"])
    assert new_total == 3.5  # the 2 课时 of the annulled check-in are gone
    assert answer["status"] == "changed" and answer["status_label"] == "已变更"
    assert answer["total_hours"] == 5.5 and answer["current_total_hours"] == new_total
    page = _visible_text((await client.get(urlsplit(cert["verify_url"]).path)).text)
    assert "已变更" in page and "有效" not in page
    assert "现学时合计" in page and "3.5 学时" in page and "5.5 学时" in page
    # A new certificate states the new figures and is valid again.
    fresh = await _issue(client, scene)
    assert fresh["id"] != cert["id"] and fresh["total_hours"] == new_total
    assert (await client.get(f"/api/v1/certificates/verify/{_code(fresh)}")).json()[
        "status"
    ] == "valid"


async def test_a_corrected_hour_changes_it_and_hours_earned_later_do_not(client):
    scene = await make_scene(client)
    cert = await _issue(client, scene)
    url = f"/api/v1/certificates/verify/{_code(cert)}"
    later = await make_activity(scene.county, "期末观摩课", AUTUMN.replace(month=12, day=2))
    await attend(later, scene.teacher.person.id)
    answer = (await client.get(url)).json()
    assert answer["status"] == "valid" and answer["current_total_hours"] == 5.5
    # Her check-out is corrected: she left the lesson after 60 of its 180 minutes.
    checkin = scene.checkins["绘本教学示范课"]
    checkin.checkout_at = checkin.scanned_at + timedelta(minutes=60)
    await checkin.save()
    activity = await Activity.get(id=checkin.activity_id)
    await hours.settle_attendee(activity=activity, checkin=checkin)
    answer = (await client.get(url)).json()
    assert answer["status"] == "changed"
    # 60 of 180 minutes of a 2-课时 lesson: a third, rounded down to 0.5 (5.5 - 2 + 0.5).
    assert answer["current_total_hours"] == await _ledger_now(cert["id"]) == 4.0


async def test_a_forged_or_altered_code_is_refused_like_an_unknown_one(client):
    scene = await make_scene(client)
    cert = await _issue(client, scene)
    token, mac = _code(cert).split(".")
    other_token = codes.new_token()
    flip = {"A": "B", "B": "A"}

    def altered(text: str) -> str:
        last = text[-1]
        return text[:-1] + flip.get(last, "A")

    forged = [
        f"{token}.{altered(mac)}",  # the MAC altered
        f"{altered(token)}.{mac}",  # the id altered
        f"{other_token}.{mac}",  # another id under this MAC
        codes.code_for(token, secret="not-the-server-secret-0123456789abcdef"),
        codes.code_for(other_token, secret=CERTIFICATE_SECRET),  # genuine MAC, never issued
        "garbage",
        f"{token}.{mac}.x",
    ]
    answers = []
    for code in forged:
        api = await client.get(f"/api/v1/certificates/verify/{code}")
        page = await client.get(f"/verify/{code}")
        assert api.status_code == page.status_code == 404, code
        answers.append(api.json())
        assert "无法核验" in page.text and "郑" not in page.text and "有效" not in page.text
    assert all(a == answers[0] for a in answers)
    assert answers[0]["error"] == "certificate_invalid"
    assert (await client.get(f"/api/v1/certificates/verify/{token}.{mac}")).status_code == 200
