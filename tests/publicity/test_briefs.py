"""简报 PDFs: one post, and a pairing's semester, with Chinese text and only consented photos."""

from __future__ import annotations

import io

from pypdf import PdfReader

from server.common.semester import semester_of
from server.common.time import now
from server.publicity.models import Post, PostStatus
from tests.publicity.helpers import PUBLICITY, add_photo, draft, finished_send
from tests.support.factories import login_as, make_kindergarten
from tests.support.world import make_world


def _read(content: bytes) -> tuple[str, int]:
    """All the text of a PDF and how many images it shows."""
    reader = PdfReader(io.BytesIO(content))
    text = "".join(page.extract_text() for page in reader.pages)
    images = sum(len(page.images) for page in reader.pages)
    return text.replace("\x00", "").replace(" ", "").replace("\n", ""), images


async def test_a_post_brief_prints_its_chinese_text_and_only_consented_photos(client):
    world = await make_world(
        client, PUBLICITY, activity=finished_send(reflection="孩子们专注的神情让我们深受触动。")
    )
    await add_photo(client, world, consent=True, caption="示范课现场")
    await add_photo(client, world, consent=False, caption="未经同意的照片")
    post = await draft(client, world)
    resp = await client.get(f"/api/v1/posts/{post['id']}/brief.pdf", headers=world.director.headers)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "application/pdf"
    assert "filename*=UTF-8''" in resp.headers["content-disposition"]
    text, images = _read(resp.content)
    # Text, not pictures of text: the embedded CJK font maps back to the characters.
    assert post["title"] in text
    assert "石桥村幼儿园" in text and "示范课现场" in text
    assert "未经同意的照片" not in text
    assert images == 1
    assert "尚未发布" in text  # a draft says so on paper


async def test_someone_outside_the_kindergarten_gets_no_brief(client):
    world = await make_world(client, PUBLICITY)
    post = await draft(client, world)
    other = await make_kindergarten()
    stranger = await login_as(client, "director", scope_id=other.id, teacher_of=other)
    resp = await client.get(f"/api/v1/posts/{post['id']}/brief.pdf", headers=stranger.headers)
    assert resp.status_code in (403, 404)
    teacher = await login_as(
        client, "teacher", scope_id=world.supported.id, teacher_of=world.supported
    )
    resp = await client.get(f"/api/v1/posts/{post['id']}/brief.pdf", headers=teacher.headers)
    assert resp.status_code == 403


async def test_a_semester_brief_has_the_targets_and_the_published_posts(client):
    world = await make_world(client, PUBLICITY)
    await add_photo(client, world, consent=True, caption="户外游戏")
    post = await draft(client, world)
    await Post.filter(id=post["id"]).update(status=PostStatus.PUBLISHED, published_at=now())
    semester = semester_of(world.activity.starts_at)
    url = f"/api/v1/pairings/{world.activity.pairing_id}/brief.pdf?semester={semester}"
    resp = await client.get(url, headers=world.leader.headers)
    assert resp.status_code == 200, resp.text
    text, images = _read(resp.content)
    assert "目标完成情况" in text and "送教" in text
    assert f"{semester}学期帮扶工作简报" in text
    # Each finished activity under its own title, its published post in short.
    assert "绘本教学示范课" in text and "3名教师参加了活动" in text and images == 1


async def test_a_semester_brief_without_posts_tells_the_activities_and_a_bad_semester_is_refused(
    client,
):
    world = await make_world(client, PUBLICITY)
    base = f"/api/v1/pairings/{world.activity.pairing_id}/brief.pdf"
    resp = await client.get(base, headers=world.leader.headers)
    assert resp.status_code == 200, resp.text
    # No post yet: the semester's finished activity is told all the same.
    assert "绘本教学示范课" in _read(resp.content)[0]
    bad = await client.get(base + "?semester=2026夏", headers=world.leader.headers)
    assert bad.status_code == 400 and "学期" in bad.json()["message"]
    # The host's organizer (who writes its posts) may print the pairing's 简报 too.
    mine = await client.get(base, headers=world.organizer.headers)
    assert mine.status_code == 200 and mine.content.startswith(b"%PDF")
