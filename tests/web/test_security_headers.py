"""Browser headers: a strict Content-Security-Policy and its companions on every console
answer and on the projector page, and nothing inline for the policy to have to allow."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.activities.helpers import ACTIVITIES, create, publish
from tests.support.world import make_world
from tests.web.console import console_person, password_login

INLINE = (
    re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),  # a script without src
    re.compile(r"<style\b", re.I),
    re.compile(r"\sstyle\s*=", re.I),
    re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I),  # onclick="…" and friends
    re.compile(r"javascript:", re.I),
)


def policy(resp) -> dict[str, str]:
    """The CSP directives of a response, name -> sources."""
    header = resp.headers.get("content-security-policy", "")
    assert header, f"{resp.request.url} has no Content-Security-Policy"
    out = {}
    for part in header.split(";"):
        name, _, sources = part.strip().partition(" ")
        if name:
            out[name] = sources.strip()
    return out


def assert_strict(resp, *, framed_by: str = "'none'") -> None:
    """CSP without inline code or eval, not framed by others, and the companion headers."""
    csp = policy(resp)
    header = resp.headers["content-security-policy"]
    assert "'unsafe-inline'" not in header and "'unsafe-eval'" not in header, header
    assert "*" not in header.replace("*.", ""), header
    assert csp.get("script-src") == "'self'" or csp.get("default-src") in ("'self'", "'none'")
    assert csp["frame-ancestors"] == framed_by
    assert csp["base-uri"] == "'none'" and csp["object-src"] == "'none'"
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["x-frame-options"] in ("DENY", "SAMEORIGIN")
    assert resp.headers["referrer-policy"] in ("no-referrer", "same-origin")


def assert_nothing_inline(html: str) -> None:
    """No inline script, style block, style attribute or event handler in a page."""
    for pattern in INLINE:
        found = pattern.search(html)
        assert found is None, f"inline code: {html[max(found.start() - 60, 0) : found.end() + 60]}"


async def test_projector_page_has_a_strict_policy_and_no_inline_code(client):
    world = await make_world(client, ACTIVITIES)
    made = await create(client, world)
    await publish(client, world, made["id"])
    link = (
        await client.post(
            f"/api/v1/activities/{made['id']}/projector-link", headers=world.organizer.headers
        )
    ).json()
    page = await client.get(link["url"])
    assert page.status_code == 200
    assert_strict(page)
    assert policy(page)["connect-src"] == "'self'"  # its polling and its live counts
    assert page.headers["referrer-policy"] == "no-referrer"  # the token is in the address
    assert_nothing_inline(page.text)
    for asset in re.findall(r'(?:src|href)="(/console/static/[^"]+)"', page.text):
        assert (await client.get(asset)).status_code == 200, asset


async def test_projector_error_page_has_the_same_policy(client):
    world = await make_world(client, ACTIVITIES)
    made = await create(client, world)
    page = await client.get(f"/activities/{made['id']}/projector?t=not-a-token")
    assert page.status_code == 401 and "放映链接" in page.text
    assert_strict(page)
    assert_nothing_inline(page.text)


async def test_console_pages_have_a_strict_policy_and_no_inline_code(browser):
    login_page = await browser.get("/console/login")
    assert_strict(login_page)
    assert_nothing_inline(login_page.text)
    _, login = await console_person("admin")
    await password_login(browser, login)
    for path in (
        "/console/delivery",
        "/console/delivery/dead-letters",
        "/console/static/console.js",
    ):
        resp = await browser.get(path)
        assert resp.status_code == 200, path
        assert_strict(resp)
        if resp.headers["content-type"].startswith("text/html"):
            assert_nothing_inline(resp.text)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/console/no-such-page"),
        ("GET", "/console/activities/not-a-number"),
        ("DELETE", "/console/dashboard"),
        ("GET", "/console/static/no-such-file.js"),
    ],
)
async def test_console_answers_without_a_route_carry_the_headers_too(browser, method, path):
    resp = await browser.request(method, path)
    assert resp.status_code in (404, 405), (path, resp.status_code)
    assert_strict(resp)


async def test_a_console_page_that_fails_carries_the_headers(browser, monkeypatch):
    from server.web.views import dashboard

    def broken(*args, **kwargs):
        raise RuntimeError("a bug, not a refusal")

    _, login = await console_person("director")
    await password_login(browser, login)
    monkeypatch.setattr(dashboard, "render", broken)
    resp = await browser.get("/console/dashboard")
    assert resp.status_code == 500
    assert_strict(resp)


def test_no_template_has_inline_code():
    # Every page the console or the projector renders, new ones included: the policies allow
    # no inline script or style (the post preview is WeChat's HTML, not a template of ours).
    root = Path(__file__).resolve().parents[2] / "server" / "web" / "templates"
    templates = sorted(root.rglob("*.html"))
    assert len(templates) > 20
    for template in templates:
        try:
            assert_nothing_inline(template.read_text(encoding="utf-8"))
        except AssertionError as exc:
            raise AssertionError(f"{template.relative_to(root)}: {exc}") from None
