"""Helpers for the WeChat tests: the sandbox handle, our client, unique names."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import httpx

from server.wechat.client import WeChatClient
from server.wechat.sandbox import SandboxState

APPID = "wx_sandbox_test_app"
SECRET = "sandbox-test-secret"


@dataclass
class Sandbox:
    """A running sandbox: its base URL, its state, and helpers for its control endpoints."""

    url: str
    state: SandboxState
    http: httpx.AsyncClient

    async def token(self) -> str:
        """A valid access token straight from the sandbox."""
        body = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET}
        answer = (await self.http.post(f"{self.url}/cgi-bin/stable_token", json=body)).json()
        return answer["access_token"]

    async def call(self, path: str, body: dict | None = None, **params: str) -> dict:
        """POST JSON to a WeChat endpoint with a valid token; returns the JSON answer."""
        params.setdefault("access_token", await self.token())
        response = await self.http.post(f"{self.url}{path}", params=params, json=body or {})
        return response.json()

    async def stats(self) -> dict:
        """Counters through GET /sandbox/stats."""
        return (await self.http.get(f"{self.url}/sandbox/stats")).json()

    async def fault(self, **fault: object) -> None:
        """Inject a fault through POST /sandbox/faults."""
        response = await self.http.post(f"{self.url}/sandbox/faults", json=fault)
        assert response.status_code == 200, response.text

    async def bind_open_platform(self, bound: bool = True) -> None:
        """Play a mini-program bound to a 微信开放平台 account: logins carry a unionid."""
        response = await self.http.post(f"{self.url}/sandbox/open_platform", json={"bound": bound})
        assert response.status_code == 200, response.text

    async def grant(self, openid: str, template_id: str, count: int = 1) -> dict:
        """Grant one-time subscriptions through POST /sandbox/subscriptions."""
        body = {"openid": openid, "template_id": template_id, "count": count}
        return (await self.http.post(f"{self.url}/sandbox/subscriptions", json=body)).json()


def make_client(sandbox: Sandbox, redis, *, timeout: float = 5.0) -> WeChatClient:
    """Our client pointed at the sandbox for both WeChat and WeCom."""
    return WeChatClient(
        appid=APPID,
        secret=SECRET,
        api_base=sandbox.url,
        wecom_base=sandbox.url,
        redis=redis,
        timeout=timeout,
    )


def unique(prefix: str = "t") -> str:
    """A short unique name for codes, template ids and robot keys."""
    return f"{prefix}{secrets.token_hex(4)}"
