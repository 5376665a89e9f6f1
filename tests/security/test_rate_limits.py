"""Rate limits on login, invitation redeem and check-in: per client address and per account."""

from __future__ import annotations

import asyncio
import logging

import pytest
import redis.asyncio as aioredis

from server.activities.codes import static_scene
from server.common.rate_limit import RateLimiter
from server.settings import RateLimits
from tests.checkin.conftest import nonce, scan, teacher_of
from tests.support.factories import login_as, make_activity, make_kindergarten
from tests.support.rate_limits import behind_proxy, limits
from tests.support.servers import free_port


def assert_rate_limited(resp) -> None:
    """A 429 in Chinese, through the error handler, with a Retry-After in seconds."""
    assert resp.status_code == 429, resp.text
    body = resp.json()
    assert body["error"] == "rate_limited"
    assert body["message"] == "操作太频繁，请稍后再试"
    assert 1 <= int(resp.headers["retry-after"]) <= 60
    assert body["details"]["retry_after"] == int(resp.headers["retry-after"])


async def test_login_is_limited_per_address_and_a_forged_forwarded_for_does_not_escape(api, client):
    with limits(api, login_per_address="3/minute"):
        for i in range(3):
            # A client's own X-Forwarded-For is not believed: no proxy is configured.
            resp = await client.post(
                "/api/v1/auth/login",
                json={"code": f"rl-login-{i}"},
                headers={"X-Forwarded-For": f"10.9.8.{i}", "X-Real-IP": f"10.9.7.{i}"},
            )
            assert resp.status_code == 200, resp.text
        refused = await client.post(
            "/api/v1/auth/login",
            json={"code": "rl-login-x"},
            headers={"X-Forwarded-For": "10.9.8.99"},
        )
        assert_rate_limited(refused)


async def test_behind_a_trusted_proxy_each_client_address_counts_on_its_own(api, client):
    with limits(api, login_per_address="2/minute"), behind_proxy(api):
        # nginx appends the peer it saw; whatever the client put before it is ignored.
        first = {"X-Forwarded-For": "1.1.1.1, 203.0.113.7"}
        for i in range(2):
            resp = await client.post(
                "/api/v1/auth/login", json={"code": f"rl-proxy-{i}"}, headers=first
            )
            assert resp.status_code == 200, resp.text
        spoofed = {"X-Forwarded-For": "8.8.8.8, 203.0.113.7"}
        assert_rate_limited(
            await client.post("/api/v1/auth/login", json={"code": "rl-proxy-x"}, headers=spoofed)
        )
        other = {"X-Forwarded-For": "198.51.100.20"}
        resp = await client.post("/api/v1/auth/login", json={"code": "rl-proxy-o"}, headers=other)
        assert resp.status_code == 200, resp.text


async def test_redeem_is_limited_per_wechat_account_and_per_address(api, client):
    a = await login_as(client, "teacher")
    b = await login_as(client, "teacher")

    async def redeem(who):
        return await client.post(
            "/api/v1/invitations/redeem", json={"code": "NOPE1234"}, headers=who.headers
        )

    with limits(api, redeem_per_account="2/minute", redeem_per_address="4/minute"):
        for _ in range(2):
            assert (await redeem(a)).status_code != 429
        assert_rate_limited(await redeem(a))  # a's third guess: her account is over
        assert (await redeem(b)).status_code != 429  # b's first: the address has room (4)
        assert_rate_limited(await redeem(b))  # the address is over (5 tries), not b's account


async def test_checkin_is_limited_per_account_while_others_at_the_same_address_go_on(api, client):
    kg = await make_kindergarten()
    activity = await make_activity(kg)
    scene_text = static_scene(activity.code)
    eager, other = await teacher_of(client, kg), await teacher_of(client, kg)
    with limits(api, checkin_per_account="3/minute"):
        answers = [await scan(client, eager, scene_text) for _ in range(3)]
        assert [status for status, _ in answers] == [200, 200, 200]
        resp = await client.post(
            "/api/v1/checkins",
            json={"scene": scene_text, "nonce": nonce()},
            headers=eager.headers,
        )
        assert_rate_limited(resp)
        status, body = await scan(client, other, scene_text)
        assert status == 200 and body["status"] == "checked_in"


async def test_checkin_is_limited_per_address_too(api, client):
    kg = await make_kindergarten()
    activity = await make_activity(kg)
    scene_text = static_scene(activity.code)
    teachers = [await teacher_of(client, kg) for _ in range(3)]
    with limits(api, checkin_per_address="2/minute"):
        assert [(await scan(client, t, scene_text))[0] for t in teachers[:2]] == [200, 200]
        resp = await client.post(
            "/api/v1/checkins",
            json={"scene": scene_text, "nonce": nonce()},
            headers=teachers[2].headers,
        )
        assert_rate_limited(resp)


async def test_a_whole_kindergarten_behind_one_router_checks_in_within_a_minute(api, client):
    # The shipped limits: 200 teachers, one NAT address, all at once.
    kg = await make_kindergarten()
    activity = await make_activity(kg)
    scene_text = static_scene(activity.code)
    teachers = [await teacher_of(client, kg) for _ in range(200)]
    semaphore = asyncio.Semaphore(20)

    async def one(t):
        async with semaphore:
            return await scan(client, t, scene_text)

    answers = await asyncio.gather(*(one(t) for t in teachers))
    assert [status for status, _ in answers] == [200] * 200
    assert {body["status"] for _, body in answers} == {"checked_in"}


async def test_checkin_goes_on_when_redis_is_down_and_a_warning_is_logged(api, client, caplog):
    kg = await make_kindergarten()
    activity = await make_activity(kg)
    teacher = await teacher_of(client, kg)
    app = api.app
    before = app.ctx.runtime.limiter
    # A Redis nobody listens on: every limit check fails to connect.
    dead = aioredis.Redis(port=free_port(), socket_connect_timeout=1)
    app.ctx.runtime.limiter = RateLimiter(
        rules=RateLimits(checkin_per_account="1/minute"), redis=dead
    )
    try:
        with caplog.at_level(logging.WARNING, logger="songjiao.rate_limit"):
            first = await scan(client, teacher, static_scene(activity.code))
            again = await scan(client, teacher, static_scene(activity.code))
    finally:
        app.ctx.runtime.limiter = before
        await dead.aclose()
    assert first[0] == 200 and first[1]["status"] == "checked_in"
    assert again[0] == 200 and again[1]["status"] == "already_checked_in"
    assert any("rate limits not applied" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("text", ["lots", "5/fortnight", ""])
def test_a_limit_in_the_wrong_notation_is_refused_at_startup(text):
    with pytest.raises(ValueError):
        RateLimits(checkin_per_account=text)


def test_the_shipped_limits_let_a_kindergarten_through_and_keep_accounts_tight():
    from limits import parse_many

    from server.settings import load_settings

    shipped = load_settings().rate_limits
    per_minute = {
        # How many pass within one minute: a longer window allows at most its amount.
        name: min(i.amount * max(1, 60 / i.get_expiry()) for i in parse_many(text))
        for name, text in shipped.model_dump().items()
    }
    assert per_minute["checkin_per_address"] >= 1000  # 200 teachers, retries, offline syncs
    assert per_minute["login_per_address"] >= 200
    assert per_minute["checkin_per_account"] <= 60
    assert per_minute["redeem_per_account"] <= 10
