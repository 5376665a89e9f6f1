"""The 公示 as a 公众号 post: drafted from the ledger by the 帮扶园, reviewed and signed by
two other people through the existing flow, published; a post whose figures the ledger no
longer has is refused until it is drafted again."""

from __future__ import annotations

from server.publicity import publish
from server.publicity.models import Post
from tests.ledger.helpers import LEDGER, SEMESTER, record_donation, record_fund
from tests.publicity.helpers import submitted
from tests.support.world import make_world


async def _draft(client, who, pairing_id: int):
    return await client.post(
        f"/api/v1/pairings/{pairing_id}/disclosure-post",
        json={"semester": SEMESTER},
        headers=who.headers,
    )


async def test_the_disclosure_is_drafted_reviewed_signed_and_published(client):
    w = await make_world(client, LEDGER)
    donation = await record_donation(client, w.giver, w.pairing.id)
    await client.post(
        f"/api/v1/donations/{donation['id']}/confirm",
        json={"items": [{"item_id": donation["items"][0]["id"], "outcome": "received"}]},
        headers=w.receiver.headers,
    )
    await record_fund(client, w.giver, w.pairing.id, direction="allocated", amount="20000.00")
    # The receiving side does not write the 公示 of the pairing.
    assert (await _draft(client, w.receiver_organizer, w.pairing.id)).status_code == 404
    resp = await _draft(client, w.giver, w.pairing.id)
    assert resp.status_code == 201, resp.text
    post = resp.json()
    assert post["kind"] == "disclosure" and post["semester"] == SEMESTER
    assert "捐赠与经费公示" in post["title"]
    assert "物资估值合计 1,800.00 元（已确认接收 1,800.00 元）" in post["html"]
    assert "经费拨付 20,000.00 元（已确认 0.00 元）" in post["html"]
    assert post["photos"] == []
    again = await _draft(client, w.giver, w.pairing.id)
    assert again.status_code == 200 and again.json()["id"] == post["id"]

    url = f"/api/v1/posts/{post['id']}"
    assert (await client.post(f"{url}/submit", headers=w.giver.headers)).status_code == 200
    approved = await client.post(f"{url}/approve", json={}, headers=w.giver_director.headers)
    assert approved.status_code == 200, approved.text
    signed = await client.post(f"{url}/sign", headers=w.leader.headers)
    assert signed.status_code == 200, signed.text
    await submitted(post["id"])
    for _ in range(3):  # the sandbox answers "publishing" first, then the URL
        await publish.poll_publishes()
    row = await Post.get(id=post["id"])
    assert row.status == "published" and row.article_url, row.fail_message
    listed = await client.get(f"/api/v1/pairings/{w.pairing.id}/posts", headers=w.receiver.headers)
    assert post["id"] in [p["id"] for p in listed.json()["items"]]


async def test_the_writer_does_not_review_her_own_disclosure(client):
    w = await make_world(client, LEDGER)
    await record_fund(client, w.giver, w.pairing.id, direction="allocated", amount="100.00")
    post = (await _draft(client, w.giver_director, w.pairing.id)).json()
    url = f"/api/v1/posts/{post['id']}"
    assert (await client.post(f"{url}/submit", headers=w.giver_director.headers)).status_code == 200
    own = await client.post(f"{url}/approve", json={}, headers=w.giver_director.headers)
    assert own.status_code in (403, 409), own.text
    assert (await Post.get(id=post["id"])).status == "reviewing"


async def test_a_disclosure_whose_figures_changed_is_refused_until_drafted_again(client):
    w = await make_world(client, LEDGER)
    await record_fund(client, w.giver, w.pairing.id, direction="allocated", amount="5000.00")
    post = (await _draft(client, w.giver, w.pairing.id)).json()
    await record_fund(client, w.giver, w.pairing.id, amount="300.00")  # the books move on
    url = f"/api/v1/posts/{post['id']}"
    refused = await client.post(f"{url}/submit", headers=w.giver.headers)
    assert refused.status_code == 409 and refused.json()["error"] == "disclosure_outdated"
    redrafted = await _draft(client, w.giver, w.pairing.id)
    assert redrafted.status_code == 200 and "支出 300.00 元" in redrafted.json()["html"]
    assert (await client.post(f"{url}/submit", headers=w.giver.headers)).status_code == 200
    approved = await client.post(f"{url}/approve", json={}, headers=w.giver_director.headers)
    assert approved.status_code == 200
    # Changed again while waiting for the signature: the signer is refused too.
    await record_fund(client, w.giver, w.pairing.id, amount="1.00")
    sign = await client.post(f"{url}/sign", headers=w.leader.headers)
    assert sign.status_code == 409 and sign.json()["error"] == "disclosure_outdated"
    assert (await Post.get(id=post["id"])).status == "signing"
