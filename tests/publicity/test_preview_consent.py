"""The staff preview shows only photos whose consent still stands at preview time."""

from __future__ import annotations

from tests.publicity.helpers import PUBLICITY, add_photo, draft
from tests.support.world import make_world


async def _withdraw(client, world, file_id: int) -> None:
    resp = await client.patch(
        f"/api/v1/files/{file_id}", json={"consent": False}, headers=world.organizer.headers
    )
    assert resp.status_code == 200, resp.text


async def test_preview_stops_showing_a_photo_whose_consent_was_withdrawn(client):
    world = await make_world(client, PUBLICITY)
    kept = await add_photo(client, world, consent=True, caption="保留的照片")
    withdrawn = await add_photo(client, world, consent=True, caption="撤回的照片")
    post = await draft(client, world)
    url = f"/api/v1/posts/{post['id']}/preview"
    before = await client.get(url, headers=world.director.headers)
    assert before.status_code == 200
    assert before.text.count("data:image/jpeg;base64,") == 3  # cover + two photos

    await _withdraw(client, world, withdrawn["id"])
    after = await client.get(url, headers=world.director.headers)
    assert after.status_code == 200, after.text
    page = after.text
    # The cover (first photo, still consented) and the kept photo only.
    assert page.count("data:image/jpeg;base64,") == 2
    assert "已撤回公开同意" in page
    assert f"/api/v1/files/{withdrawn['id']}/content" not in page
    assert f"/api/v1/files/{kept['id']}/content" not in page


async def test_preview_cover_falls_back_to_a_title_card_without_consent(client):
    world = await make_world(client, PUBLICITY)
    only = await add_photo(client, world, consent=True)
    post = await draft(client, world)
    assert post["cover_file_id"] == only["id"]
    await _withdraw(client, world, only["id"])
    page = (
        await client.get(f"/api/v1/posts/{post['id']}/preview", headers=world.director.headers)
    ).text
    # No photo inlined at all: the cover is the drawn title card (a JPEG of its own).
    assert page.count("data:image/jpeg;base64,") == 1
    assert "已撤回公开同意" in page
    post_after = await client.get(f"/api/v1/posts/{post['id']}", headers=world.director.headers)
    photos = {p["id"]: p for p in post_after.json()["photos"]}
    assert photos[only["id"]]["usable"] is False
