"""The projector: a signed link, the rotating code it shows, and its page.

A projector link carries a JWT (typ "projector", the activity id, expiring an hour after
check-in closes) so the laptop at the front of the room needs no login. The rotating
code's PNG is cached per step in Redis, so polls do not call WeChat each time; with Redis
down it is drawn afresh.
"""

from __future__ import annotations

import functools
import logging
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import jwt
from jinja2 import Environment, FileSystemLoader, select_autoescape
from redis.exceptions import RedisError

from server.activities import access
from server.activities.codes import dynamic_scene, time_step
from server.activities.models import Activity, ActivityKind, ActivityStatus
from server.activities.poster import code_image, time_range_text
from server.common.auth import ALGORITHM, Principal
from server.common.errors import DomainError, Forbidden, NotFound
from server.common.runtime import current
from server.common.time import now
from server.settings import Settings

log = logging.getLogger("songjiao.activities")

TOKEN_TYPE = "projector"
TOKEN_GRACE = timedelta(hours=1)
CODE_WIDTH = 600
TEMPLATES = Path(__file__).resolve().parent.parent / "web" / "templates"
MANAGER_ROLES = ("organizer", "director")


# ---- the link ------------------------------------------------------------------------------


def issue_projector_token(*, activity: Activity, secret: str) -> tuple[str, datetime]:
    """A token that shows this activity's codes until an hour after check-in closes."""
    expires = activity.checkin_closes_at + TOKEN_GRACE
    claims = {
        "typ": TOKEN_TYPE,
        "aid": activity.id,
        "iat": now(),
        "exp": expires,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM), expires


def read_projector_token(token: str, *, secret: str, activity_id: int) -> None:
    """Accept a projector token for this activity, or refuse (401 bad, 403 other activity)."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "aid", "typ"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise DomainError("token_expired", "放映链接已过期，请在管理端重新生成") from exc
    except jwt.PyJWTError as exc:
        raise DomainError("token_invalid", "放映链接无效，请在管理端重新生成") from exc
    if claims.get("typ") != TOKEN_TYPE or not isinstance(claims.get("aid"), int):
        raise DomainError("token_invalid", "放映链接无效，请在管理端重新生成")
    if claims["aid"] != activity_id:
        raise Forbidden("该放映链接属于其他活动")


async def projector_link(*, principal: Principal, activity_id: int, settings: Settings) -> dict:
    """A link to the projector page of an activity the caller manages."""
    activity = await access.get_managed_activity(principal=principal, activity_id=activity_id)
    if ActivityStatus(activity.status) == ActivityStatus.CANCELLED:
        raise DomainError("activity_cancelled", "活动已取消，无法放映签到码", status=409)
    if now() >= activity.checkin_closes_at + TOKEN_GRACE:
        raise DomainError("checkin_closed", "签到已截止，无法再生成放映链接", status=409)
    token, expires = issue_projector_token(activity=activity, secret=settings.jwt_secret)
    return {
        "url": f"/activities/{activity.id}/projector?t={token}",
        "token": token,
        "expires_at": expires.isoformat(),
    }


async def authorize_display(
    *, activity_id: int, token: str | None, principal: Principal | None, jwt_secret: str
) -> Activity:
    """The activity, if the projector token or the caller (a manager) may show its codes."""
    if token:
        read_projector_token(token, secret=jwt_secret, activity_id=activity_id)
        activity = await Activity.get_or_none(id=activity_id)
        if activity is None:
            raise NotFound("活动")
        return activity
    if principal is None:
        raise DomainError("unauthenticated", "请先登录，或使用放映链接打开")
    if not principal.has(*MANAGER_ROLES):
        raise Forbidden("只有活动的组织者或园长可以放映签到码")
    return await access.get_managed_activity(principal=principal, activity_id=activity_id)


# ---- the rotating code -------------------------------------------------------------------------


def _ensure_showable(activity: Activity) -> None:
    if ActivityStatus(activity.status) == ActivityStatus.CANCELLED:
        raise DomainError("activity_cancelled", "活动已取消", status=409)


def rotating_code(*, activity: Activity, token: str | None, at: datetime | None = None) -> dict:
    """The scene of the current step, how long it lives, and where its image is."""
    _ensure_showable(activity)
    at = at or now()
    rotate = activity.rotate_seconds
    step = time_step(at, rotate)
    expires_in = round((step + 1) * rotate - at.timestamp(), 3)
    query = f"step={step}" + (f"&t={token}" if token else "")
    status = ActivityStatus(activity.status)
    return {
        "scene": dynamic_scene(code=activity.code, secret=activity.secret, step=step),
        "step": step,
        "expires_in": expires_in,
        "rotate_seconds": rotate,
        "image_url": f"/api/v1/activities/{activity.id}/rotating-code.png?{query}",
        "status": status.value,
        "checkin_open": activity.checkin_opens_at <= at < activity.checkin_closes_at,
    }


async def rotating_code_png(
    *,
    activity: Activity,
    step: int | None,
) -> bytes:
    """The code image of one step (the current one, the one before or after)."""
    runtime = current()
    redis = runtime.redis
    _ensure_showable(activity)
    this_step = time_step(now(), activity.rotate_seconds)
    step = this_step if step is None else step
    if abs(step - this_step) > 1:
        raise DomainError("step_out_of_range", "该时段的签到码已失效，请刷新页面")
    key = f"activities:{activity.id}:{activity.code}:rcode:{activity.rotate_seconds}:{step}"
    try:
        cached = await redis.get(key)
        if cached:
            return bytes(cached)
    except (RedisError, OSError):
        log.warning("redis unavailable; drawing the rotating code without cache")
    scene = dynamic_scene(code=activity.code, secret=activity.secret, step=step)
    png, _ = await code_image(
        scene=scene, settings=runtime.settings, wechat=runtime.wechat, width=CODE_WIDTH
    )
    try:
        await redis.set(key, png, ex=activity.rotate_seconds * 3)
    except (RedisError, OSError):
        pass
    return png


# ---- the page ---------------------------------------------------------------------------------


@functools.cache
def _templates() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


async def projector_page(*, activity: Activity, token: str) -> str:
    """The full-screen HTML page of the projector."""
    host = await Activity.filter(id=activity.id).values_list("host__name", flat=True)
    return (
        _templates()
        .get_template("projector.html")
        .render(
            activity_id=activity.id,
            title=activity.title,
            kind=ActivityKind(activity.kind).value,
            time_text=time_range_text(activity.starts_at, activity.ends_at),
            window_text=time_range_text(activity.checkin_opens_at, activity.checkin_closes_at),
            address=activity.address,
            host_name=host[0] if host else "",
            token=token,
            rotate_seconds=activity.rotate_seconds,
            cancelled=ActivityStatus(activity.status) == ActivityStatus.CANCELLED,
        )
    )


def error_page(*, message: str) -> str:
    """A plain Chinese page for a projector link that cannot be shown."""
    return _templates().get_template("projector_error.html").render(message=message)
