"""The console's logins, sessions, CSRF and role checks, over HTTP without a browser."""

from __future__ import annotations

import base64
import hashlib
import secrets

import httpx

from server.accounts.models import WebCredential
from server.accounts.web_login import SCAN_KEY, SCAN_TTL
from tests.support.factories import login_as, make_kindergarten
from tests.support.http import http_client
from tests.support.rate_limits import behind_proxy, limits
from tests.web.console import PASSWORD, console_person, csrf_of, page_csrf, password_login


async def test_password_login_opens_the_dashboard_with_safe_cookies(browser):
    kg = await make_kindergarten()
    _, login = await console_person("director", scope_id=kg.id)
    resp = await password_login(browser, login)
    assert resp.status_code == 303 and resp.headers["location"] == "/console/dashboard"
    cookie = resp.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/console" in cookie
    page = await browser.get("/console/dashboard")
    assert page.status_code == 200
    assert "退出登录" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"


async def test_wrong_password_is_refused_in_chinese(browser):
    _, login = await console_person("admin")
    resp = await password_login(browser, login, "not-the-password")
    assert resp.status_code == 401
    assert "账号或密码错误" in resp.text
    unknown = await password_login(browser, "nobody-at-all", "whatever-password")
    assert unknown.status_code == 401 and "账号或密码错误" in unknown.text
    assert (await browser.get("/console/dashboard")).status_code == 303


def browser_at(api, address: str) -> httpx.AsyncClient:
    """A browser whose requests nginx forwards from client `address`."""
    return http_client(base_url=api.url, timeout=15, headers={"X-Forwarded-For": address})


async def test_ten_wrong_passwords_lock_the_attacker_out_not_the_owner(api):
    _, login = await console_person("admin")
    with behind_proxy(api):
        async with browser_at(api, "203.0.113.66") as attacker:
            for i in range(10):
                wrong = await password_login(attacker, login, f"wrong-password-{i}")
                assert wrong.status_code == 401, wrong.text
            locked = await password_login(attacker, login)  # even the right one, from here
            assert locked.status_code == 429 and "密码错误次数过多" in locked.text
            assert "分钟后再试" in locked.text
            assert 60 < int(locked.headers["retry-after"]) <= 900
        async with browser_at(api, "198.51.100.8") as owner:
            resp = await password_login(owner, login)
            assert resp.status_code == 303 and resp.headers["location"] == "/console/dashboard"


async def test_spraying_many_login_names_from_one_address_is_limited(api):
    names = [(await console_person("director"))[1] for _ in range(4)]
    with behind_proxy(api), limits(api, console_failures_per_address="3/15minutes"):
        async with browser_at(api, "203.0.113.77") as sprayer:
            for name in names[:3]:
                assert (await password_login(sprayer, name, "Spring2026!")).status_code == 401
            refused = await password_login(sprayer, names[3], "Spring2026!")
            assert refused.status_code == 429 and "密码错误次数过多" in refused.text
            assert int(refused.headers["retry-after"]) > 0
        async with browser_at(api, "198.51.100.9") as elsewhere:
            assert (await password_login(elsewhere, names[3])).status_code == 303


async def test_console_login_attempts_are_limited_per_address(api, browser):
    _, login = await console_person("admin")
    with limits(api, console_login_per_address="2/minute"):
        for _ in range(2):
            assert (await password_login(browser, login, "not-the-password")).status_code == 401
        refused = await password_login(browser, login)
        assert refused.status_code == 429 and "操作太频繁，请稍后再试" in refused.text
        assert int(refused.headers["retry-after"]) > 0


async def test_logout_ends_the_session_and_its_cookie(browser, api):
    _, login = await console_person("admin")
    await password_login(browser, login)
    old_cookie = browser.cookies.get("sjt_console")
    token = await page_csrf(browser, "/console/dashboard")
    resp = await browser.post("/console/logout", data={"csrf_token": token})
    assert resp.status_code == 303 and resp.headers["location"] == "/console/login"
    again = await browser.get("/console/dashboard")
    assert again.status_code == 303 and again.headers["location"].startswith("/console/login")
    async with http_client(base_url=api.url, cookies={"sjt_console": old_cookie}) as other:
        assert (await other.get("/console/dashboard")).status_code == 303


async def test_posts_without_the_csrf_token_are_refused(browser):
    _, login = await console_person("admin")
    await page_csrf(browser)
    forged = await browser.post("/console/login", data={"login": login, "password": "x" * 10})
    assert forged.status_code == 403 and "请刷新页面后重试" in forged.text
    await password_login(browser, login)
    before_login = "wrong-token"
    refused = await browser.post("/console/logout", data={"csrf_token": before_login})
    assert refused.status_code == 403
    fetch = await browser.post(
        "/console/logout", headers={"Accept": "application/json", "X-CSRF-Token": "nope"}
    )
    assert fetch.status_code == 403 and fetch.json()["error"] == "csrf_failed"
    assert (await browser.get("/console/dashboard")).status_code == 200


async def test_parents_are_sent_to_the_mini_program(browser):
    _, login = await console_person("parent", scope_kind="child", scope_id=1)
    resp = await password_login(browser, login)
    assert resp.status_code == 403 and "家长请使用小程序" in resp.text


async def test_a_teacher_s_console_is_her_certificate_page(browser):
    # Issue 20: a teacher gets her 学时证明 from the console too, and nothing else there.
    kg = await make_kindergarten()
    _, login = await console_person("teacher", scope_id=kg.id)
    resp = await password_login(browser, login)
    assert resp.status_code == 303, resp.text
    landing = await browser.get("/console/dashboard")
    assert landing.status_code == 303
    assert landing.headers["location"] == "/console/certificates"
    page = await browser.get("/console/certificates")
    assert page.status_code == 200 and "学时证明" in page.text
    for other in ("/console/activities", "/console/notices", "/console/posts", "/console/orgs"):
        refused = await browser.get(other)
        assert "您没有权限查看此页面" in refused.text, other


async def test_pages_need_a_login(browser):
    resp = await browser.get("/console/dashboard")
    assert resp.status_code == 303
    assert resp.headers["location"] == "/console/login?next=/console/dashboard"
    fetch = await browser.get("/console/dashboard", headers={"Accept": "application/json"})
    assert fetch.status_code == 401


async def test_bearer_tokens_do_not_open_console_pages(browser, client):
    who = await login_as(client, "admin")
    resp = await browser.get("/console/dashboard", headers=who.headers)
    assert resp.status_code == 303


# ---- scan login ------------------------------------------------------------------------------


async def _scan_code(browser: httpx.AsyncClient) -> str:
    token = await page_csrf(browser)
    resp = await browser.post(
        "/console/login/scan", headers={"X-CSRF-Token": token, "Accept": "application/json"}
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["qr"].startswith("data:image/png;base64,")
    assert body["text"].endswith(f"/console/m/login?t={body['token']}")
    return body["token"]


async def test_scan_login_confirmed_on_the_phone_logs_the_page_in_once(browser, client, api):
    kg = await make_kindergarten()
    code = await _scan_code(browser)
    poll = await browser.get(f"/console/login/scan/{code}")
    assert poll.json() == {"state": "pending", "next": None}

    organizer = await login_as(client, "organizer", scope_id=kg.id)
    confirm = await client.post(f"/api/v1/web-login/{code}/confirm", headers=organizer.headers)
    assert confirm.status_code == 200, confirm.text
    second = await client.post(f"/api/v1/web-login/{code}/confirm", headers=organizer.headers)
    assert second.status_code == 409 and "已被使用" in second.json()["message"]

    # Another browser that saw the code (a photo of the screen) gets nothing.
    async with http_client(base_url=api.url) as other:
        await page_csrf(other)
        assert (await other.get(f"/console/login/scan/{code}")).json()["state"] == "expired"

    done = await browser.get(f"/console/login/scan/{code}")
    assert done.json() == {"state": "confirmed", "next": "/console/dashboard"}
    assert "HttpOnly" in done.headers["set-cookie"]
    page = await browser.get("/console/dashboard")
    assert page.status_code == 200 and "退出登录" in page.text
    assert (await browser.get(f"/console/login/scan/{code}")).json()["state"] == "expired"


async def test_scan_codes_expire_after_two_minutes(browser, client, api):
    kg = await make_kindergarten()
    code = await _scan_code(browser)
    redis = api.app.ctx.runtime.redis
    assert 0 < await redis.ttl(SCAN_KEY.format(code)) <= SCAN_TTL == 120
    await redis.delete(SCAN_KEY.format(code))  # what the TTL does after two minutes
    director = await login_as(client, "director", scope_id=kg.id)
    late = await client.post(f"/api/v1/web-login/{code}/confirm", headers=director.headers)
    assert late.status_code == 410 and "已过期" in late.json()["message"]
    assert (await browser.get(f"/console/login/scan/{code}")).json()["state"] == "expired"


async def test_parents_cannot_confirm_a_console_login(browser, client):
    code = await _scan_code(browser)
    parent = await login_as(client, "parent", scope_kind="child", scope_id=1)
    resp = await client.post(f"/api/v1/web-login/{code}/confirm", headers=parent.headers)
    assert resp.status_code == 403
    assert (await browser.get(f"/console/login/scan/{code}")).json()["state"] == "pending"


async def test_a_teacher_confirms_a_console_login_for_her_certificates(browser, client):
    kg = await make_kindergarten()
    code = await _scan_code(browser)
    teacher = await login_as(client, "teacher", scope_id=kg.id)
    resp = await client.post(f"/api/v1/web-login/{code}/confirm", headers=teacher.headers)
    assert resp.status_code == 200, resp.text
    assert (await browser.get(f"/console/login/scan/{code}")).json()["state"] != "pending"


def test_csrf_token_is_in_every_page_meta():
    assert csrf_of('<meta name="csrf-token" content="abc">') == "abc"


async def test_a_link_cannot_put_its_own_message_on_a_console_page(browser):
    kg = await make_kindergarten()
    _, login = await console_person("organizer", scope_id=kg.id)
    await password_login(browser, login)
    forged = await browser.get(
        "/console/dashboard", params={"msg": "账号异常，请拨打 400-000-0000"}
    )
    assert forged.status_code == 200 and "400-000-0000" not in forged.text


def scrypt_hash(password: str) -> str:
    """A password hash as the console wrote them before argon2 (scrypt, N=2**14, r=8, p=1)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    b64 = base64.b64encode
    return f"scrypt$16384$8$1${b64(salt).decode()}${b64(digest).decode()}"


async def test_a_new_console_password_is_stored_as_an_argon2id_hash(browser):
    _, login = await console_person("admin")
    row = await WebCredential.get(login=login)
    assert row.password_hash.startswith("$argon2id$") and PASSWORD not in row.password_hash
    assert (await password_login(browser, login)).status_code == 303


async def test_a_legacy_scrypt_password_still_logs_in_and_is_rehashed_with_argon2(browser):
    _, login = await console_person("director")
    row = await WebCredential.get(login=login)
    row.password_hash = scrypt_hash(PASSWORD)
    await row.save(update_fields=["password_hash"])
    assert (await password_login(browser, login, "wrong-password")).status_code == 401
    await row.refresh_from_db()
    assert row.password_hash.startswith("scrypt$")  # a wrong password changes nothing
    assert (await password_login(browser, login)).status_code == 303
    await row.refresh_from_db()
    assert row.password_hash.startswith("$argon2id$")
    browser.cookies.clear()
    assert (await password_login(browser, login)).status_code == 303


async def test_an_argon2_hash_with_older_parameters_is_rehashed_at_login(browser):
    from argon2 import PasswordHasher

    _, login = await console_person("director")
    row = await WebCredential.get(login=login)
    row.password_hash = PasswordHasher(time_cost=1, memory_cost=8 * 1024).hash(PASSWORD)
    await row.save(update_fields=["password_hash"])
    assert (await password_login(browser, login)).status_code == 303
    await row.refresh_from_db()
    assert row.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


async def test_passwords_are_checked_and_hashed_off_the_event_loop(browser, monkeypatch):
    import threading

    from server.accounts import web_login

    threads: dict[str, set[int]] = {"verify": set(), "hash": set()}

    def recorded(name, real):
        def call(*args):
            threads[name].add(threading.get_ident())
            return real(*args)

        return call

    monkeypatch.setattr(web_login, "verify_password", recorded("verify", web_login.verify_password))
    monkeypatch.setattr(web_login, "hash_password", recorded("hash", web_login.hash_password))
    _, login = await console_person("director")  # hashes its password
    row = await WebCredential.get(login=login)
    row.password_hash = scrypt_hash(PASSWORD)
    await row.save(update_fields=["password_hash"])
    assert (await password_login(browser, login)).status_code == 303  # verifies, rehashes
    # The api serves in this test's event loop: its thread must not have done the work.
    loop_thread = threading.get_ident()
    assert threads["verify"] and loop_thread not in threads["verify"]
    assert len(threads["hash"]) >= 1 and loop_thread not in threads["hash"]
