"""Followers for the bot tests: bound to a person through the unionid, or not."""

from __future__ import annotations

from server.common.runtime import current
from server.followers.service import record_subscribe
from server.wechat.sandbox import unionid_for
from tests.bots.callback import follower_openid
from tests.support.factories import LoggedIn, login_as, unique
from tests.support.http import http_client


async def bind_open_platform() -> None:
    """The sandbox plays a mini-program bound to a 微信开放平台 account: logins get a unionid."""
    async with http_client(base_url=current().settings.wechat_api_base) as http:
        resp = await http.post("/sandbox/open_platform", json={"bound": True})
        assert resp.status_code == 200, resp.text


async def follow(who: LoggedIn) -> str:
    """Make the logged-in user follow the 公众号; returns her 公众号 openid.

    Her mini-program login stored the unionid the sandbox gives her code (bound to an open
    platform); WeChat gives the 公众号 the same unionid (through its user info), which links
    the two openids.
    """
    name = who.code.split(":")[0]
    openid = follower_openid(name)
    await record_subscribe(oa_openid=openid, unionid=unionid_for(name))
    return openid


async def bound_follower(client, role: str, **scope) -> tuple[LoggedIn, str]:
    """A person holding `role`, logged in to the mini-program and following the 公众号."""
    await bind_open_platform()
    who = await login_as(client, role, **scope)
    return who, await follow(who)


def stranger() -> str:
    """The openid of a follower who never used the mini-program."""
    return follower_openid(unique("stranger-"))
