"""A sandbox with two apps: each takes its own token, and user/info agrees with login."""

from __future__ import annotations

import pytest

from server.wechat.client import WeChatClient
from server.wechat.errors import Unauthorized, WeChatError
from server.wechat.sandbox import create_sandbox_app, oa_openid_for, openid_for, sandbox_state
from server.wechat.sandbox.identity import unionid_for
from tests.support.http import http_client
from tests.support.sandbox import read_outbox
from tests.support.servers import start_server
from tests.wechat.helpers import APPID, SECRET, unique

OA_APPID, OA_SECRET = "wx_sandbox_test_oa", "sandbox-test-oa-secret"


@pytest.fixture(scope="module")
async def two_app_server():
    app = create_sandbox_app(
        appid=APPID,
        secret=SECRET,
        oa_appid=OA_APPID,
        oa_secret=OA_SECRET,
        name="wechat_sandbox_two_apps",
    )
    server = await start_server(app)
    yield server
    await server.stop()


@pytest.fixture
async def two_apps(two_app_server, redis):
    sandbox_state(two_app_server.app).reset()

    def client(appid: str, secret: str) -> WeChatClient:
        return WeChatClient(
            appid=appid,
            secret=secret,
            api_base=two_app_server.url,
            wecom_base=two_app_server.url,
            redis=redis,
        )

    mini, official = client(APPID, SECRET), client(OA_APPID, OA_SECRET)
    yield two_app_server, mini, official
    await mini.aclose()
    await official.aclose()


async def test_each_app_gets_its_own_token(two_apps):
    server, mini, official = two_apps
    async with http_client(base_url=server.url) as http:
        tokens = []
        for appid, secret in ((APPID, SECRET), (OA_APPID, OA_SECRET)):
            body = {"grant_type": "client_credential", "appid": appid, "secret": secret}
            tokens.append((await http.post("/cgi-bin/stable_token", json=body)).json())
        wrong = {"grant_type": "client_credential", "appid": OA_APPID, "secret": SECRET}
        refused = (await http.post("/cgi-bin/stable_token", json=wrong)).json()
    assert tokens[0]["access_token"] != tokens[1]["access_token"]
    assert refused["errcode"] == 40125


async def test_official_account_calls_refuse_the_mini_program_token(two_apps):
    server, mini, official = two_apps
    with pytest.raises(Unauthorized):
        await mini.send_template_message(openid="o_x", template_id="t", data={"thing1": "x"})
    with pytest.raises(Unauthorized):
        await mini.get_user_info(openid="o_x")
    with pytest.raises(Unauthorized):
        await mini.create_menu(buttons=[{"type": "click", "name": "帮助", "key": "HELP"}])
    assert await official.send_template_message(openid="o_x", template_id="t", data={"thing1": "x"})
    [refused, sent] = await read_outbox(server.url, kind="template_send")
    assert (refused["appid"], refused["errcode"]) == (APPID, 48001)
    assert (sent["appid"], sent["errcode"]) == (OA_APPID, 0)


async def test_mini_program_calls_refuse_the_official_account_token(two_apps):
    server, mini, official = two_apps
    template = unique("tpl")
    state = sandbox_state(server.app)
    state.subscriptions[("o_x", template)] += 1
    with pytest.raises(Unauthorized):
        await official.send_subscribe_message(openid="o_x", template_id=template, data={})
    with pytest.raises(Unauthorized):
        await official.get_unlimited_wxacode(scene="abc")
    with pytest.raises(WeChatError) as refused:  # a 公众号 has no wx.login
        await official.code_to_session("parent_li")
    assert refused.value.errcode == 40013
    assert await mini.get_unlimited_wxacode(scene="abc")


async def test_user_info_gives_the_unionid_that_login_gave(two_apps):
    server, mini, official = two_apps
    # Both apps bound to one open-platform account: the mini-program's logins carry it too.
    async with http_client(base_url=server.url) as http:
        await http.post("/sandbox/open_platform", json={"bound": True})
    name = unique("teacher")
    login = await mini.code_to_session(name)
    assert login["openid"] == openid_for(name)
    info = await official.get_user_info(openid=oa_openid_for(name))
    assert info["subscribe"] == 1 and info["openid"] == oa_openid_for(name)
    assert info["unionid"] == login["unionid"] == unionid_for(name)
    assert set(info) <= {"subscribe", "openid", "unionid", "subscribe_time", "subscribe_scene"}
    [call] = await read_outbox(server.url, kind="user_info")
    assert call["appid"] == OA_APPID and call["request"]["lang"] == "zh_CN"


async def test_user_info_has_no_unionid_without_an_open_platform_binding(two_apps):
    server, mini, official = two_apps
    async with http_client(base_url=server.url) as http:
        await http.post("/sandbox/open_platform", json={"bound": False})
    info = await official.get_user_info(openid=oa_openid_for(unique("unbound")))
    assert info["subscribe"] == 1
    assert "unionid" not in info


async def test_user_info_of_a_follower_unknown_to_the_mini_program(two_apps):
    server, mini, official = two_apps
    async with http_client(base_url=server.url) as http:
        await http.post("/sandbox/open_platform", json={"bound": True})
    openid = oa_openid_for(unique("never-logged-in"))
    info = await official.get_user_info(openid=openid)
    again = await official.get_user_info(openid=openid)
    assert info["unionid"] == again["unionid"]  # deterministic
    assert info["unionid"].startswith("u")


async def test_expiring_tokens_expires_both_apps(two_apps):
    server, mini, official = two_apps
    await mini.get_unlimited_wxacode(scene="abc")
    await official.create_menu(buttons=[{"type": "click", "name": "帮助", "key": "HELP"}])
    async with http_client(base_url=server.url) as http:
        await http.post("/sandbox/faults", json={"expire_tokens": True})
    # Each client refreshes its own token once and carries on.
    await mini.get_unlimited_wxacode(scene="abc")
    await official.create_menu(buttons=[{"type": "click", "name": "帮助", "key": "HELP"}])
    answers = [e["errcode"] for e in await read_outbox(server.url, kind="menu_create")]
    assert answers == [0, 42001, 0]
