"""Semester recap posts of a pairing or an alliance: drafted by the leading side, reviewed,
signed and published like any post, from the semester's figures and consented photos."""

from __future__ import annotations

import io

from pypdf import PdfReader

from server.orgs.models import Alliance
from server.publicity import publish
from server.publicity.models import Post
from tests.publicity.helpers import PUBLICITY, add_photo, finished_send, submitted, wait_for
from tests.support.factories import login_as, make_kindergarten
from tests.support.sandbox import read_outbox
from tests.support.world import make_world

SEMESTER = "2026秋"


async def _recap(client, who, pairing_id: int, **body):
    return await client.post(
        f"/api/v1/pairings/{pairing_id}/recap-post",
        json={"semester": SEMESTER, **body},
        headers=who.headers,
    )


async def test_pairing_recap_tells_the_semester_with_consented_photos_only(client):
    world = await make_world(
        client,
        PUBLICITY,
        activity=finished_send(reflection="村园老师第一次上了完整的绘本课。后面略。"),
    )
    shown = await add_photo(client, world, consent=True, caption="示范课现场")
    hidden = await add_photo(client, world, consent=False, caption="未同意公开")
    writer = await login_as(client, "organizer", scope_id=world.supporting.id)

    resp = await _recap(client, writer, world.activity.pairing_id)
    assert resp.status_code == 201, resp.text
    post = resp.json()
    assert post["kind"] == "recap" and post["semester"] == SEMESTER
    assert post["activity_id"] is None and post["pairing_id"] == world.activity.pairing_id
    assert "2026秋学期工作回顾" in post["title"] and len(post["title"]) <= 32
    html = post["html"]
    assert "湘江县实验幼儿园与石桥村幼儿园结对帮扶共开展1场活动" in html
    assert "绘本教学示范课" in html and "2026年10月15日" in html  # the activity listed
    assert "场活动" in html and "名教师参加" in html
    assert "村园老师第一次上了完整的绘本课。" in html  # the reflection quoted
    assert f"/api/v1/files/{shown['id']}/content" in html
    assert f"/api/v1/files/{hidden['id']}/content" not in html
    assert post["cover_file_id"] == shown["id"]
    usable = {p["id"]: p["usable"] for p in post["photos"]}
    assert usable == {shown["id"]: True, hidden["id"]: False}

    again = await _recap(client, writer, world.activity.pairing_id)
    assert again.status_code == 200 and again.json()["id"] == post["id"]
    preview = await client.get(f"/api/v1/posts/{post['id']}/preview", headers=writer.headers)
    assert preview.status_code == 200 and "data:image/jpeg;base64," in preview.text
    brief = await client.get(f"/api/v1/posts/{post['id']}/brief.pdf", headers=writer.headers)
    assert brief.status_code == 200 and brief.content.startswith(b"%PDF")


async def test_only_the_supporting_side_writes_the_pairing_recap(client):
    world = await make_world(client, PUBLICITY)
    # The host (the supported kindergarten) does not write the pairing's recap.
    resp = await _recap(client, world.organizer, world.activity.pairing_id)
    assert resp.status_code == 404
    writer = await login_as(client, "organizer", scope_id=world.supporting.id)
    bad = await _recap(client, writer, world.activity.pairing_id, semester="明年")
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_semester"


async def test_recap_is_reviewed_signed_and_published_then_listed(client, sandbox_client):
    world = await make_world(client, PUBLICITY)
    await add_photo(client, world, consent=True)
    writer = await login_as(client, "organizer", scope_id=world.supporting.id)
    director = await login_as(client, "director", scope_id=world.supporting.id)
    post = (await _recap(client, writer, world.activity.pairing_id)).json()

    submit = await client.post(f"/api/v1/posts/{post['id']}/submit", headers=writer.headers)
    assert submit.status_code == 200, submit.text
    # The host's director does not review the supporting side's recap; its own director does.
    other = await client.post(
        f"/api/v1/posts/{post['id']}/approve", json={}, headers=world.director.headers
    )
    assert other.status_code == 404
    approve = await client.post(
        f"/api/v1/posts/{post['id']}/approve", json={}, headers=director.headers
    )
    assert approve.status_code == 200, approve.text
    sign = await client.post(f"/api/v1/posts/{post['id']}/sign", headers=world.leader.headers)
    assert sign.status_code == 200, sign.text
    await submitted(post["id"])

    async def published():
        await publish.poll_publishes()
        row = await Post.get(id=post["id"])
        return row if row.status == "published" else None

    row = await wait_for(published)
    uploads = await read_outbox(sandbox_client, kind="uploadimg")
    assert len(uploads) == 1  # the recap's photo went to WeChat
    listed = await client.get(
        f"/api/v1/pairings/{world.activity.pairing_id}/posts", headers=writer.headers
    )
    assert [(i["id"], i["kind"]) for i in listed.json()["items"]] == [(row.id, "recap")]
    brief = await client.get(
        f"/api/v1/pairings/{world.activity.pairing_id}/brief.pdf",
        params={"semester": SEMESTER},
        headers=world.leader.headers,
    )
    assert brief.status_code == 200, brief.text
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(brief.content)).pages)
    assert "学期工作回顾" in text.replace("\x00", "").replace(" ", "")  # the recap is in the 简报


async def test_alliance_recap_needs_a_lead_kindergarten_which_writes_it(client):
    world = await make_world(client, PUBLICITY)
    alliance = await Alliance.create(region_id=world.supported.region_id, name="湘江县学前教育联盟")
    world.activity.alliance_id = alliance.id
    await world.activity.save()
    world.supporting.alliance = alliance
    await world.supporting.save()
    writer = await login_as(client, "organizer", scope_id=world.supporting.id)
    url = f"/api/v1/alliances/{alliance.id}/recap-post"

    no_lead = await client.post(url, json={"semester": SEMESTER}, headers=writer.headers)
    assert no_lead.status_code == 409 and "牵头园" in no_lead.json()["message"]

    alliance.lead_id = world.supporting.id
    await alliance.save()
    resp = await client.post(url, json={"semester": SEMESTER}, headers=writer.headers)
    assert resp.status_code == 201, resp.text
    post = resp.json()
    assert post["alliance_id"] == alliance.id and post["title"].startswith("湘江县学前教育联盟")
    assert "2026秋学期，湘江县学前教育联盟共开展1场活动" in post["html"]
    assert "绘本教学示范课" in post["html"]


async def test_a_foreign_alliance_without_a_lead_is_answered_like_an_unknown_one(client):
    world = await make_world(client, PUBLICITY)
    alliance = await Alliance.create(region_id=world.supported.region_id, name="湘江县学前教育联盟")
    world.supporting.alliance = alliance
    await world.supporting.save()
    outsider = await login_as(client, "organizer", scope_id=(await make_kindergarten()).id)

    foreign = await client.post(
        f"/api/v1/alliances/{alliance.id}/recap-post", json={}, headers=outsider.headers
    )
    unknown = await client.post(
        "/api/v1/alliances/999999999/recap-post", json={}, headers=outsider.headers
    )
    assert foreign.status_code == unknown.status_code == 404, foreign.text
    assert foreign.json() == unknown.json()
