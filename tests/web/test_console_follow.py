"""Console 公众号通知: her own follow code over HTTP, linked once she scans it with WeChat."""

from __future__ import annotations

from server.followers.service import oa_openids_of
from server.wechat.sandbox import oa_openid_for, sandbox_state
from tests.support.factories import make_kindergarten, unique
from tests.support.sandbox import read_outbox
from tests.web.console import console_person, password_login


async def _ticket(sandbox, sandbox_client) -> str:
    """The ticket WeChat gave for the code the api made (what the image decodes to)."""
    [made] = await read_outbox(sandbox_client, kind="qrcode_create")
    scene = made["request"]["action_info"]["scene"]["scene_str"]
    [ticket] = [t for t, q in sandbox_state(sandbox.app).qrcodes.items() if q.scene == scene]
    return ticket


async def test_the_console_shows_her_code_and_then_that_she_is_linked(
    browser, sandbox, sandbox_client
):
    await sandbox_client.post("/sandbox/open_platform", json={"bound": False})
    await sandbox_client.post("/sandbox/event_push", json={})
    kg = await make_kindergarten()
    person, login = await console_person("director", scope_id=kg.id)
    assert (await password_login(browser, login)).status_code == 303

    dashboard = await browser.get("/console/dashboard")
    assert 'href="/console/me/follow"' in dashboard.text and "公众号通知" in dashboard.text
    page = await browser.get("/console/me/follow")
    assert page.status_code == 200
    assert 'id="follow-unlinked"' in page.text and "用微信扫描下方二维码关注公众号" in page.text
    assert 'src="/console/me/follow-qrcode.png"' in page.text
    image = await browser.get("/console/me/follow-qrcode.png")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")
    assert len(await read_outbox(sandbox_client, kind="qrcode_create")) == 1  # made once, kept

    openid = oa_openid_for(unique("console-follower-"))
    scan = {"ticket": await _ticket(sandbox, sandbox_client), "openid": openid}
    scanned = (await sandbox_client.post("/sandbox/qrcode/scan", json=scan)).json()
    assert "已与送教通账号关联" in scanned["reply"]
    assert await oa_openids_of([person.id]) == {person.id: openid}
    linked = await browser.get("/console/me/follow")
    assert 'id="follow-linked"' in linked.text


async def test_the_follow_page_needs_a_console_login(browser):
    resp = await browser.get("/console/me/follow-qrcode.png")
    assert resp.status_code == 303 and resp.headers["location"].startswith("/console/login")
