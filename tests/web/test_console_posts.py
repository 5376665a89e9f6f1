"""Console posts: draft from a finished activity, edit, preview, 三审, publish and 群发."""

from __future__ import annotations

import pytest

from server.publicity import publish
from server.publicity.models import Post
from tests.publicity.helpers import PUBLICITY, add_photo, submitted, wait_for
from tests.support.http import http_client
from tests.support.world import make_world
from tests.web.console import console_person, csrf_of, password_login


@pytest.fixture
async def browsers(api):
    """Cookie-keeping clients, one per person at a desk."""
    clients = [http_client(base_url=api.url, timeout=15) for _ in range(4)]
    yield clients
    for c in clients:
        await c.aclose()


async def _form(browser, page_path: str, action: str, **fields):
    """Post a form of `page_path` the way the page does (its CSRF token)."""
    token = csrf_of((await browser.get(page_path)).text)
    return await browser.post(action, data={"csrf_token": token, **fields})


async def _people(browsers, world):
    writer, reviewer, signer, stranger = browsers
    for browser, (role, kind, scope) in zip(
        browsers,
        (
            ("organizer", "kindergarten", world.supported.id),
            ("director", "kindergarten", world.supported.id),
            ("leader", "region", world.supported.region_id),
            ("leader", "region", world.supporting.region_id + 10_000),
        ),
        strict=True,
    ):
        _, login = await console_person(role, scope_kind=kind, scope_id=scope)
        assert (await password_login(browser, login)).status_code in (200, 303)
    return writer, reviewer, signer, stranger


async def test_post_goes_from_activity_to_published_and_mass_sent_in_the_console(
    client, browsers, sandbox_client
):
    world = await make_world(client, PUBLICITY)
    await add_photo(client, world, consent=True, caption="示范课现场")
    writer, reviewer, signer, stranger = await _people(browsers, world)
    activity_page = f"/console/activities/{world.activity.id}"
    assert "生成宣传推文" in (await writer.get(activity_page)).text

    made = await _form(writer, activity_page, f"/console/posts/from-activity/{world.activity.id}")
    assert made.status_code == 303
    path = made.headers["location"].split("?")[0]
    post_id = int(path.rsplit("/", 1)[1])
    page = await writer.get(path)
    assert page.status_code == 200 and "撰稿中" in page.text and 'id="post-editor"' in page.text
    assert f"/console/posts/{post_id}/preview" in page.text

    preview = await writer.get(f"/console/posts/{post_id}/preview")
    assert preview.status_code == 200 and "data:image/jpeg;base64," in preview.text
    assert "style-src 'unsafe-inline'" in preview.headers["content-security-policy"]
    assert "script-src" not in preview.headers["content-security-policy"]
    assert preview.headers["x-frame-options"] == "SAMEORIGIN"

    row = await Post.get(id=post_id)
    saved = await _form(
        writer,
        path,
        f"{path}/edit",
        title="石桥村幼儿园绘本教学示范课",
        digest=row.digest,
        html=row.html + '<p onclick="x()">补充<script>alert(1)</script></p>',
        cover_file_id=str(row.cover_file_id),
    )
    assert saved.status_code == 303
    row = await Post.get(id=post_id)
    assert row.title == "石桥村幼儿园绘本教学示范课"
    assert "<script" not in row.html and "onclick" not in row.html and "补充" in row.html
    too_long = await _form(writer, path, f"{path}/edit", title="长" * 40, html=row.html)
    assert too_long.status_code in (400, 422) and "32" in too_long.text

    assert (await _form(writer, path, f"{path}/submit")).status_code == 303
    back = await _form(reviewer, path, f"{path}/send-back", comment="请补充孩子们的表现")
    assert back.status_code == 303
    assert "退回意见：请补充孩子们的表现" in (await writer.get(path)).text
    await _form(writer, path, f"{path}/submit")
    assert (await _form(reviewer, path, f"{path}/approve")).status_code == 303
    assert "待领导签发" in (await signer.get(path)).text
    assert (await stranger.get(path)).status_code == 404  # another region's leader
    assert (await _form(signer, path, f"{path}/sign")).status_code == 303

    await submitted(post_id)

    async def published():
        await publish.poll_publishes()
        return (await Post.get(id=post_id)).status == "published"

    await wait_for(published)
    shown = (await signer.get(path)).text
    assert 'id="article-url"' in shown and "群发：未群发" in shown
    await sandbox_client.post("/sandbox/mass_outcome", json={"followers": 40, "errors": 1})
    await sandbox_client.post("/sandbox/event_push")
    assert (await _form(signer, path, f"{path}/mass-send")).status_code == 303
    # sendall only submitted the job; WeChat's MASSSENDJOBFINISH makes it sent.
    waiting = (await signer.get(path)).text
    assert "群发：已提交微信，等待群发结果" in waiting or "群发：已群发" in waiting

    async def mass_sent():
        page = (await signer.get(path)).text
        return page if "群发：已群发" in page else None

    sent_page = await wait_for(mass_sent)
    assert "关注者 40 人，送达 39 人，1 人未送达" in sent_page
    assert 'id="mass-article-url"' in sent_page
    listed = await writer.get("/console/posts?status=published")
    assert "石桥村幼儿园绘本教学示范课" in listed.text and "查看" in listed.text


async def test_steps_need_the_pages_csrf_token_and_the_right_person(client, browsers):
    world = await make_world(client, PUBLICITY)
    writer, reviewer, _, _ = await _people(browsers, world)
    made = await _form(
        writer,
        f"/console/activities/{world.activity.id}",
        f"/console/posts/from-activity/{world.activity.id}",
    )
    path = made.headers["location"].split("?")[0]
    forged = await writer.post(f"{path}/submit", data={})
    assert forged.status_code == 403 and "刷新页面" in forged.text
    # Approving is the director's step, not the writer's.
    early = await _form(writer, path, f"{path}/approve")
    assert early.status_code == 403 and "只有本园园长可以审核推文" in early.text
    unknown = await _form(writer, path, f"{path}/publish-now")
    assert unknown.status_code == 404


async def test_supporting_side_drafts_a_semester_recap_from_the_list(client, browsers):
    world = await make_world(client, PUBLICITY)
    browser = browsers[0]
    _, login = await console_person("organizer", scope_id=world.supporting.id)
    await password_login(browser, login)
    page = await browser.get("/console/posts")
    assert "生成学期回顾" in page.text and "石桥村幼儿园" in page.text
    made = await _form(
        browser,
        "/console/posts",
        "/console/posts/recap",
        subject=f"pairing:{world.activity.pairing_id}",
        semester="2026秋",
    )
    assert made.status_code == 303
    shown = await browser.get(made.headers["location"].split("?")[0])
    assert "学期回顾（2026秋）" in shown.text and "2026秋学期工作回顾" in shown.text
