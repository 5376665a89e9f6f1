"""Link a 公众号 follower to a person without unionid: her personal parametric QR code.

The unionid ties the two openids together only when the mini-program and the 公众号 are bound
to one 微信开放平台 account. Without it, the person opens her own QR code (shown in the
mini-program and the console) and scans it with WeChat; WeChat then sends the 公众号 a follow
(subscribe, EventKey "qrscene_<scene>") or, for a follower, a SCAN event (EventKey
"<scene>"), and the bot links the follower's openid to the person the scene names.

The scene is `bind:<person>.<expires>.<nonce>.<mac>` (≤ 64 characters, WeChat's scene_str
limit): person id and expiry in base 36, a random nonce, and an HMAC of the three under a key
derived from the server's secret. Nobody can make or alter a scene for a person; the nonce
makes each code good for one link, so a photo of a used code links nobody else. The code is a
temporary QR_STR_SCENE of WeChat's longest life (30 days), cached per person in Redis until a
day before it ends or until it has been used.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import io
import json
import logging
import re
import secrets
import string
from dataclasses import dataclass
from datetime import UTC, datetime

import qrcode

from server.audit.service import record_action
from server.common.errors import DomainError
from server.common.runtime import current
from server.common.time import now
from server.followers import service as followers
from server.wechat.errors import WeChatError

log = logging.getLogger("songjiao.followers")

SCENE_PREFIX = "bind:"
#: WeChat's longest temporary code: "最长可以设置为在二维码生成后的30天（即2592000秒）后过期".
EXPIRE_S = 2_592_000
#: A cached code with less than this left is replaced, so nobody is shown one about to end.
RENEW_BEFORE_S = 86_400
_CACHE_KEY = "follow:qr:{}"
_USED_KEY = "follow:used:{}"
_DIGITS = string.digits + string.ascii_lowercase
_TOKEN = re.compile(r"([0-9a-z]{1,10})\.([0-9a-z]{1,10})\.([A-Za-z0-9_-]{8})\.([A-Za-z0-9_-]{22})")


class BadLinkScene(ValueError):
    """Not a scene this server signed, or one past its time."""


@dataclass(frozen=True)
class LinkScene:
    """A verified personal scene."""

    person_id: int
    expires_at: int  #: seconds since the epoch
    nonce: str


def _to36(n: int) -> str:
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = _DIGITS[r] + out
        if n == 0:
            return out


def _mac(secret: str, body: str) -> str:
    # A key of its own, derived from the server secret: no other signature can serve here.
    key = hmac.new(secret.encode(), b"songjiao follower link scene", hashlib.sha256).digest()
    digest = hmac.new(key, body.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign_scene(*, person_id: int, expires_at: int, nonce: str, secret: str) -> str:
    """The scene_str of a person's code."""
    body = f"{_to36(person_id)}.{_to36(expires_at)}.{nonce}"
    return f"{SCENE_PREFIX}{body}.{_mac(secret, body)}"


def is_link_token(value: str) -> bool:
    """Whether the part after "bind:" has the shape of a personal scene (signed or not)."""
    return _TOKEN.fullmatch(value) is not None


def read_scene(value: str, *, secret: str, at: datetime) -> LinkScene:
    """Verify the part after "bind:"; raises BadLinkScene when forged, altered or expired."""
    match = _TOKEN.fullmatch(value)
    if match is None:
        raise BadLinkScene("shape")
    person36, expires36, nonce, mac = match.groups()
    if not hmac.compare_digest(mac, _mac(secret, f"{person36}.{expires36}.{nonce}")):
        raise BadLinkScene("signature")
    scene = LinkScene(person_id=int(person36, 36), expires_at=int(expires36, 36), nonce=nonce)
    if scene.expires_at <= at.timestamp():
        raise BadLinkScene("expired")
    return scene


async def _cached(redis, person_id: int) -> dict | None:
    raw = await redis.get(_CACHE_KEY.format(person_id))
    if not raw:
        return None
    code = json.loads(raw)
    if code["expires_at"] - now().timestamp() < RENEW_BEFORE_S:
        return None
    if await redis.exists(_USED_KEY.format(code["nonce"])):
        return None  # scanned and linked: the next link needs a fresh code
    return code


async def follow_qrcode(*, person_id: int) -> dict:
    """The person's follow-and-link code (made through the 公众号's client when none is good).

    Answers {"linked", "url", "expires_at"}: `url` is what the QR image decodes to.
    """
    runtime = current()
    # The 公众号's app makes 公众号 codes.
    redis, wechat, secret = runtime.redis, runtime.official_account, runtime.settings.jwt_secret
    code = await _cached(redis, person_id)
    if code is None:
        expires_at = int(now().timestamp()) + EXPIRE_S
        nonce = secrets.token_urlsafe(6)
        scene = sign_scene(person_id=person_id, expires_at=expires_at, nonce=nonce, secret=secret)
        try:
            made = await wechat.create_scene_qrcode(scene=scene, expire_seconds=EXPIRE_S)
        except WeChatError as exc:
            log.warning("公众号 follow code not made: errcode %s", exc.errcode)
            raise DomainError(
                "wechat_unavailable", "微信暂时无法生成关注二维码，请稍后再试", status=503
            ) from exc
        lifetime = int(made.get("expire_seconds") or EXPIRE_S)
        code = {
            "url": made["url"],
            "expires_at": min(expires_at, int(now().timestamp()) + lifetime),
            "nonce": nonce,
        }
        await redis.set(_CACHE_KEY.format(person_id), json.dumps(code), ex=lifetime)
    linked = bool(await followers.oa_openids_of([person_id]))
    expires = datetime.fromtimestamp(code["expires_at"], UTC).isoformat()
    return {"linked": linked, "url": code["url"], "expires_at": expires}


async def link_by_scene(*, oa_openid: str, token: str, redis, secret: str, event: str) -> str:
    """Link the follower to the person of a personal scene (the part after "bind:").

    Answers linked, already (hers already), other (another person's follower), used (a
    code scanned before) or bad (forged, altered or expired). Safe to run twice.
    """
    try:
        scene = read_scene(token, secret=secret, at=now())
    except BadLinkScene as exc:
        log.warning("公众号 link scene refused: %s", exc)
        return "bad"
    current = await followers.follower_person(oa_openid)
    if current == scene.person_id:
        return "already"
    if current is not None:
        return "other"
    ttl = max(scene.expires_at - int(now().timestamp()), 1)
    if not await redis.set(_USED_KEY.format(scene.nonce), b"1", nx=True, ex=ttl):
        return "used"
    follower_id = await followers.link_person(oa_openid=oa_openid, person_id=scene.person_id)
    await record_action(
        actor_id=scene.person_id,
        action="follower.link",
        target_type="person",
        target_id=scene.person_id,
        detail={"follower_id": follower_id, "via": "qrcode", "event": event},
    )
    log.info("公众号 follower %s linked to a person through her QR code", follower_id)
    return "linked"


def _qr_png(text: str) -> bytes:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, box_size=10)
    code.add_data(text)
    out = io.BytesIO()
    code.make_image().save(out, format="PNG")
    return out.getvalue()


async def follow_qrcode_png(*, person_id: int) -> bytes:
    """The person's follow code as a PNG, drawn here from the url WeChat gave.

    WeChat allows it: "url: 二维码图片解析后的地址，开发者可根据该地址自行生成需要的二维码图片";
    drawn on our origin, the console's CSP and the mini-program's download need no WeChat host.
    """
    code = await follow_qrcode(person_id=person_id)
    return await asyncio.to_thread(_qr_png, code["url"])
