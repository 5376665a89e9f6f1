"""Our async WeChat HTTP client: stable_token shared in Redis, one bounded retry, typed errors.

It speaks HTTP through aiohttp (see docs/decisions.md: httpx cost half of a delivery
worker's CPU), and its JSON POSTs, every send of a fan-out, through the lean HTTP/1.1 pool of
server/wechat/http1.py (aiohttp's per-request work was most of a send's CPU). Never logs
secrets, tokens, session keys or webhook keys.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy
from redis.asyncio import Redis
from yarl import URL

from server.common.rate_limit import MovingWindow
from server.wechat.errors import (
    InvalidCredential,
    RateLimited,
    WeChatError,
    WeChatUnavailable,
    error_for,
)
from server.wechat.http1 import ExchangeError, Http1Pool
from server.wechat.token_store import TokenStore

log = logging.getLogger(__name__)

_TOKEN_ERRORS = frozenset(InvalidCredential.codes)
#: WeCom's 群机器人配置说明 (developer.work.weixin.qq.com/document/path/91770), 消息发送频率限制:
#: "每个机器人发送的消息不能超过20条/分钟。" Held across processes in any 60 seconds.
WECOM_LIMIT = "20/minute"


@dataclass(frozen=True)
class Answer:
    """An HTTP answer read whole: status, headers and body."""

    status_code: int
    headers: CIMultiDictProxy[str]
    content: bytes

    def json(self) -> Any:
        """The body as JSON (ValueError when it is not)."""
        return json.loads(self.content)


def _json_body(payload: Mapping[str, Any]) -> bytes:
    # WeChat shows \uXXXX escapes literally in some places, so send UTF-8 as is.
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


class WeChatClient:
    """Calls api.weixin.qq.com (or the sandbox) and the WeCom robot webhook."""

    def __init__(
        self,
        *,
        appid: str,
        secret: str,
        api_base: str,
        wecom_base: str,
        redis: Redis,
        timeout: float = 5.0,
    ) -> None:
        self.appid = appid
        self._secret = secret
        self._api = api_base.rstrip("/")
        self._wecom = wecom_base.rstrip("/")
        self._tokens = TokenStore(redis, appid)
        self._wecom_pace = MovingWindow(redis=redis, limit=WECOM_LIMIT, namespace="wecom")
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        #: Made on first use, inside the event loop that uses it.
        self._http: aiohttp.ClientSession | None = None
        #: JSON POSTs (every send of a fan-out): connections of the event loop that made them.
        self._posts: Http1Pool | None = None
        self._urls: dict[tuple[str, str], URL] = {}

    def __repr__(self) -> str:
        return f"WeChatClient(appid={self.appid!r}, api_base={self._api!r})"

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        if self._posts is not None:
            self._posts.close()
            self._posts = None
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def __aenter__(self) -> WeChatClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- transport ------------------------------------------------------------------------

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            # No cookies: WeChat sets none we need, and one client serves every user.
            self._http = aiohttp.ClientSession(
                timeout=self._timeout, cookie_jar=aiohttp.DummyCookieJar()
            )
        return self._http

    def _post_pool(self) -> Http1Pool:
        loop = asyncio.get_running_loop()
        if self._posts is None or self._posts.loop is not loop:
            self._posts = Http1Pool()
        return self._posts

    async def _send(
        self,
        method: str,
        url: str | URL,
        *,
        params: Mapping[str, str] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
    ) -> Answer:
        if method == "POST" and content is not None and not files and not params:
            return await self._post_json(url, content, headers)
        body: bytes | aiohttp.FormData | None = content
        if files:
            # Built per request from bytes: a retry sends the same file again.
            form = aiohttp.FormData()
            for name, (filename, data, mime) in files.items():
                form.add_field(name, data, filename=filename, content_type=mime)
            body = form
        try:
            async with self._session().request(
                method, url, params=params, data=body, headers=headers
            ) as response:
                return Answer(response.status, response.headers, await response.read())
        except TimeoutError as exc:
            raise WeChatUnavailable(None, f"timeout: {type(exc).__name__}") from exc
        except aiohttp.ClientError as exc:
            raise WeChatUnavailable(None, f"connection error: {type(exc).__name__}") from exc

    async def _post_json(
        self, url: str | URL, content: bytes, headers: Mapping[str, str] | None
    ) -> Answer:
        """A JSON POST through the lean HTTP/1.1 pool (server/wechat/http1.py).

        Its failures read as aiohttp's did: "timeout: …" (the request may have reached WeChat,
        so a send is maybe-delivered), or "connection error: …".
        """
        target = url if isinstance(url, URL) else URL(url)
        try:
            status, answer_headers, body = await self._post_pool().post(
                target, content, headers, self._timeout.total
            )
        except TimeoutError as exc:
            raise WeChatUnavailable(None, f"timeout: {type(exc).__name__}") from exc
        except (OSError, EOFError, asyncio.LimitOverrunError, ExchangeError) as exc:
            raise WeChatUnavailable(None, f"connection error: {type(exc).__name__}") from exc
        return Answer(status, answer_headers, body)

    @staticmethod
    def _decode(response: Answer) -> dict:
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict) or (response.status_code >= 500 and "errcode" not in data):
            raise WeChatUnavailable(None, f"HTTP {response.status_code}, not a WeChat answer")
        return data

    @staticmethod
    def _check(data: dict) -> dict:
        errcode = int(data.get("errcode") or 0)
        if errcode:
            failure = error_for(errcode, str(data.get("errmsg", "")))
            failure.answer = data  # e.g. 45065 names the earlier 群发's msg_id
            raise failure
        return data

    async def _fetch_token(self, force_refresh: bool) -> tuple[str, int]:
        body = {
            "grant_type": "client_credential",
            "appid": self.appid,
            "secret": self._secret,
            "force_refresh": force_refresh,
        }
        response = await self._send(
            "POST",
            f"{self._api}/cgi-bin/stable_token",
            content=_json_body(body),
            headers={"Content-Type": "application/json"},
        )
        data = self._check(self._decode(response))
        log.info("wechat access_token refreshed (appid=%s, forced=%s)", self.appid, force_refresh)
        return str(data["access_token"]), int(data["expires_in"])

    async def _call(
        self,
        path: str,
        *,
        payload: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
        upload: tuple[str, bytes] | None = None,
        image: bool = False,
        method: str = "POST",
        token: str | None = None,
    ) -> dict | bytes:
        """Call an access_token endpoint; one retry with a fresh token on 40001/40014/42001.

        `token`: one the caller read with `access_token()` for a run of sends; refused, it is
        replaced like a cached one.
        """
        request = {
            "payload": payload,
            "params": params,
            "upload": upload,
            "image": image,
            "method": method,
        }
        token = token or await self._tokens.get(self._fetch_token)
        result = await self._attempt(path, token, **request)
        if isinstance(result, dict) and int(result.get("errcode") or 0) in _TOKEN_ERRORS:
            log.warning(
                "wechat refused the access_token (errcode %s) on %s", result["errcode"], path
            )
            await self._tokens.invalidate(token)
            token = await self._tokens.get(self._fetch_token, replacing=token)
            result = await self._attempt(path, token, **request)
        return result if isinstance(result, bytes) else self._check(result)

    async def _attempt(
        self,
        path: str,
        token: str,
        *,
        payload: Mapping[str, Any] | None,
        params: Mapping[str, str] | None,
        upload: tuple[str, bytes] | None,
        image: bool,
        method: str,
    ) -> dict | bytes:
        """One request; the image bytes, or WeChat's JSON answer unchecked."""
        kwargs: dict[str, Any] = {}
        if params:
            kwargs["params"] = {**params, "access_token": token}
            url: str | URL = f"{self._api}{path}"
        else:
            url = self._token_url(path, token)
        if upload is not None:
            # Bytes, not a stream: a retry sends the same file again, never an empty body.
            filename, content = upload
            mime = mimetypes.guess_type(filename)[0] or "application/octet-stream"
            kwargs["files"] = {"media": (filename, content, mime)}
        elif method != "GET":  # a GET carries everything in its query
            kwargs["content"] = _json_body(payload or {})
            kwargs["headers"] = {"Content-Type": "application/json"}
        response = await self._send(method, url, **kwargs)
        if image and response.headers.get("content-type", "").startswith("image/"):
            return response.content
        return self._decode(response)

    async def access_token(self) -> str:
        """The shared access token, for a run of sends that pass it along (`token=`).

        A fan-out reads it once per run of sends instead of once per message (a Redis
        round trip that was a quarter of a delivery's CPU); a refused one is replaced.
        """
        return await self._tokens.get(self._fetch_token)

    def _token_url(self, path: str, token: str) -> URL:
        """The URL of `path` with the token in its query, built once per path and token.

        Encoding the query anew for every message was a tenth of a send's HTTP work.
        """
        url = self._urls.get((path, token))
        if url is None:
            if len(self._urls) >= 64:  # old tokens' URLs
                self._urls.clear()
            url = URL(f"{self._api}{path}").with_query(access_token=token)
            self._urls[(path, token)] = url
        return url

    async def _post(self, path: str, **kwargs: Any) -> dict:
        """An access_token call that answers JSON."""
        result = await self._call(path, **kwargs)
        if not isinstance(result, dict):
            raise WeChatUnavailable(None, "unexpected binary answer")
        return result

    # -- mini-program ---------------------------------------------------------------------

    async def code_to_session(self, code: str) -> dict:
        """Exchange a wx.login code: {"openid", "session_key", "unionid"?}."""
        params = {
            "appid": self.appid,
            "secret": self._secret,
            "js_code": code,
            "grant_type": "authorization_code",
        }
        response = await self._send("GET", f"{self._api}/sns/jscode2session", params=params)
        data = self._check(self._decode(response))
        return {k: data[k] for k in ("openid", "session_key", "unionid") if data.get(k)}

    async def get_unlimited_wxacode(
        self,
        *,
        scene: str,
        page: str | None = None,
        width: int = 430,
        check_path: bool = False,
        env_version: str = "release",
    ) -> bytes:
        """A mini-program code (PNG bytes) carrying `scene`."""
        payload: dict[str, Any] = {
            "scene": scene,
            "width": width,
            "check_path": check_path,
            "env_version": env_version,
        }
        if page is not None:
            payload["page"] = page
        result = await self._call("/wxa/getwxacodeunlimit", payload=payload, image=True)
        if not isinstance(result, bytes):
            raise WeChatUnavailable(None, "wxacode answer was not an image")
        return result

    async def send_subscribe_message(
        self,
        *,
        openid: str,
        template_id: str,
        data: Mapping[str, str | Mapping[str, str]],
        page: str | None = None,
        state: str = "formal",
        token: str | None = None,
    ) -> int | None:
        """Send a one-time subscribe message; returns WeChat's msgid.

        `token`: from `access_token()`, when many are sent in a row.
        """
        payload: dict[str, Any] = {
            "touser": openid,
            "template_id": template_id,
            "data": _data_fields(data),
            "miniprogram_state": state,
            "lang": "zh_CN",
        }
        if page is not None:
            payload["page"] = page
        result = await self._post("/cgi-bin/message/subscribe/send", payload=payload, token=token)
        return result.get("msgid")

    # -- official account -----------------------------------------------------------------

    async def send_template_message(
        self,
        *,
        openid: str,
        template_id: str,
        data: Mapping[str, str | Mapping[str, str]],
        url: str | None = None,
        miniprogram: Mapping[str, str] | None = None,
        client_msg_id: str | None = None,
        token: str | None = None,
    ) -> int | None:
        """Send a 公众号 template message; the same client_msg_id is delivered once.

        `token`: from `access_token()`, when many are sent in a row.
        """
        payload: dict[str, Any] = {
            "touser": openid,
            "template_id": template_id,
            "data": _data_fields(data),
        }
        optional = {"url": url, "miniprogram": miniprogram, "client_msg_id": client_msg_id}
        payload.update({k: v for k, v in optional.items() if v is not None})
        result = await self._post("/cgi-bin/message/template/send", payload=payload, token=token)
        return result.get("msgid")

    async def send_custom_message(self, *, openid: str, payload: Mapping[str, Any]) -> None:
        """Send a customer-service message; `payload` holds msgtype and its object."""
        await self._post("/cgi-bin/message/custom/send", payload={"touser": openid, **payload})

    async def add_material(self, *, kind: str, filename: str, content: bytes) -> dict:
        """Upload a permanent material ("image" or "thumb"): {"media_id", "url"}."""
        result = await self._post(
            "/cgi-bin/material/add_material", params={"type": kind}, upload=(filename, content)
        )
        return {k: v for k, v in result.items() if k in ("media_id", "url")}

    async def upload_image(self, *, filename: str, content: bytes) -> str:
        """Upload an image for article bodies; returns its URL."""
        result = await self._post("/cgi-bin/media/uploadimg", upload=(filename, content))
        return str(result["url"])

    async def add_draft(self, *, articles: list[Mapping[str, Any]]) -> str:
        """Create a draft of articles; returns its media_id."""
        result = await self._post("/cgi-bin/draft/add", payload={"articles": articles})
        return str(result["media_id"])

    async def submit_publish(self, *, media_id: str) -> str:
        """Start publishing a draft; returns the publish_id."""
        result = await self._post("/cgi-bin/freepublish/submit", payload={"media_id": media_id})
        return str(result["publish_id"])

    async def get_publish(self, *, publish_id: str) -> dict:
        """The state of a publish job (publish_status, article_id, article_detail, fail_idx)."""
        result = await self._post("/cgi-bin/freepublish/get", payload={"publish_id": publish_id})
        return result

    async def mass_send_all(self, *, media_id: str, clientmsgid: str) -> str:
        """群发 a draft's articles to every follower; returns WeChat's msg_id.

        `clientmsgid` makes a repeat within 24 hours answer MassAlreadySent, never a second send.
        """
        result = await self._post(
            "/cgi-bin/message/mass/sendall",
            payload={
                "filter": {"is_to_all": True},
                "mpnews": {"media_id": media_id},
                "msgtype": "mpnews",
                "send_ignore_reprint": 0,
                "clientmsgid": clientmsgid,
            },
        )
        return str(result.get("msg_id", ""))

    async def get_mass_status(self, *, msg_id: str) -> str:
        """A 群发 job's msg_status: SEND_SUCCESS, SENDING, SEND_FAIL or DELETE."""
        result = await self._post("/cgi-bin/message/mass/get", payload={"msg_id": msg_id})
        return str(result.get("msg_status", ""))

    async def get_user_info(self, *, openid: str) -> dict:
        """A follower's subscribe flag and unionid (GET cgi-bin/user/info), nothing naming her."""
        params = {"openid": openid, "lang": "zh_CN"}
        result = await self._post("/cgi-bin/user/info", params=params, method="GET")
        # Remark, tags and whatever else might name the person are dropped here.
        keep = ("subscribe", "openid", "unionid", "subscribe_time", "subscribe_scene")
        return {k: result[k] for k in keep if k in result}

    async def create_scene_qrcode(self, *, scene: str, expire_seconds: int | None) -> dict:
        """A 公众号 parametric QR code (POST cgi-bin/qrcode/create): {"ticket", "url", …}.

        With `expire_seconds` a temporary QR_STR_SCENE (at most 2592000 s, 30 days), else
        a permanent QR_LIMIT_STR_SCENE (WeChat allows at most 100000 of them). `scene` is the
        scene_str, 1 to 64 characters, that WeChat sends back in the follow or SCAN event.
        """
        payload: dict[str, Any] = {
            "action_name": "QR_STR_SCENE" if expire_seconds else "QR_LIMIT_STR_SCENE",
            "action_info": {"scene": {"scene_str": scene}},
        }
        if expire_seconds:
            payload["expire_seconds"] = expire_seconds
        result = await self._post("/cgi-bin/qrcode/create", payload=payload)
        return {k: result[k] for k in ("ticket", "expire_seconds", "url") if k in result}

    async def create_menu(self, *, buttons: list[Mapping[str, Any]]) -> None:
        """Replace the 公众号 custom menu."""
        await self._post("/cgi-bin/menu/create", payload={"button": buttons})

    # -- WeCom group robot ----------------------------------------------------------------

    async def send_wecom_webhook(self, *, key: str, payload: Mapping[str, Any]) -> None:
        """Post to a WeCom group robot; at most 20 a minute per robot across all processes."""
        robot = hashlib.sha256(key.encode()).hexdigest()[:16]
        wait = await self._wecom_pace.take(robot)
        if wait is not None:
            limited = RateLimited(45009, "local limit: 20 messages per minute per robot")
            limited.retry_after = wait
            raise limited
        response = await self._send(
            "POST",
            f"{self._wecom}/cgi-bin/webhook/send",
            params={"key": key},
            content=_json_body(payload),
            headers={"Content-Type": "application/json"},
        )
        self._check(self._decode(response))


def _data_fields(data: Mapping[str, str | Mapping[str, str]]) -> dict[str, Mapping[str, str]]:
    """Accept {"thing1": "文字"} as shorthand for {"thing1": {"value": "文字"}}."""
    return {k: {"value": v} if isinstance(v, str) else v for k, v in data.items()}


__all__ = ["WeChatClient", "WeChatError"]
