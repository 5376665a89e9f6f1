"""Sandbox jscode2session: the code decides the user; demo codes reuse, nonce codes do not."""

from __future__ import annotations

from server.wechat.sandbox import openid_for, unionid_for
from tests.wechat.helpers import APPID, SECRET, unique


async def _login(sandbox, code: str, **overrides: str) -> dict:
    params = {
        "appid": APPID,
        "secret": SECRET,
        "js_code": code,
        "grant_type": "authorization_code",
        **overrides,
    }
    return (await sandbox.http.get(f"{sandbox.url}/sns/jscode2session", params=params)).json()


async def test_code_name_decides_the_openid(sandbox):
    answer = await _login(sandbox, "teacher_li")
    assert answer["openid"] == openid_for("teacher_li")
    assert len(answer["openid"]) == 28 and answer["openid"].startswith("o")
    assert len(answer["session_key"]) == 24


async def test_unionid_only_when_bound_to_an_open_platform_account(sandbox):
    # "unionid: 若当前小程序已绑定到微信开放平台帐号下会返回" (code2Session); a new one is not.
    assert "unionid" not in await _login(sandbox, "teacher_li")
    await sandbox.bind_open_platform()
    bound = await _login(sandbox, "teacher_li")
    assert bound["unionid"] == unionid_for("teacher_li") != bound["openid"]
    sandbox.state.reset()  # back to the configured default
    assert "unionid" not in await _login(sandbox, "teacher_li")


async def test_a_high_risk_user_gets_40226(sandbox):
    # "40226 | code blocked | 高风险等级用户，小程序登录拦截" (code2Session)
    assert (await _login(sandbox, "blocked_parent"))["errcode"] == 40226
    await sandbox.fault(kind="jscode2session", errcode=40226, times=1)
    answer = await _login(sandbox, "teacher_li")
    assert (answer["errcode"], answer["errmsg"]) == (40226, "code blocked")
    assert "openid" in await _login(sandbox, "teacher_li")


async def test_openid_is_stable_and_differs_between_names():
    assert openid_for("parent_wang") == openid_for("parent_wang")
    assert openid_for("parent_wang") != openid_for("parent_zhang")


async def test_plain_codes_are_reusable_for_demo_logins(sandbox):
    first = await _login(sandbox, "organizer")
    second = await _login(sandbox, "organizer")
    assert first["openid"] == second["openid"]
    assert first["session_key"] != second["session_key"]


async def test_nonce_codes_are_single_use(sandbox):
    code = f"teacher_li:{unique()}"
    first = await _login(sandbox, code)
    second = await _login(sandbox, code)
    assert first["openid"] == openid_for("teacher_li")
    assert second == {"errcode": 40163, "errmsg": "code been used"}


async def test_malformed_invalid_and_expired_codes_are_invalid(sandbox):
    for code in ["has space", "a" * 49, "x:y:z", "invalid_user", "expired_code:1", "名字"]:
        answer = await _login(sandbox, code)
        assert answer == {"errcode": 40029, "errmsg": "invalid code"}, code


async def test_login_checks_app_credentials_and_code_presence(sandbox):
    assert (await _login(sandbox, "u", appid="wx_other"))["errcode"] == 40013
    assert (await _login(sandbox, "u", secret="bad"))["errcode"] == 40125
    assert (await _login(sandbox, ""))["errcode"] == 41008
