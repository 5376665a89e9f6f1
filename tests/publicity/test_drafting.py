"""Drafting a post from a finished activity: content, limits, sanitising, consent, preview."""

from __future__ import annotations

import asyncio

from server.activities.models import ActivityStatus
from tests.archive.helpers import make_activity
from tests.publicity.helpers import PUBLICITY, add_photo, draft, finished_send
from tests.support.world import make_world


async def test_draft_tells_the_activity_with_consented_photos_only(client):
    world = await make_world(
        client,
        PUBLICITY,
        activity=finished_send(reflection="孩子们的眼睛亮了。我们学会了提问的方法。后面还有"),
    )
    shown = await add_photo(client, world, consent=True, caption="王丽老师执教示范课")
    hidden = await add_photo(client, world, consent=False, caption="未同意公开的照片")
    post = await draft(client, world)

    assert post["status"] == "drafting" and post["status_label"] == "撰稿中"
    assert post["title"] == "绘本教学示范课" or "绘本教学示范课" in post["title"]
    assert len(post["title"]) <= 32 and len(post["digest"]) <= 128
    html = post["html"]
    assert "湘江县实验幼儿园2位骨干教师走进石桥村幼儿园" in html
    assert "2026年10月15日" in html and "3名教师参加了活动" in html
    assert "王丽" in html and "示范课《小蝌蚪找妈妈》" in html and "李娜" in html
    assert "王丽</strong>（大二班·语言领域）" in html  # each lesson: teacher, class, 领域, title
    assert "1.5" in html and "课时" in html  # 1 + 0.5 课时 given
    assert "帮助村园教师掌握绘本教学的基本方法" in html  # purpose from the plan
    assert "孩子们的眼睛亮了。" in html and "活动反思" in html  # the quote
    assert "撰稿：孙雅琴" in html and "摄影：孙雅琴" in html and "审核：待审核" in html
    assert f"/api/v1/files/{shown['id']}/content" in html and "王丽老师执教示范课" in html
    assert f"/api/v1/files/{hidden['id']}/content" not in html
    assert "style=" in html and "<script" not in html
    photos = {p["id"]: p for p in post["photos"]}
    assert photos[shown["id"]]["usable"] is True
    assert photos[hidden["id"]]["usable"] is False
    assert "未标记“同意公开”" in photos[hidden["id"]]["reason"]
    assert post["cover_file_id"] == shown["id"]
    assert post["can"]["edit"] and post["can"]["submit"] and not post["can"]["sign"]

    again = await client.post(
        f"/api/v1/activities/{world.activity.id}/post", json={}, headers=world.organizer.headers
    )
    assert again.status_code == 200 and again.json()["id"] == post["id"]


async def test_photo_without_consent_is_refused_with_the_reason(client):
    world = await make_world(client, PUBLICITY)
    hidden = await add_photo(client, world, consent=False)
    resp = await client.post(
        f"/api/v1/activities/{world.activity.id}/post",
        json={"photo_ids": [hidden["id"]]},
        headers=world.organizer.headers,
    )
    assert resp.status_code == 422
    assert resp.json()["error"] == "photo_not_consented"
    assert "同意公开" in resp.json()["message"]


async def test_editing_in_a_photo_without_consent_is_refused(client):
    world = await make_world(client, PUBLICITY)
    hidden = await add_photo(client, world, consent=False)
    post = await draft(client, world)
    html = post["html"] + f'<p><img src="/api/v1/files/{hidden["id"]}/content"></p>'
    resp = await client.patch(
        f"/api/v1/posts/{post['id']}", json={"html": html}, headers=world.organizer.headers
    )
    assert resp.status_code == 422 and resp.json()["error"] == "photo_not_consented"
    foreign = post["html"] + '<p><img src="https://example.com/x.jpg"></p>'
    resp = await client.patch(
        f"/api/v1/posts/{post['id']}", json={"html": foreign}, headers=world.organizer.headers
    )
    assert resp.status_code == 422 and "已同意公开的照片" in resp.json()["message"]
    resp = await client.patch(
        f"/api/v1/posts/{post['id']}",
        json={"cover_file_id": hidden["id"]},
        headers=world.organizer.headers,
    )
    assert resp.status_code == 422 and resp.json()["error"] == "photo_not_consented"


async def test_unfinished_activity_cannot_be_drafted(client):
    world = await make_world(client, PUBLICITY)
    other = await make_activity(host=world.supported, status=ActivityStatus.PUBLISHED)
    resp = await client.post(
        f"/api/v1/activities/{other.id}/post", json={}, headers=world.organizer.headers
    )
    assert resp.status_code == 409 and "活动结束后" in resp.json()["message"]


async def test_edit_is_sanitised_on_every_save(client):
    world = await make_world(client, PUBLICITY)
    post = await draft(client, world)
    dirty = (
        '<p onclick="steal()" style="color:#333;position:fixed">正文'
        "<script>alert(1)</script><iframe src='https://evil.example'>x</iframe>"
        '<a href="javascript:alert(1)">链接</a><a href="https://ok.example">好链接</a></p>'
    )
    resp = await client.patch(
        f"/api/v1/posts/{post['id']}",
        json={"title": "  新标题  ", "digest": "新摘要", "html": dirty},
        headers=world.organizer.headers,
    )
    assert resp.status_code == 200, resp.text
    saved = resp.json()
    assert saved["title"] == "新标题" and saved["digest"] == "新摘要"
    html = saved["html"]
    for gone in ("<script", "alert(1)", "<iframe", "evil.example", "onclick", "javascript:"):
        assert gone not in html
    assert "position" not in html and 'style="color:#333"' in html
    assert '<a href="https://ok.example">好链接</a>' in html and "正文" in html


async def test_limits_are_refused_in_chinese(client):
    world = await make_world(client, PUBLICITY)
    post = await draft(client, world)
    url, headers = f"/api/v1/posts/{post['id']}", world.organizer.headers

    resp = await client.patch(url, json={"title": "题" * 33}, headers=headers)
    assert resp.status_code == 400 and resp.json()["error"] == "title_too_long"
    assert "32" in resp.json()["message"]
    assert (await client.patch(url, json={"title": "题" * 32}, headers=headers)).status_code == 200

    resp = await client.patch(url, json={"digest": "摘" * 129}, headers=headers)
    assert resp.status_code == 400 and resp.json()["error"] == "digest_too_long"
    assert "128" in resp.json()["message"]

    resp = await client.patch(url, json={"html": "<p>" + "字" * 20_000 + "</p>"}, headers=headers)
    assert resp.status_code == 400 and resp.json()["error"] == "body_too_long"
    assert "20000" in resp.json()["message"]

    resp = await client.patch(url, json={"html": "<script>x</script>"}, headers=headers)
    assert resp.status_code == 400 and resp.json()["message"] == "正文不能为空"


async def test_preview_is_a_phone_page_with_images_inlined(client):
    world = await make_world(client, PUBLICITY)
    photo = await add_photo(client, world, consent=True)
    post = await draft(client, world)
    resp = await client.get(f"/api/v1/posts/{post['id']}/preview", headers=world.director.headers)
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in resp.headers["content-security-policy"]
    page = resp.text
    assert 'class="phone"' in page and post["title"] in page and "撰稿中" in page
    assert "data:image/jpeg;base64," in page
    assert f"/api/v1/files/{photo['id']}/content" not in page


async def test_two_clicks_at_once_make_one_post(client):
    world = await make_world(client, PUBLICITY)
    url = f"/api/v1/activities/{world.activity.id}/post"
    first, second = await asyncio.gather(
        client.post(url, json={}, headers=world.organizer.headers),
        client.post(url, json={}, headers=world.organizer.headers),
    )
    assert sorted([first.status_code, second.status_code]) == [200, 201]
    assert first.json()["id"] == second.json()["id"]
