"""The console's messages after a form travel in a signed cookie, never in a URL.

An invitation code in a redirect's query string lands in nginx's access log, the
browser's history and Referer headers.
"""

from __future__ import annotations

from server.accounts.models import Invitation
from server.web.console import FLASH_COOKIE
from tests.support.factories import make_kindergarten
from tests.support.http import http_client
from tests.web.console import console_person, page_csrf, password_login


async def test_a_new_invitation_code_is_shown_once_and_never_in_a_redirect(browser, api):
    kg = await make_kindergarten()
    _, login = await console_person("director", scope_id=kg.id)
    await password_login(browser, login)
    path = f"/console/orgs/kindergartens/{kg.id}"
    token = await page_csrf(browser, path)
    made = await browser.post(
        f"{path}/invitations",
        data={"csrf_token": token, "role": "teacher", "expires_in_days": "7", "max_uses": "5"},
    )
    invitation = await Invitation.get(kindergarten_id=kg.id)
    assert made.status_code == 303 and made.headers["location"] == path
    assert invitation.code not in made.headers["location"]
    set_cookie = made.headers["set-cookie"]
    assert FLASH_COOKIE in set_cookie and "HttpOnly" in set_cookie and "Path=/console" in set_cookie
    assert invitation.code not in set_cookie  # signed and encoded, not readable at a glance
    flash_cookie = browser.cookies[FLASH_COOKIE]

    shown = await browser.get(path)
    assert f'<p class="flash" role="status">邀请码 {invitation.code} 已生成' in shown.text
    again = await browser.get(path)
    assert 'class="flash"' not in again.text  # once

    revoked = await browser.post(
        f"/console/orgs/invitations/{invitation.id}/revoke", data={"csrf_token": token}
    )
    assert revoked.status_code == 303 and revoked.headers["location"] == path
    assert "已撤销" in (await browser.get(path)).text

    # Another browser's session cannot show the message, even with the cookie copied over.
    _, other_login = await console_person("director", scope_id=kg.id)
    async with http_client(base_url=api.url, timeout=15) as other:
        await password_login(other, other_login)
        other.cookies.set(FLASH_COOKIE, flash_cookie, path="/console")
        page = await other.get(path)
        assert page.status_code == 200 and 'class="flash"' not in page.text


async def test_a_message_cannot_be_made_up_in_a_link_or_a_cookie(browser):
    _, login = await console_person("admin")
    await password_login(browser, login)
    made_up = await browser.get("/console/dashboard?msg=请拨打 110&s=0000")
    assert 'class="flash"' not in made_up.text
    browser.cookies.set(FLASH_COOKIE, "5Lya6K6u5bey5Y-W5raI.0000", path="/console")
    assert 'class="flash"' not in (await browser.get("/console/dashboard")).text
