"""Login with a wx.login code, refresh, logout and the caller's profile."""

from __future__ import annotations

import pytest

from server.accounts.models import Account, Session
from server.wechat.sandbox import unionid_for
from tests.support.factories import login, make_kindergarten, make_person, unique


async def test_login_creates_account_keyed_by_openid(client):
    resp = await client.post("/api/v1/auth/login", json={"code": "teacher-zhang"})
    assert resp.status_code == 200
    body = resp.json()
    assert body["access_token"] and body["refresh_token"]
    assert body["person"]["bound"] is False and body["person"]["roles"] == []
    assert "session_key" not in resp.text
    account = await Account.get(id=body["person"]["account_id"])
    # A mini-program bound to no open-platform account gets no unionid from WeChat.
    assert account.openid.startswith("o") and account.unionid is None


async def test_login_keeps_the_unionid_when_bound_to_an_open_platform(client, sandbox_client):
    await sandbox_client.post("/sandbox/open_platform", json={"bound": True})
    resp = await client.post("/api/v1/auth/login", json={"code": "teacher-zhang"})
    account = await Account.get(id=resp.json()["person"]["account_id"])
    assert account.unionid == unionid_for("teacher-zhang")


async def test_a_login_wechat_blocks_as_high_risk_is_refused_in_chinese(client, sandbox_client):
    resp = await client.post("/api/v1/auth/login", json={"code": "blocked-parent"})
    assert resp.status_code == 403
    assert resp.json()["error"] == "login_blocked"
    assert "安全风险" in resp.json()["message"]
    # As WeChat's risk control answers for any user, through a fault.
    fault = {"kind": "jscode2session", "errcode": 40226, "times": 1}
    await sandbox_client.post("/sandbox/faults", json=fault)
    again = await client.post("/api/v1/auth/login", json={"code": "teacher-zhang"})
    assert again.json()["error"] == "login_blocked"


async def test_same_code_name_logs_into_same_account(client):
    first = (await client.post("/api/v1/auth/login", json={"code": "li"})).json()
    second = (await client.post("/api/v1/auth/login", json={"code": "li:n2"})).json()
    assert first["person"]["account_id"] == second["person"]["account_id"]


async def test_reused_single_use_code_is_refused(client):
    code = unique("wang:") + "nonce"
    assert (await client.post("/api/v1/auth/login", json={"code": code})).status_code == 200
    again = await client.post("/api/v1/auth/login", json={"code": code})
    assert again.status_code == 400
    assert again.json()["error"] == "code_used"
    assert "已被使用" in again.json()["message"]


@pytest.mark.parametrize("code", ["invalid-x", "expired-code", "bad code!"])
async def test_bad_or_expired_code_is_refused_in_chinese(client, code):
    resp = await client.post("/api/v1/auth/login", json={"code": code})
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_code"
    assert "登录码" in resp.json()["message"]


@pytest.mark.parametrize("payload", [{}, {"code": ""}, {"code": "x" * 200}, {"code": 5}])
async def test_malformed_login_body_is_refused(client, payload):
    resp = await client.post("/api/v1/auth/login", json=payload)
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_input"


async def test_login_body_not_json_is_refused(client):
    resp = await client.post(
        "/api/v1/auth/login", content=b"not json", headers={"content-type": "application/json"}
    )
    assert resp.status_code == 400
    assert resp.json()["message"]


async def test_wechat_down_gives_clear_error(client, sandbox_client):
    await sandbox_client.post(
        "/sandbox/faults", json={"kind": "jscode2session", "errcode": -1, "times": 3}
    )
    resp = await client.post("/api/v1/auth/login", json={"code": "zhao"})
    assert resp.status_code in (400, 502)
    assert resp.json()["message"]


async def test_me_shows_roles_with_scope_names(client):
    kg = await make_kindergarten(name="阳光幼儿园")
    person = await make_person("张老师", grants=(("teacher", "kindergarten", kg.id),))
    me = await login(client, "zhang-t", person=person)
    resp = await client.get("/api/v1/me", headers=me.headers)
    assert resp.status_code == 200
    roles = resp.json()["roles"]
    assert roles == [
        {
            "role": "teacher",
            "scope_kind": "kindergarten",
            "scope_id": kg.id,
            "scope_name": "阳光幼儿园",
        }
    ]


async def test_refresh_rotates_and_old_refresh_token_stops_working(client):
    me = await login(client, "refresher")
    resp = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": me.tokens["refresh_token"]}
    )
    assert resp.status_code == 200
    new = resp.json()
    assert new["refresh_token"] != me.tokens["refresh_token"]
    again = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": me.tokens["refresh_token"]}
    )
    assert again.status_code == 401
    assert again.json()["error"] == "refresh_invalid"


async def test_logout_revokes_access_and_refresh(client):
    me = await login(client, "leaver")
    assert (await client.post("/api/v1/auth/logout", headers=me.headers)).status_code == 200
    resp = await client.get("/api/v1/me", headers=me.headers)
    assert resp.status_code == 401
    assert (await Session.get(account_id=me.tokens["person"]["account_id"])).revoked_at
    refresh = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": me.tokens["refresh_token"]}
    )
    assert refresh.status_code == 401


@pytest.mark.parametrize("header", ["Bearer nonsense", "Basic abc", "Bearer", "Bearer a.b.c"])
async def test_bad_tokens_are_refused(client, header):
    resp = await client.get("/api/v1/me", headers={"Authorization": header})
    assert resp.status_code == 401
    assert resp.json()["error"] in ("token_invalid", "unauthenticated")


async def test_anonymous_is_asked_to_log_in(client):
    resp = await client.get("/api/v1/me")
    assert resp.status_code == 401
    assert resp.json() == {"error": "unauthenticated", "message": "请先登录"}


async def test_healthz_reports_every_store(client):
    resp = await client.get("/healthz")
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "ok"
    assert body["database"]["state"] == "ok" and body["redis"]["state"] == "ok"
    assert body["broker"] and body["wechat"]["base_url"]


async def test_unknown_route_answers_json_in_chinese(client):
    resp = await client.get("/api/v1/nope")
    assert resp.status_code == 404
    assert resp.json()["error"] == "not_found"
