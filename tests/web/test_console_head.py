"""HEAD on the api and the console answers as GET would, without a body (link checkers,
uptime probes and chat link previews ask HEAD). sanic-ext answers it by a route of its own,
which the console's blueprint middleware (the session) did not cover: a 500 before."""

from __future__ import annotations

from tests.support.factories import make_kindergarten
from tests.web.console import console_person, password_login


async def test_head_on_a_console_page_answers_like_get_logged_out_and_in(browser):
    out = await browser.head("/console/dashboard")
    assert out.status_code == 303 and out.headers["location"].startswith("/console/login")
    assert "default-src 'self'" in out.headers["content-security-policy"]
    kg = await make_kindergarten()
    _, login = await console_person("director", scope_id=kg.id)
    assert (await password_login(browser, login)).status_code == 303
    page, head = await browser.get("/console/dashboard"), await browser.head("/console/dashboard")
    assert page.status_code == head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == page.headers["content-type"]
    login_page = await browser.get("/console/login")
    assert (await browser.head("/console/login")).status_code == login_page.status_code


async def test_head_and_options_on_the_api(client):
    health = await client.head("/healthz")
    assert health.status_code == 200 and health.content == b""
    refused = await client.head("/api/v1/activities")
    assert refused.status_code == 401 and refused.content == b""
    options = await client.options("/api/v1/activities")
    assert options.status_code == 204
    assert {"GET", "POST", "HEAD", "OPTIONS"} <= set(options.headers["allow"].split(","))
