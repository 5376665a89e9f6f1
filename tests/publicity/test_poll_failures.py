"""No silent failure in the publicity crons: a post that keeps failing does not hold up the
others, is given up after the cap, and says why on the post and in /metrics."""

from __future__ import annotations

import asyncio
import html
from datetime import timedelta

from server.common.time import now
from server.jobs.failures import MAX_ATTEMPTS
from server.publicity import mass_send, publish
from server.publicity.models import Post
from server.wechat.sandbox.events import DELAY_S
from tests.metrics.test_metrics import moved, scrape
from tests.publicity.helpers import PUBLICITY, draft, published_post, submitted, to_signing
from tests.support.http import http_client
from tests.support.sandbox import read_outbox
from tests.support.world import make_world
from tests.web.console import console_person, password_login

POLL_GIVEN_UP = 'songjiao_job_failures_total{job="publicity.poll_publishes",outcome="given_up"}'
MASS_GIVEN_UP = 'songjiao_job_failures_total{job="publicity.poll_mass_sends",outcome="given_up"}'


async def _signed_post(client, world) -> Post:
    post = await draft(client, world)
    await to_signing(client, world, post["id"])
    resp = await client.post(f"/api/v1/posts/{post['id']}/sign", headers=world.leader.headers)
    assert resp.status_code == 200, resp.text
    return await submitted(post["id"])


async def _console_page(api, world, post_id: int) -> str:
    """The post's console page as a leader of its region sees it."""
    _, login = await console_person(
        "leader", scope_kind="region", scope_id=world.supported.region_id
    )
    async with http_client(base_url=api.url, timeout=15) as browser:
        await password_login(browser, login)
        resp = await browser.get(f"/console/posts/{post_id}")
        assert resp.status_code == 200, resp.text
        return html.unescape(resp.text)


async def test_a_post_that_keeps_failing_does_not_hold_up_the_others_and_is_given_up(
    api, client, sandbox_client, monkeypatch
):
    first, second = await make_world(client, PUBLICITY), await make_world(client, PUBLICITY)
    broken, good = await _signed_post(client, first), await _signed_post(client, second)
    assert broken.id < good.id and broken.publish_id and good.publish_id
    # The first is stuck before submit, and publishing it hits a bug (not a WeChat error).
    await Post.filter(id=broken.id).update(publish_id="")
    tries: list[int] = []

    async def failing_draft(post, wechat, data_dir):
        tries.append(post.id)
        raise AttributeError("'str' object has no attribute 'isoformat'")

    monkeypatch.setattr(publish, "_draft", failing_draft)
    before = await scrape(client)
    for _ in range(MAX_ATTEMPTS + 2):
        await publish.poll_publishes()
    # The good post was settled meanwhile; the broken one was tried up to the cap, then no more.
    assert (await Post.get(id=good.id)).status == "published"
    assert tries == [broken.id] * MAX_ATTEMPTS
    shown = await client.get(f"/api/v1/posts/{broken.id}", headers=first.leader.headers)
    assert shown.status_code == 200, shown.text
    assert shown.json()["status"] == "failed"
    reason = shown.json()["fail_message"]
    assert f"已自动重试 {MAX_ATTEMPTS} 次" in reason and "AttributeError" in reason
    assert "重新签发" in reason
    assert moved(before, await scrape(client))[POLL_GIVEN_UP] == 1
    assert reason in await _console_page(api, first, broken.id)
    # Signed again, it is published afresh (the give-up of the last round does not stick).
    monkeypatch.undo()
    resp = await client.post(f"/api/v1/posts/{broken.id}/sign", headers=first.leader.headers)
    assert resp.status_code == 200, resp.text
    assert (await submitted(broken.id)).publish_id


async def test_wechat_unreachable_for_a_submitted_post_is_given_up_and_said(client, sandbox_client):
    world = await make_world(client, PUBLICITY)
    post = await _signed_post(client, world)
    await sandbox_client.post(
        "/sandbox/faults", json={"kind": "freepublish_get", "errcode": -1, "times": 50}
    )
    before = await scrape(client)
    for _ in range(MAX_ATTEMPTS):
        await publish.poll_publishes()
    asked = len(await read_outbox(sandbox_client, kind="freepublish_get"))
    assert (await publish.poll_publishes())["checked"] == 0  # given up: not asked again
    assert len(await read_outbox(sandbox_client, kind="freepublish_get")) == asked
    shown = (await client.get(f"/api/v1/posts/{post.id}", headers=world.leader.headers)).json()
    # WeChat may have published it: still 发布中 (never signed twice), with the reason.
    assert shown["status"] == "publishing"
    assert f"已自动重试 {MAX_ATTEMPTS} 次" in shown["fail_message"]
    assert "公众号后台核对" in shown["fail_message"]
    assert moved(before, await scrape(client))[POLL_GIVEN_UP] == 1


async def test_a_mass_send_whose_result_cannot_be_asked_is_given_up_and_said(
    api, client, sandbox_client
):
    world = await make_world(client, PUBLICITY)
    row = await published_post(client, world)
    resp = await client.post(f"/api/v1/posts/{row.id}/mass-send", headers=world.leader.headers)
    assert resp.status_code == 200, resp.text
    await asyncio.sleep(DELAY_S + 0.2)
    await Post.filter(id=row.id).update(mass_submitted_at=now() - timedelta(minutes=41))
    await sandbox_client.post(
        "/sandbox/faults", json={"kind": "mass_get", "errcode": -1, "times": 50}
    )
    before = await scrape(client)
    for _ in range(MAX_ATTEMPTS):
        assert (await mass_send.poll_mass_sends())["checked"] == 1
    assert await mass_send.poll_mass_sends() == {"checked": 0, "settled": 0}
    mass = (await client.get(f"/api/v1/posts/{row.id}", headers=world.leader.headers)).json()[
        "mass"
    ]
    # Not marked failed: WeChat may have sent it, and a second 群发 would reach everyone twice.
    assert mass["status"] == "submitted"
    assert (
        f"已自动重试 {MAX_ATTEMPTS} 次" in mass["message"] and "公众号后台核对" in mass["message"]
    )
    assert moved(before, await scrape(client))[MASS_GIVEN_UP] == 1
    assert mass["message"] in await _console_page(api, world, row.id)
