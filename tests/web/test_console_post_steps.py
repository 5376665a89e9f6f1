"""Console 三审: each step's person, time and comment show on the post page; the
reviewer and signer forms carry a comment."""

from __future__ import annotations

import re

import pytest

from tests.publicity.helpers import PUBLICITY
from tests.support.http import http_client
from tests.support.world import make_world
from tests.web.console import console_person, csrf_of, password_login


@pytest.fixture
async def desks(api):
    """Three cookie-keeping clients: writer, reviewer, signer."""
    clients = [http_client(base_url=api.url, timeout=15) for _ in range(3)]
    yield clients
    for c in clients:
        await c.aclose()


async def _form(browser, page_path: str, action: str, **fields):
    token = csrf_of((await browser.get(page_path)).text)
    return await browser.post(action, data={"csrf_token": token, **fields})


async def test_each_step_shows_its_person_time_and_comment(client, desks):
    world = await make_world(client, PUBLICITY)
    people = []
    for browser, (role, kind, scope) in zip(
        desks,
        (
            ("organizer", "kindergarten", world.supported.id),
            ("director", "kindergarten", world.supported.id),
            ("leader", "region", world.supported.region_id),
        ),
        strict=True,
    ):
        person, login = await console_person(role, scope_kind=kind, scope_id=scope)
        assert (await password_login(browser, login)).status_code in (200, 303)
        people.append(person)
    writer, reviewer, signer = desks
    made = await _form(
        writer,
        f"/console/activities/{world.activity.id}",
        f"/console/posts/from-activity/{world.activity.id}",
    )
    path = made.headers["location"].split("?")[0]
    assert (await _form(writer, path, f"{path}/submit", comment="请审阅")).status_code == 303
    assert (await _form(reviewer, path, f"{path}/approve", comment="属实")).status_code == 303
    page = (await signer.get(path)).text
    assert re.search(r'action="[^"]*/sign"[^>]*>.*?name="comment"', page, re.S)
    assert (await _form(signer, path, f"{path}/sign", comment="同意发布")).status_code == 303

    shown = (await writer.get(path)).text
    steps = re.search(r'<ol id="steps">(.*?)</ol>', shown, re.S).group(1)
    when = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}"
    for label, person, comment in (
        ("提交审核", people[0], "请审阅"),
        ("园长审核通过", people[1], "属实"),
        ("领导签发", people[2], "同意发布"),
    ):
        assert re.search(f"{when} · {label} · {re.escape(person.name)}：{comment}", steps), steps
