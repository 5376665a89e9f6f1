"""After `songjiao serve --demo` the demo teacher's past 送教 are in her ledger, so she can get
her 学时证明 at once, and the demo director can issue her staff's."""

from __future__ import annotations

from tortoise import Tortoise

from server.checkin.models import Checkin
from server.demo import load_demo
from tests.certificates.test_batch import _finished


async def _login(client, code: str) -> dict:
    resp = await client.post("/api/v1/auth/login", json={"code": code})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    return {"authorization": f"Bearer {body['access_token']}", "person": body["person"]}


async def test_the_demo_teacher_gets_her_certificate_of_the_demo_semester(client, api):
    await load_demo(api.app.ctx.runtime.settings)
    teacher = await _login(client, "demo-teacher")
    person_id = teacher.pop("person")["id"]
    # Every check-in of a finished demo activity was credited, as the real flow does.
    finished = await Checkin.filter(person_id=person_id, activity__status="finished").count()
    assert finished >= 1
    rows = await Tortoise.get_connection("default").execute_query_dict(
        f"SELECT activity_id, hours FROM hours_entry WHERE person_id = {int(person_id)}"
    )
    assert len(rows) >= finished
    resp = await client.post("/api/v1/me/certificates", json={}, headers=teacher)
    assert resp.status_code == 201, resp.text
    cert = resp.json()
    assert cert["holder_name"] == "郑洁" and cert["issuer_name"]
    semester_rows = await Tortoise.get_connection("default").execute_query_dict(
        "SELECT hours FROM hours_entry "
        f"WHERE person_id = {int(person_id)} AND semester = '{cert['period']}'"
    )
    assert cert["total_hours"] == sum(r["hours"] for r in semester_rows) > 0
    pdf = await client.get(cert["pdf_url"], headers=teacher)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    verify = await client.get(f"/api/v1/certificates/verify/{cert['verify_url'].split('/')[-1]}")
    assert verify.json()["status"] == "valid" and verify.json()["holder"] == "郑*"


async def test_the_demo_director_issues_her_staffs_certificates(client, api):
    await load_demo(api.app.ctx.runtime.settings)
    director = await _login(client, "demo-director")
    kindergarten_id = next(
        r["scope_id"] for r in director.pop("person")["roles"] if r["role"] == "director"
    )
    resp = await client.post(
        f"/api/v1/kindergartens/{kindergarten_id}/certificates/batch", json={}, headers=director
    )
    assert resp.status_code == 202, resp.text
    job = await _finished(client, resp.json()["job_id"], director)
    assert job["status"] == "done", job
    # 实验幼儿园's presenters taught this semester: each of them has a page.
    presenters = await Tortoise.get_connection("default").execute_query_dict(
        "SELECT DISTINCT h.person_id FROM hours_entry h "
        "JOIN teacher t ON t.person_id = h.person_id "
        f"WHERE t.kindergarten_id = {int(kindergarten_id)} AND t.active "
        f"AND h.semester = '{job['result']['period']}'"
    )
    assert job["result"]["count"] == len(presenters) > 0
