"""群发: a published post goes to every follower once, where the account's quota allows."""

from __future__ import annotations

from server.publicity.models import MassStatus, Post
from tests.publicity.helpers import draft, make_world, published_post


async def _sends(sandbox_client) -> list[dict]:
    resp = await sandbox_client.get("/sandbox/outbox", params={"kind": "mass_sendall"})
    return resp.json()["items"]


async def _mass_send(client, world, post_id: int):
    return await client.post(f"/api/v1/posts/{post_id}/mass-send", headers=world.leader.headers)


async def test_mass_send_goes_out_once_and_asking_again_changes_nothing(client, sandbox_client):
    world = await make_world(client)
    row = await published_post(client, world)
    before = await client.get(f"/api/v1/posts/{row.id}", headers=world.leader.headers)
    assert before.json()["can"]["mass_send"] is True
    assert before.json()["mass"]["label"] == "未群发"

    resp = await _mass_send(client, world, row.id)
    assert resp.status_code == 200, resp.text
    shown = resp.json()
    assert shown["mass"]["status"] == "sent" and shown["mass"]["label"] == "已群发"
    assert shown["mass"]["sent_at"] and shown["can"]["mass_send"] is False
    assert shown["steps"][-1]["step"] == "mass_sent" and shown["steps"][-1]["label"] == "群发成功"
    sends = await _sends(sandbox_client)
    assert len(sends) == 1 and sends[0]["errcode"] == 0
    request = sends[0]["request"]
    assert request["mpnews"]["media_id"] == row.draft_media_id
    assert request["filter"] == {"is_to_all": True} and request["clientmsgid"]

    again = await _mass_send(client, world, row.id)
    assert again.status_code == 200 and again.json()["mass"]["status"] == "sent"
    assert len(await _sends(sandbox_client)) == 1  # WeChat was not asked twice


async def test_used_up_quota_is_refused_in_chinese_and_can_be_tried_another_day(
    client, sandbox_client
):
    world = await make_world(client)
    row = await published_post(client, world)
    await sandbox_client.post("/sandbox/mass_quota", json={"per_day": 0})

    resp = await _mass_send(client, world, row.id)
    assert resp.status_code == 409, resp.text
    body = resp.json()
    assert body["error"] == "mass_quota_used_up" and "群发次数已用完" in body["message"]
    shown = (await client.get(f"/api/v1/posts/{row.id}", headers=world.leader.headers)).json()
    assert shown["mass"]["status"] == "failed" and "群发次数已用完" in shown["mass"]["message"]
    assert shown["steps"][-1]["step"] == "mass_failed" and shown["can"]["mass_send"] is True
    assert (await _sends(sandbox_client))[0]["errcode"] == 45028

    await sandbox_client.post("/sandbox/mass_quota", json={"per_day": 1})
    retry = await _mass_send(client, world, row.id)
    assert retry.status_code == 200 and retry.json()["mass"]["status"] == "sent"


async def test_a_send_wechat_already_took_is_not_sent_twice(client, sandbox_client):
    world = await make_world(client)
    row = await published_post(client, world)
    assert (await _mass_send(client, world, row.id)).status_code == 200
    # As if the process died after WeChat took the send, before we stored it.
    await Post.filter(id=row.id).update(mass_status=MassStatus.FAILED)
    resp = await _mass_send(client, world, row.id)
    assert resp.status_code == 200 and resp.json()["mass"]["status"] == "sent"
    sends = await _sends(sandbox_client)
    assert [s["errcode"] for s in sends] == [0, 45065]  # the second was refused as a repeat


async def test_account_without_the_permission_is_told_what_to_do(client, sandbox_client):
    world = await make_world(client)
    row = await published_post(client, world)
    await sandbox_client.post(
        "/sandbox/faults", json={"kind": "mass_sendall", "errcode": 48001, "times": 1}
    )
    resp = await _mass_send(client, world, row.id)
    assert resp.status_code == 409 and resp.json()["error"] == "mass_not_authorised"
    assert "认证" in resp.json()["message"]


async def test_only_a_published_post_and_only_its_signer_may_mass_send(client, sandbox_client):
    world = await make_world(client)
    post = await draft(client, world)
    resp = await _mass_send(client, world, post["id"])
    assert resp.status_code == 409 and resp.json()["error"] == "not_published"
    organizer = await client.post(
        f"/api/v1/posts/{post['id']}/mass-send", headers=world.organizer.headers
    )
    assert organizer.status_code == 403
    assert await _sends(sandbox_client) == []
