"""Helpers for console tests: a browser-like httpx client, CSRF tokens, password logins."""

from __future__ import annotations

import re

import httpx

from server.accounts.models import Account
from server.accounts.web_login import set_password
from tests.support.factories import make_person, unique

PASSWORD = "correct-horse-battery"


def csrf_of(html: str) -> str:
    """The CSRF token a console page carries in its <meta>."""
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert found, "page has no CSRF token"
    return found.group(1)


async def page_csrf(browser: httpx.AsyncClient, path: str = "/console/login") -> str:
    """Open a console page and answer its CSRF token."""
    resp = await browser.get(path)
    assert resp.status_code == 200, resp.text
    return csrf_of(resp.text)


async def console_person(role: str, *, scope_kind: str = "kindergarten", scope_id: int = 0):
    """A person holding `role`, with an account and a console password; answers her login."""
    if role == "admin":
        scope_kind, scope_id = "global", 0
    person = await make_person(grants=((role, scope_kind, scope_id),))
    account = await Account.create(openid=unique("web-openid-"), person=person)
    login = unique(f"{role}-web-")
    await set_password(account_id=account.id, login=login, password=PASSWORD)
    return person, login


async def password_login(browser: httpx.AsyncClient, login: str, password: str = PASSWORD):
    """Log the browser in through the login form; answers the response."""
    token = await page_csrf(browser)
    return await browser.post(
        "/console/login",
        data={"login": login, "password": password, "csrf_token": token},
    )
