"""The week's people: each one a phone running the mini-program (its API calls), or a
browser on the console, and the WeChat servers that stand between them and us."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from server.wechat.sandbox import oa_openid_for, openid_for
from tests.support.http import http_client

HERE = Path(__file__).resolve().parent
WEB = HERE.parent / "web"


class Refused(AssertionError):
    """The api refused a call the scenario expected to succeed."""


@dataclass
class Phone:
    """One person's mini-program: wx.login as `name`, then the api with her token."""

    name: str
    api: str
    sandbox: str
    token: str = ""
    person_id: int | None = None
    http: httpx.AsyncClient = field(init=False)

    def __post_init__(self) -> None:
        self.http = http_client(base_url=self.api, timeout=60)

    @property
    def openid(self) -> str:
        return openid_for(self.name)

    @property
    def oa_openid(self) -> str:
        return oa_openid_for(self.name)

    async def login(self) -> Phone:
        """wx.login and the api's login, as the mini-program starts."""
        data = await self.call("POST", "/api/v1/auth/login", json={"code": self.name}, auth=False)
        self.token = data["access_token"]
        me = await self.call("GET", "/api/v1/me")
        self.person_id = me.get("id") if me.get("bound") else None
        return self

    async def redeem(self, code: str) -> None:
        """Enter an invitation code on the bind page."""
        await self.call("POST", "/api/v1/invitations/redeem", json={"code": code})
        await self.login()  # the new roles come with a new token

    async def subscribe(self, kinds: tuple[str, ...] = ()) -> list[str]:
        """Tap 允许 in wx.requestSubscribeMessage for `kinds` (all when empty).

        WeChat records the permission (the sandbox's grant); the mini-program reports the
        answer to the api, as pages/settings does.
        """
        mine = await self.call("GET", "/api/v1/subscriptions")
        templates = [i["template_id"] for i in mine["items"] if not kinds or i["kind"] in kinds]
        async with http_client(base_url=self.sandbox, timeout=30) as wx:
            for template_id in templates:
                resp = await wx.post(
                    "/sandbox/subscriptions",
                    json={"openid": self.openid, "template_id": template_id, "count": 5},
                )
                assert resp.status_code == 200, resp.text
        await self.call(
            "POST",
            "/api/v1/subscriptions",
            json={"results": {t: "accept" for t in templates}},
        )
        return templates

    async def call(self, method: str, path: str, *, auth: bool = True, ok=(200, 201), **kw):
        """One api call; answers the JSON, or raises with the api's answer."""
        resp = await self.raw(method, path, auth=auth, **kw)
        if resp.status_code not in ok:
            raise Refused(f"{self.name}: {method} {path} -> {resp.status_code} {resp.text[:500]}")
        return resp.json() if resp.content else None

    async def raw(self, method: str, path: str, *, auth: bool = True, **kw) -> httpx.Response:
        headers = kw.pop("headers", {})
        if auth:
            headers["Authorization"] = "Bearer " + self.token
        resp = await self.http.request(method, path, headers=headers, **kw)
        if auth and resp.status_code == 401 and resp.json().get("error") == "token_expired":
            # A day later the token has expired: the mini-program logs in again and retries.
            await self.login()
            headers["Authorization"] = "Bearer " + self.token
            resp = await self.http.request(method, path, headers=headers, **kw)
        return resp

    async def inbox(self) -> list[dict]:
        """What the inbox page shows her."""
        return (await self.call("GET", "/api/v1/inbox"))["items"]

    async def close(self) -> None:
        await self.http.aclose()


def nonce() -> str:
    """The idempotency nonce a scan carries."""
    return secrets.token_urlsafe(12)


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "未找到 chromium：请运行 scripts/setup.sh（apt-get install chromium）"
    assert (WEB / "node_modules" / "playwright-core").is_dir(), "请运行 scripts/setup.sh"
    return found


def console(api: str, login: str, password: str, steps: list[dict], shots: Path) -> dict:
    """One person at the console in headless Chromium: log in, then do `steps`.

    Steps are {"goto": path}, {"fill": selector, "value": v}, {"select": selector,
    "value": v}, {"check": selector}, {"click": selector}, {"shot": name},
    {"text": selector, "as": key} and {"url": key}; answers what was read, by key.
    """
    shots.mkdir(parents=True, exist_ok=True)
    config = {
        "base": api,
        "chromium": chromium(),
        "shots": str(shots),
        "login": login,
        "password": password,
        "steps": steps,
    }
    done = subprocess.run(
        ["node", str(HERE / "console.js")],
        cwd=WEB,
        env={**os.environ, "SJT_WEEK": json.dumps(config)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"console steps failed:\n{done.stdout}\n{done.stderr}"
    return json.loads(done.stdout.strip().splitlines()[-1])
