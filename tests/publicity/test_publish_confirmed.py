"""A PUBLISHJOBFINISH event only says "ask": the outcome and URL come from freepublish/get.

The events here are correctly signed and encrypted (safe mode), as only someone holding the
callback token and the EncodingAESKey could send them; even so, what they claim is not stored.
"""

from __future__ import annotations

from server.publicity import publish
from server.publicity.models import Post
from tests.bots.callback import follower_openid
from tests.bots.conftest import callback_mode, safe_api, safe_wechat_server  # noqa: F401 (fixtures)
from tests.publicity.helpers import PUBLICITY, draft, submitted, to_signing
from tests.support.sandbox import read_outbox
from tests.support.world import make_world

FORGED_URL = "https://evil.example/phishing"


def _event_info(publish_id: str, status: int = 0, url: str = FORGED_URL) -> str:
    return (
        f"<publish_id>{publish_id}</publish_id><publish_status>{status}</publish_status>"
        "<article_id>forged</article_id><article_detail><count>1</count><item><idx>1</idx>"
        f"<article_url><![CDATA[{url}]]></article_url></item></article_detail>"
    )


async def _publishing(client, sandbox_client, *, wechat_status: int = 0) -> Post:
    """A signed post WeChat is publishing; WeChat will end it with `wechat_status`."""
    world = await make_world(client, PUBLICITY)
    post = await draft(client, world)
    await to_signing(client, world, post["id"])
    await sandbox_client.post("/sandbox/publish_outcome", json={"status": wechat_status})
    resp = await client.post(f"/api/v1/posts/{post['id']}/sign", headers=world.leader.headers)
    assert resp.status_code == 200, resp.text
    row = await submitted(post["id"])
    assert row.status == "publishing" and row.publish_id
    return row


async def _gets(sandbox_client) -> int:
    return len(await read_outbox(sandbox_client, kind="freepublish_get"))


async def _announce(safe_wechat_server, row: Post, **info) -> None:  # noqa: F811
    reply = await safe_wechat_server.event(
        follower_openid("mphelper"),
        "PUBLISHJOBFINISH",
        PublishEventInfo=_event_info(row.publish_id, **info),
    )
    assert reply.status == 200 and reply.text == "success"


async def test_event_url_is_never_stored_the_url_comes_from_freepublish_get(
    client,
    sandbox_client,
    safe_wechat_server,  # noqa: F811
):
    row = await _publishing(client, sandbox_client)
    await publish.poll_publishes()  # WeChat answers "publishing" until the job has ended
    await _announce(safe_wechat_server, row)
    row = await Post.get(id=row.id)
    assert row.status == "published"
    assert "/sandbox/articles/" in row.article_url and FORGED_URL not in row.article_url
    assert await _gets(sandbox_client) == 2  # the poll, then the event's confirmation


async def test_success_event_while_wechat_is_still_publishing_changes_nothing(
    client,
    sandbox_client,
    safe_wechat_server,  # noqa: F811
):
    row = await _publishing(client, sandbox_client)
    await _announce(safe_wechat_server, row)
    row = await Post.get(id=row.id)
    assert row.status == "publishing" and row.article_url == ""
    await publish.poll_publishes()  # the job ends: the cron finds WeChat's own URL
    row = await Post.get(id=row.id)
    assert row.status == "published" and "/sandbox/articles/" in row.article_url


async def test_success_event_for_a_job_wechat_rejected_fails_the_post(
    client,
    sandbox_client,
    safe_wechat_server,  # noqa: F811
):
    row = await _publishing(client, sandbox_client, wechat_status=4)
    await publish.poll_publishes()
    await _announce(safe_wechat_server, row)
    row = await Post.get(id=row.id)
    assert row.status == "failed" and row.fail_code == "status:4" and row.article_url == ""


async def test_failure_event_for_a_job_wechat_published_cannot_fail_the_post(
    client,
    sandbox_client,
    safe_wechat_server,  # noqa: F811
):
    row = await _publishing(client, sandbox_client)
    await publish.poll_publishes()
    await _announce(safe_wechat_server, row, status=3)
    row = await Post.get(id=row.id)
    assert row.status == "published" and "/sandbox/articles/" in row.article_url


async def test_event_for_an_unknown_job_asks_nobody(
    client,
    sandbox_client,
    safe_wechat_server,  # noqa: F811
):
    before = await _gets(sandbox_client)
    await _announce(safe_wechat_server, Post(publish_id="2247999999"))
    assert await _gets(sandbox_client) == before
