"""Console archive: on a locked 帮扶记录卡 the organizer still withdraws a photo's consent,
and the page lists the withdrawal; granting consent is not offered while locked."""

from __future__ import annotations

import re

import pytest

from server.archive.models import ArchiveFile
from tests.archive.helpers import ARCHIVE, jpeg_bytes, upload
from tests.support.http import http_client
from tests.support.world import make_world
from tests.web.console import console_person, csrf_of, password_login


@pytest.fixture
async def desk(api):
    """A cookie-keeping client."""
    async with http_client(base_url=api.url, timeout=15) as browser:
        yield browser


async def test_withdrawal_on_a_locked_card_from_the_console(client, desk):
    w = await make_world(client, ARCHIVE)
    photo = (await upload(client, w.organizer, w.activity.id, jpeg_bytes(), consent="true")).json()
    for who in (w.organizer, w.director):
        await client.post(
            f"/api/v1/activities/{w.activity.id}/record-card/confirm", headers=who.headers
        )
    person, login = await console_person("organizer", scope_id=w.supporting.id)
    assert (await password_login(desk, login)).status_code in (200, 303)
    path = f"/console/activities/{w.activity.id}/archive"
    page = (await desk.get(path)).text
    assert "撤回同意" in page
    token = csrf_of(page)
    resp = await desk.post(
        f"{path}/files/{photo['id']}/consent", data={"csrf_token": token, "consent": "0"}
    )
    assert resp.status_code == 303, resp.text
    assert (await ArchiveFile.get(id=photo["id"])).consent is False
    page = (await desk.get(path)).text
    listed = re.search(r'<ul id="consent-withdrawals">(.*?)</ul>', page, re.S)
    assert listed and f"照片 {photo['id']}" in listed.group(1) and person.name in listed.group(1)
    assert "标记已同意公开" not in page  # locked: granting would change the record
