"""The console's 学时证明 page: her own certificate, and a director's batch with its progress
and download; another kindergarten's batch or certificate is not hers."""

from __future__ import annotations

import asyncio
import re

import pytest

from server.accounts.models import Account
from server.accounts.web_login import set_password
from server.certificates.models import Certificate
from tests.certificates.helpers import make_scene, pdf_pages
from tests.support.factories import unique
from tests.support.http import http_client
from tests.web.console import PASSWORD, csrf_of, password_login


@pytest.fixture
async def browser(api):
    """A cookie-keeping client, as a browser is."""
    async with http_client(base_url=api.url, timeout=30) as http:
        yield http


async def _console_login(browser, person) -> None:
    account = await Account.get(person_id=person.id)
    login = unique("cert-web-")
    await set_password(account_id=account.id, login=login, password=PASSWORD)
    resp = await password_login(browser, login)
    assert resp.status_code == 303, resp.text


async def test_a_director_issues_her_own_and_her_staffs_certificates(client, browser):
    scene = await make_scene(client)
    await _console_login(browser, scene.director.person)
    page = await browser.get("/console/certificates?period=2026秋")
    assert page.status_code == 200, page.text
    assert "学时证明" in page.text and scene.village.name in page.text
    # 陈婷 has no hours herself: nothing to issue for her, a batch for her staff.
    assert "2026秋季学期暂无学时记录" in page.text and 'id="issue-mine"' not in page.text
    token = csrf_of(page.text)
    resp = await browser.post(
        f"/console/certificates/kindergartens/{scene.village.id}/batch",
        data={"csrf_token": token, "period": "2026秋", "issuer": "alliance"},
    )
    assert resp.status_code == 303, resp.text
    job_path = resp.headers["location"]
    job_page = await browser.get(job_path)
    assert job_page.status_code == 200 and 'id="job-progress"' in job_page.text
    for _ in range(600):
        job = (await browser.get(job_path, headers={"Accept": "application/json"})).json()
        if job["status"] in ("done", "failed"):
            break
        await asyncio.sleep(0.1)
    assert job["status"] == "done", job
    assert job["done"] == job["total"] == 2 and job["result"]["count"] == 1
    done_page = await browser.get(job_path)
    assert "已完成" in done_page.text and "陈婷" in done_page.text  # skipped: no hours
    pdf = await browser.get(f"{job_path}/certificates.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    pages = pdf_pages(pdf.content)
    assert len(pages) == 1 and "兹证明郑洁老师" in pages[0]
    assert f"出具单位：{scene.alliance.name}" in pages[0]
    listed = await browser.get("/console/certificates?period=2026秋")
    cert = await Certificate.get(person_id=scene.teacher.person.id)
    assert f"/console/certificates/{cert.id}/certificate.pdf" in listed.text
    one = await browser.get(f"/console/certificates/{cert.id}/certificate.pdf")
    assert one.status_code == 200 and "郑洁" in "".join(pdf_pages(one.content))


async def test_an_organizer_issues_her_own_and_reads_no_one_elses(client, browser):
    scene = await make_scene(client)
    teacher_cert = (
        await client.post("/api/v1/me/certificates", json={}, headers=scene.teacher.headers)
    ).json()
    # 孙雅琴, the county organizer, presented a lesson this semester.
    from tests.certificates.helpers import AUTUMN, make_activity, present

    lesson = await make_activity(scene.county, "说课评课", AUTUMN.replace(day=30))
    await present(lesson, scene.organizer.person.id, 1.5)
    await _console_login(browser, scene.organizer.person)
    page = await browser.get("/console/certificates")
    assert page.status_code == 200
    assert "说课评课" in page.text and re.search(r'id="my-total">1\.5<', page.text)
    assert 'class="card staff-certificates"' not in page.text  # not a director
    resp = await browser.post(
        "/console/certificates/mine",
        data={"csrf_token": csrf_of(page.text), "period": "2026秋", "issuer": "region"},
    )
    assert resp.status_code == 303
    listed = await browser.get(resp.headers["location"])
    assert "已开具2026秋季学期学时证明" in listed.text
    mine = await Certificate.get(person_id=scene.organizer.person.id)
    assert mine.total_hours == 1.5 and mine.issued_by_id == scene.organizer.person.id
    assert f"/console/certificates/{mine.id}/certificate.pdf" in listed.text
    foreign = await browser.get(f"/console/certificates/{teacher_cert['id']}/certificate.pdf")
    unknown = await browser.get("/console/certificates/999999999/certificate.pdf")
    assert foreign.status_code == unknown.status_code == 404
    assert "郑洁" not in foreign.text
    batch = await browser.post(
        f"/console/certificates/kindergartens/{scene.village.id}/batch",
        data={"csrf_token": csrf_of(page.text), "period": "2026秋", "issuer": "region"},
    )
    assert batch.status_code == 403  # a page for directors
