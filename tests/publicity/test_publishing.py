"""签发 → WeChat: images, cover, draft, submit; outcome by callback, by polling, or failure."""

from __future__ import annotations

import io

from PIL import Image

from server.publicity import publish
from server.publicity.models import Post
from tests.bots.callback import WeChatServer, follower_openid
from tests.publicity.helpers import PUBLICITY, add_photo, draft, submitted, to_signing, wait_for
from tests.support.http import http_client
from tests.support.sandbox import read_outbox
from tests.support.world import make_world


def big_photo() -> bytes:
    """A 3000×2000 noisy JPEG well over 1 MB (too big for media/uploadimg as it is)."""
    out = io.BytesIO()
    Image.effect_noise((3000, 2000), 90).convert("RGB").save(out, format="JPEG", quality=97)
    assert out.tell() > 1024 * 1024
    return out.getvalue()


async def _signed(client, world, post_id: int) -> Post:
    resp = await client.post(f"/api/v1/posts/{post_id}/sign", headers=world.leader.headers)
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] in ("publishing", "failed")
    return await submitted(post_id)


async def test_signed_post_is_published_and_the_callback_brings_its_url(client, sandbox_client):
    world = await make_world(client, PUBLICITY)
    await add_photo(client, world, consent=True, data=big_photo(), caption="大照片")
    await add_photo(client, world, consent=True, caption="第二张")
    post = await draft(client, world)
    await to_signing(client, world, post["id"])

    row = await _signed(client, world, post["id"])
    assert row.status == "publishing" and row.publish_id

    uploads = await read_outbox(sandbox_client, kind="uploadimg")
    assert len(uploads) == 2 and all(u["errcode"] == 0 for u in uploads)
    assert all(u["request"]["media"]["size"] < 1024 * 1024 for u in uploads)
    assert {u["request"]["media"]["type"] for u in uploads} <= {"jpeg", "png"}
    thumbs = await read_outbox(sandbox_client, kind="add_material")
    assert len(thumbs) == 1 and thumbs[0]["errcode"] == 0
    assert thumbs[0]["request"]["type"] == "thumb"
    assert thumbs[0]["request"]["media"]["size"] <= 64 * 1024
    drafts = await read_outbox(sandbox_client, kind="draft_add")
    assert len(drafts) == 1 and drafts[0]["errcode"] == 0
    assert len(await read_outbox(sandbox_client, kind="freepublish_submit")) == 1

    # Running the job again changes nothing at WeChat.
    await publish.publish_post(post_id=post["id"])
    assert len(await read_outbox(sandbox_client, kind="uploadimg")) == 2
    assert len(await read_outbox(sandbox_client, kind="draft_add")) == 1

    await publish.poll_publishes()  # WeChat answers "publishing" until the job has ended
    event_url = "https://mp.weixin.qq.com/s/songjiao-test"
    info = (
        f"<publish_id>{row.publish_id}</publish_id><publish_status>0</publish_status>"
        "<article_id>abc</article_id><article_detail><count>1</count><item><idx>1</idx>"
        f"<article_url><![CDATA[{event_url}]]></article_url></item></article_detail>"
    )
    reply = await WeChatServer(client).event(
        follower_openid("pub"), "PUBLISHJOBFINISH", PublishEventInfo=info
    )
    assert reply.status == 200

    async def published():
        resp = await client.get(f"/api/v1/posts/{post['id']}", headers=world.organizer.headers)
        return resp.json() if resp.json()["status"] == "published" else None

    shown = await wait_for(published)
    # The URL is the one freepublish/get answered when the event came, not the event's.
    url = shown["article_url"]
    assert shown["status_label"] == "已发布" and "/sandbox/articles/" in url and url != event_url
    assert len(await read_outbox(sandbox_client, kind="freepublish_get")) == 2
    assert [s["step"] for s in shown["steps"]][-2:] == ["signed", "published"]
    listed = await client.get("/api/v1/posts?status=published", headers=world.leader.headers)
    assert listed.json()["items"][0]["article_url"] == url


async def test_polling_finds_the_url_when_the_callback_never_comes(client, sandbox_client):
    world = await make_world(client, PUBLICITY)
    await add_photo(client, world, consent=True)
    post = await draft(client, world)
    await to_signing(client, world, post["id"])
    await _signed(client, world, post["id"])

    first = await publish.poll_publishes()  # WeChat answers "publishing" the first time
    assert first["settled"] == 0
    second = await publish.poll_publishes()
    assert second["settled"] == 1
    row = await Post.get(id=post["id"])
    assert row.status == "published" and row.article_url
    # The article WeChat shows carries WeChat's image URLs, not ours.
    async with http_client() as http:
        page = (await http.get(row.article_url)).text
    assert "/sandbox/media/" in page and "/api/v1/files/" not in page
    assert (await publish.poll_publishes())["checked"] == 0


async def test_post_without_photos_gets_a_generated_title_card(client, sandbox_client):
    world = await make_world(client, PUBLICITY)
    post = await draft(client, world)
    assert post["cover_file_id"] is None
    await to_signing(client, world, post["id"])
    row = await _signed(client, world, post["id"])
    assert row.publish_id and row.thumb_media_id
    media = await sandbox_client.get(f"/sandbox/media/{row.thumb_media_id}")
    card = Image.open(io.BytesIO(media.content))
    assert card.format == "JPEG" and card.size == (900, 383) and len(media.content) <= 64 * 1024


async def test_unauthorised_account_fails_in_chinese_and_can_be_signed_again(
    client, sandbox_client
):
    world = await make_world(client, PUBLICITY)
    post = await draft(client, world)
    await to_signing(client, world, post["id"])
    await sandbox_client.post("/sandbox/publish_outcome", json={"errcode": 48001})
    row = await _signed(client, world, post["id"])
    assert row.status == "failed" and row.fail_code == "48001"
    shown = (await client.get(f"/api/v1/posts/{post['id']}", headers=world.leader.headers)).json()
    assert shown["status_label"] == "发布失败"
    assert "48001" in shown["fail_message"] and "微信认证" in shown["fail_message"]
    assert shown["can"]["sign"] and shown["can"]["send_back"]

    await sandbox_client.post("/sandbox/publish_outcome", json={"status": 0})
    row = await _signed(client, world, post["id"])
    assert row.status == "publishing" and row.publish_id and row.fail_message == ""


async def test_rejected_by_review_fails_with_what_to_do(client, sandbox_client):
    world = await make_world(client, PUBLICITY)
    post = await draft(client, world)
    await to_signing(client, world, post["id"])
    await sandbox_client.post("/sandbox/publish_outcome", json={"status": 4})
    await _signed(client, world, post["id"])
    await publish.poll_publishes()
    await publish.poll_publishes()
    shown = (
        await client.get(f"/api/v1/posts/{post['id']}", headers=world.organizer.headers)
    ).json()
    assert shown["status"] == "failed" and shown["fail_code"] == "status:4"
    assert "平台审核不通过" in shown["fail_message"] and "退回撰稿" in shown["fail_message"]
    resp = await client.post(
        f"/api/v1/posts/{post['id']}/send-back",
        json={"comment": "请删去涉及幼儿姓名的文字"},
        headers=world.leader.headers,
    )
    assert resp.status_code == 200 and resp.json()["status"] == "drafting"


async def test_failed_status_from_the_callback_is_shown(client, sandbox_client):
    world = await make_world(client, PUBLICITY)
    post = await draft(client, world)
    await to_signing(client, world, post["id"])
    await sandbox_client.post("/sandbox/publish_outcome", json={"status": 2})
    row = await _signed(client, world, post["id"])
    await publish.poll_publishes()  # "publishing" until the job has ended
    info = f"<publish_id>{row.publish_id}</publish_id><publish_status>2</publish_status>"
    await WeChatServer(client).event(
        follower_openid("pub2"), "PUBLISHJOBFINISH", PublishEventInfo=info
    )

    async def failed():
        row = await Post.get(id=post["id"])
        return row if row.status == "failed" else None

    row = await wait_for(failed)
    assert row.fail_code == "status:2" and "原创" in row.fail_message


async def test_busy_wechat_leaves_the_post_publishing_and_the_cron_continues_it(
    client, sandbox_client
):
    world = await make_world(client, PUBLICITY)
    await add_photo(client, world, consent=True)
    post = await draft(client, world)
    await to_signing(client, world, post["id"])
    await sandbox_client.post(
        "/sandbox/faults", json={"kind": "draft_add", "errcode": -1, "times": 1}
    )
    resp = await client.post(f"/api/v1/posts/{post['id']}/sign", headers=world.leader.headers)
    assert resp.status_code == 200
    await publish.publish_post(post_id=post["id"])

    async def tried():
        return await read_outbox(sandbox_client, kind="draft_add")

    first = (await wait_for(tried))[0]
    assert first["errcode"] == -1

    async def settled():
        row = await Post.get(id=post["id"])
        return row if row.fail_message or row.publish_id else None

    row = await wait_for(settled)
    if not row.publish_id:  # nobody ran the job again yet: it waits for the cron
        assert row.status == "publishing" and "自动重试" in row.fail_message
        assert row.image_urls and row.thumb_media_id
        assert (await publish.poll_publishes())["restarted"] == 1
    row = await Post.get(id=post["id"])
    assert row.publish_id and row.fail_message == ""
    # Images and cover were kept from the first run: uploaded once.
    assert len(await read_outbox(sandbox_client, kind="uploadimg")) == 1
    assert len(await read_outbox(sandbox_client, kind="add_material")) == 1
    assert [d["errcode"] for d in await read_outbox(sandbox_client, kind="draft_add")] == [-1, 0]


async def test_sandbox_pushes_publishjobfinish_to_the_callback_as_wechat_does(
    api, client, sandbox_client
):
    world = await make_world(client, PUBLICITY)
    post = await draft(client, world)
    await to_signing(client, world, post["id"])
    # The sandbox was started with the api's callback (tests/conftest.py): only turn it on.
    assert (await sandbox_client.post("/sandbox/event_push")).status_code == 200
    try:
        await _signed(client, world, post["id"])

        async def published():  # no polling here: only the pushed event can publish it
            row = await Post.get(id=post["id"])
            return row if row.status == "published" else None

        row = await wait_for(published)
    finally:
        await sandbox_client.delete("/sandbox/event_push")
    assert row.article_url.startswith("http") and "/sandbox/articles/" in row.article_url
    # Only the callback asked WeChat (nobody polled here), and it asked once.
    assert len(await read_outbox(sandbox_client, kind="freepublish_get")) == 1
