"""A director issues all her staff's certificates for a period: one PDF, one page each, made
by a tracked job whose progress she can poll; every page's figures and QR code checked."""

from __future__ import annotations

import asyncio

from tortoise import Tortoise

from server.audit.models import AuditEntry
from server.certificates import batch
from server.certificates.models import Certificate
from server.common.runtime import current
from server.jobs.models import JobRecord
from tests.certificates.helpers import (
    AUTUMN,
    attend,
    make_activity,
    make_scene,
    pdf_pages,
    qr_texts,
    render_pages,
)
from tests.support.factories import login_as, make_kindergarten, make_person


async def _finished(client, job_id: str, headers: dict) -> dict:
    """Poll the job until it ends (the worker or the embedded broker runs it)."""
    for _ in range(600):
        resp = await client.get(f"/api/v1/jobs/{job_id}", headers=headers)
        assert resp.status_code == 200, resp.text
        if resp.json()["status"] in ("done", "failed"):
            return resp.json()
        await asyncio.sleep(0.1)
    raise AssertionError("the batch job did not finish")


async def _hours_by_person(kindergarten_id: int, semester: str) -> dict[int, float]:
    """Each active staff member's hours in the semester, summed by hand (SQL)."""
    connection = Tortoise.get_connection("default")
    mark = "$1" if connection.capabilities.dialect == "postgres" else "?"
    rows = await connection.execute_query_dict(
        "SELECT t.person_id, SUM(h.hours) AS hours FROM teacher t "
        "JOIN hours_entry h ON h.person_id = t.person_id "
        f"WHERE t.kindergarten_id = {int(kindergarten_id)} AND t.active AND h.semester = {mark} "
        "GROUP BY t.person_id",
        [semester],
    )
    return {r["person_id"]: float(r["hours"]) for r in rows}


async def test_the_director_issues_every_staff_members_page_in_one_pdf(client, monkeypatch):
    scene = await make_scene(client)
    lin = await make_person("林晓红", teacher_of=scene.village)
    await make_person("王芳", teacher_of=scene.village)  # no hours this semester
    lesson = await make_activity(scene.county, "观摩课：大班科学", AUTUMN.replace(day=23))
    await attend(lesson, lin.id)
    # 陈婷 herself (the director) attended too.
    await attend(lesson, scene.director.person.id)
    steps: list[tuple[int, int]] = []
    report = batch.report_progress

    async def watched(*, job_id, done, total):
        steps.append((done, total))
        await report(job_id=job_id, done=done, total=total)

    monkeypatch.setattr(batch, "report_progress", watched)
    resp = await client.post(
        f"/api/v1/kindergartens/{scene.village.id}/certificates/batch",
        json={"period": "2026秋"},
        headers=scene.director.headers,
    )
    assert resp.status_code == 202, resp.text
    started = resp.json()
    assert started["staff"] == 4 and started["period"] == "2026秋"
    job = await _finished(client, started["job_id"], scene.director.headers)
    assert job["status"] == "done", job
    assert job["done"] == job["total"] == 4 and job["percent"] == 100
    result = job["result"]
    expected = await _hours_by_person(scene.village.id, "2026秋")
    assert set(expected) == {scene.teacher.person.id, lin.id, scene.director.person.id}
    assert result["count"] == 3 and result["skipped"] == ["王芳"]
    assert "王芳" in result["summary"]
    assert result["total_hours"] == sum(expected.values())
    # The job runs in this process (embedded broker, or the test's worker on the stream):
    # progress was written before the first person and after each one.
    assert steps == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]
    certificates = await Certificate.filter(id__in=result["certificate_ids"])
    assert {c.person_id: c.total_hours for c in certificates} == expected
    assert all(c.issued_by_id == scene.director.person.id for c in certificates)
    assert all(c.batch_job == started["job_id"] for c in certificates)

    pdf = await client.get(
        f"/api/v1/certificate-batches/{started['job_id']}/certificates.pdf",
        headers=scene.director.headers,
    )
    assert pdf.status_code == 200, pdf.text
    pages = pdf_pages(pdf.content)
    assert len(pages) == 3  # one page each, in the staff list's order (王芳 has no hours)
    names = ["郑洁", "陈婷", "林晓红"]
    by_name = {c.holder_name: c for c in certificates}
    pngs = render_pages(pdf.content, "batch-2026秋")
    for page, png, name in zip(pages, pngs, names, strict=True):
        cert = by_name[name]
        assert f"兹证明{name}老师" in page and f"合计{cert.total_hours:g}" in page
        view = (
            await client.get(f"/api/v1/certificates/{cert.id}", headers=scene.director.headers)
        ).json()
        assert qr_texts(png) == [view["verify_url"]]
    assert "王芳" not in "".join(pages)
    audit = await AuditEntry.filter(action="certificate.batch", target_id=scene.village.id)
    assert len(audit) == 1 and audit[0].detail["count"] == 3
    assert await AuditEntry.filter(action="certificate.issue").count() == 3


async def test_running_the_batch_again_issues_nothing_new(client):
    """A job may run twice (redelivery): the same certificates, nothing issued twice."""
    scene = await make_scene(client)
    record = await JobRecord.create(
        id="11111111-2222-4333-8444-555555555555", kind=batch.BATCH_JOB, account_id=None
    )
    args = dict(
        job_id=str(record.id),
        kindergarten_id=scene.village.id,
        period="2026秋",
        issuer="region",
        actor_id=scene.director.person.id,
        settings=current().settings,
    )
    first = await batch.run_batch(**args)
    again = await batch.run_batch(**args)
    assert first["count"] == 1 and first["skipped"] == ["陈婷"]  # only 郑洁 has hours
    assert again["certificate_ids"] == first["certificate_ids"] and again["new"] == 0
    assert await Certificate.all().count() == 1
    assert await AuditEntry.filter(action="certificate.issue").count() == 1


async def test_only_her_own_director_may_start_or_download_a_batch(client):
    scene = await make_scene(client)
    resp = await client.post(
        f"/api/v1/kindergartens/{scene.village.id}/certificates/batch",
        json={},
        headers=scene.director.headers,
    )
    job_id = resp.json()["job_id"]
    await _finished(client, job_id, scene.director.headers)
    other = await login_as(client, "director", scope_id=scene.county.id, teacher_of=scene.county)
    refused = await client.post(
        f"/api/v1/kindergartens/{scene.village.id}/certificates/batch",
        json={},
        headers=other.headers,
    )
    # Her partner kindergarten: she sees it, but it is not hers to issue for.
    assert refused.status_code == 403
    far = await login_as(client, "director", scope_id=(await make_kindergarten()).id)
    foreign = await client.post(
        f"/api/v1/kindergartens/{scene.village.id}/certificates/batch", json={}, headers=far.headers
    )
    nowhere = await client.post(
        "/api/v1/kindergartens/999999999/certificates/batch", json={}, headers=far.headers
    )
    # Another region's kindergarten is answered exactly as one that does not exist.
    assert foreign.status_code == nowhere.status_code == 404
    assert foreign.json() == nowhere.json()
    foreign = await client.get(
        f"/api/v1/certificate-batches/{job_id}/certificates.pdf", headers=other.headers
    )
    unknown = await client.get(
        "/api/v1/certificate-batches/00000000-0000-4000-8000-000000000000/certificates.pdf",
        headers=other.headers,
    )
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json() == unknown.json()
    teacher = await client.post(
        f"/api/v1/kindergartens/{scene.village.id}/certificates/batch",
        json={},
        headers=scene.teacher.headers,
    )
    assert teacher.status_code == 403
