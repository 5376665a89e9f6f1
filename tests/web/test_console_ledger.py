"""Console: 捐赠与经费 – the 帮扶园 records a donation and a fund line through the forms, the
receiving director confirms item by item, the 公示 page and PDF show the ledger's figures and
the 公示 is drafted as a post; another pairing's pages answer like unknown ones."""

from __future__ import annotations

import re

import httpx

from server.accounts.models import Account
from server.accounts.web_login import set_password
from server.ledger.models import Donation, FundEntry
from server.publicity.models import Post
from tests.archive.helpers import jpeg_bytes
from tests.ledger.helpers import LEDGER
from tests.support.factories import LoggedIn, make_kindergarten, unique
from tests.support.http import http_client
from tests.support.world import make_pairing, make_world
from tests.web.console import PASSWORD, csrf_of, password_login


async def _console(api, who: LoggedIn) -> httpx.AsyncClient:
    """A logged-in console browser for a person of the ledger world."""
    account = await Account.get(person_id=who.person.id)
    login = unique("ledger-web-")
    await set_password(account_id=account.id, login=login, password=PASSWORD)
    browser = http_client(base_url=api.url, timeout=15)
    resp = await password_login(browser, login)
    assert resp.status_code == 303, resp.text
    return browser


async def test_record_confirm_and_disclose_through_the_console(client, api):
    w = await make_world(client, LEDGER)
    giver = await _console(api, w.giver)
    receiver = await _console(api, w.receiver)
    try:
        index = await giver.get("/console/ledger")
        assert index.status_code == 200 and f"/console/ledger/pairing/{w.pairing.id}" in index.text
        unit_url = f"/console/ledger/pairing/{w.pairing.id}?semester=2026秋"
        page = await giver.get(unit_url)
        assert page.status_code == 200 and 'id="donation-form"' in page.text
        token = csrf_of(page.text)
        made = await giver.post(
            f"/console/ledger/pairing/{w.pairing.id}/donations",
            data={
                "csrf_token": token,
                "donated_on": "2026-10-12",
                "note": "随送教活动送达",
                "item_1_category": "图书",
                "item_1_name": "绘本《小蝌蚪找妈妈》",
                "item_1_quantity": "120",
                "item_1_unit": "册",
                "item_1_value": "1800",
                "item_2_category": "玩具",
                "item_2_name": "木质积木",
                "item_2_quantity": "20",
                "item_2_unit": "套",
                "item_2_value": "650.40",
            },
        )
        assert made.status_code == 303, made.text
        donation = await Donation.get(pairing_id=w.pairing.id)
        assert made.headers["location"] == f"/console/ledger/donations/{donation.id}"
        photo = await giver.post(
            f"/console/ledger/donations/{donation.id}/photos",
            data={"csrf_token": token},
            files={"file": ("到货.jpg", jpeg_bytes(), "image/jpeg")},
        )
        assert photo.status_code == 303, photo.text
        fund = await giver.post(
            f"/console/ledger/pairing/{w.pairing.id}/funds",
            data={
                "csrf_token": token,
                "direction": "allocated",
                "occurred_on": "2026-10-12",
                "amount": "20000.00",
                "category": "培训",
                "purpose": "县教育局下拨结对帮扶经费",
            },
        )
        assert fund.status_code == 303, fund.text
        assert (await FundEntry.get(pairing_id=w.pairing.id)).purpose == "县教育局下拨结对帮扶经费"
        books = await giver.get(unit_url)
        assert '<b id="total-allocated">20,000.00</b>' in books.text
        assert '<b id="total-donated">2,450.40</b>' in books.text

        shown = await receiver.get(f"/console/ledger/donations/{donation.id}")
        assert shown.status_code == 200 and 'id="confirm-form"' in shown.text
        assert "/console/ledger/files/" in shown.text
        content_hash = re.search(r'name="content_hash" value="([0-9a-f]+)"', shown.text).group(1)
        item_ids = [int(i) for i in re.findall(r'name="outcome_(\d+)"', shown.text)]
        assert len(item_ids) == 2
        confirm = await receiver.post(
            f"/console/ledger/donations/{donation.id}/confirm",
            data={
                "csrf_token": csrf_of(shown.text),
                "content_hash": content_hash,
                f"outcome_{item_ids[0]}": "received",
                f"outcome_{item_ids[1]}": "short",
                f"received_{item_ids[1]}": "18",
            },
        )
        assert confirm.status_code == 303, confirm.text
        locked = await receiver.get(f"/console/ledger/donations/{donation.id}")
        assert "已确认接收（部分物品数量不足或有损坏）" in locked.text
        assert 'id="confirm-form"' not in locked.text and 'id="reopen"' in locked.text

        # The receiving side reads the 公示 but does not write its post.
        seen = await receiver.get(f"/console/ledger/pairing/{w.pairing.id}/disclosure")
        assert seen.status_code == 200 and 'id="disclosure-post"' not in seen.text
        disclosure = await giver.get(
            f"/console/ledger/pairing/{w.pairing.id}/disclosure?semester=2026秋"
        )
        assert disclosure.status_code == 200
        assert "2,450.40" in disclosure.text and "20,000.00" in disclosure.text
        pdf = await giver.get(
            f"/console/ledger/pairing/{w.pairing.id}/disclosure.pdf?semester=2026秋"
        )
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        drafted = await giver.post(
            f"/console/ledger/pairing/{w.pairing.id}/disclosure-post",
            data={"csrf_token": csrf_of(disclosure.text), "period": "2026秋"},
        )
        assert drafted.status_code == 303, drafted.text
        post = await Post.get(pairing_id=w.pairing.id, kind="disclosure")
        assert drafted.headers["location"] == f"/console/posts/{post.id}"
        assert "捐赠与经费公示（2026秋）" in (await giver.get(f"/console/posts/{post.id}")).text
    finally:
        await giver.aclose()
        await receiver.aclose()


async def test_another_pairings_console_pages_answer_like_unknown_ones(client, api):
    w = await make_world(client, LEDGER)
    other_village = await make_kindergarten(w.region)
    await make_pairing(w.supporting, other_village)
    stranger_world = await make_world(client, LEDGER)
    stranger = await _console(api, stranger_world.receiver)
    giver = await _console(api, w.giver)
    try:
        page = await giver.get(f"/console/ledger/pairing/{w.pairing.id}")
        token = csrf_of(page.text)
        await giver.post(
            f"/console/ledger/pairing/{w.pairing.id}/donations",
            data={
                "csrf_token": token,
                "donated_on": "2026-10-12",
                "item_1_category": "图书",
                "item_1_name": "绘本",
                "item_1_quantity": "1",
                "item_1_value": "10",
            },
        )
        donation = await Donation.get(pairing_id=w.pairing.id)
        for mine, unknown in (
            (f"/console/ledger/pairing/{w.pairing.id}", "/console/ledger/pairing/999999999"),
            (f"/console/ledger/donations/{donation.id}", "/console/ledger/donations/999999999"),
            (
                f"/console/ledger/pairing/{w.pairing.id}/disclosure",
                "/console/ledger/pairing/999999999/disclosure",
            ),
        ):
            foreign = await stranger.get(mine)
            missing = await stranger.get(unknown)
            assert foreign.status_code == missing.status_code == 404
            assert foreign.text.replace(mine, "") == missing.text.replace(unknown, "")
        listed = await stranger.get("/console/ledger")
        assert f'/console/ledger/pairing/{w.pairing.id}"' not in listed.text
    finally:
        await giver.aclose()
        await stranger.aclose()
