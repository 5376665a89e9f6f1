"""Published posts per pairing: listed with their links, for whoever may see the pairing."""

from __future__ import annotations

from tests.publicity.helpers import PUBLICITY, draft, published_post
from tests.support.factories import login_as, make_kindergarten
from tests.support.world import make_world


async def test_pairing_lists_its_published_posts_with_their_links(client, sandbox_client):
    world = await make_world(client, PUBLICITY)
    row = await published_post(client, world)
    teacher = await login_as(client, "teacher", scope_id=world.supported.id)
    resp = await client.get(f"/api/v1/pairings/{row.pairing_id}/posts", headers=teacher.headers)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["count"] == 1 and body["pairing"]["supported_name"] == "石桥村幼儿园"
    item = body["items"][0]
    assert item["id"] == row.id and item["article_url"] == row.article_url
    assert item["kind"] == "activity" and item["published_at"]


async def test_posts_in_review_are_not_listed_for_the_pairing(client):
    world = await make_world(client, PUBLICITY)
    await draft(client, world)
    pairing_id = world.activity.pairing_id
    resp = await client.get(f"/api/v1/pairings/{pairing_id}/posts", headers=world.leader.headers)
    assert resp.status_code == 200 and resp.json() == {**resp.json(), "count": 0, "items": []}


async def test_someone_outside_the_pairing_gets_not_found(client):
    world = await make_world(client, PUBLICITY)
    stranger_kg = await make_kindergarten(name="别县幼儿园")
    stranger = await login_as(client, "organizer", scope_id=stranger_kg.id)
    resp = await client.get(
        f"/api/v1/pairings/{world.activity.pairing_id}/posts", headers=stranger.headers
    )
    assert resp.status_code == 404 and resp.json()["message"]
