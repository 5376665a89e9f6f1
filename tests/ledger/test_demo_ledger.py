"""The demo county comes with books: a confirmed donation, one waiting, funds; loaded once."""

from __future__ import annotations

from server.demo import load_demo
from server.ledger.models import Donation, FundEntry
from server.orgs.models import Kindergarten, Pairing


async def test_the_demo_shows_a_ledger_and_loading_it_again_adds_nothing(client, api):
    await load_demo(api.app.ctx.runtime.settings)
    counts = (await Donation.all().count(), await FundEntry.all().count())
    await load_demo(api.app.ctx.runtime.settings)
    assert (await Donation.all().count(), await FundEntry.all().count()) == counts == (2, 3)
    pairing = await Pairing.get(
        supporting=await Kindergarten.get(name="湘江县实验幼儿园"),
        supported=await Kindergarten.get(name="湘江县机关幼儿园"),
    )
    login = await client.post("/api/v1/auth/login", json={"code": "demo-director"})
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    resp = await client.get(f"/api/v1/pairings/{pairing.id}/ledger", headers=headers)
    assert resp.status_code == 200, resp.text
    data = resp.json()
    assert [d["state"] for d in data["donations"]] == ["confirmed", "pending"]
    assert data["totals"]["donations"]["confirmed_value"] == "3949.50"
    assert data["totals"]["funds"]["allocated_confirmed"] == "20000.00"
    pdf = await client.get(f"/api/v1/pairings/{pairing.id}/disclosure.pdf", headers=headers)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
