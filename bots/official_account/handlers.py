"""What the bot does with each event, menu key and keyword: plain async functions.

A handler takes wechatpy's message and the bot's context and returns the text to reply,
or None for nothing ("success"). Handlers call services only.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from wechatpy.messages import BaseMessage

from bots.official_account import background, texts
from server.accounts.grants import grants_for
from server.activities.codes import BadScene, parse_scene
from server.activities.service import ActivityKind, list_activities
from server.checkin.hours import hours_of
from server.checkin.organizer import my_checkins
from server.common.auth import Principal
from server.common.miniprogram_pages import SUMMARY
from server.common.semester import semester_of
from server.common.time import china, now
from server.delivery import service as delivery
from server.followers import events
from server.followers import link as follower_link
from server.followers import service as followers
from server.publicity import mass_send, publish
from server.reports import summary_reads as summaries
from server.reports import summary_render
from server.settings import Settings

_INVITATION = re.compile(r"[A-Za-z0-9]{4,16}")
_HIDDEN_STATUSES = {"draft"}


#: Longest a follow or scan waits for WeChat's user info before answering without it.
LINK_WAIT_S = 0.5


@dataclass(frozen=True)
class BotContext:
    """What handlers reach: settings, Redis and the 公众号's WeChat client of this process."""

    settings: Settings
    redis: Any
    wechat: Any  #: the 公众号's app (runtime.official_account), never the mini-program's


Handler = Callable[[BaseMessage, BotContext], Awaitable[str | None]]


def raw(message: BaseMessage, name: str) -> Any:
    """A field of the message as WeChat sent it (wechatpy keeps the parsed dict)."""
    return message._data.get(name)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


async def _principal(message: BaseMessage) -> Principal | None:
    """The follower as a caller of the services, None while unbound."""
    person_id = await followers.follower_person(message.source)
    if person_id is None:
        return None
    grants = await grants_for(person_id)
    return Principal(account_id=0, person_id=person_id, session_id="oa-bot", grants=tuple(grants))


# ---- keywords and menu keys -------------------------------------------------------------


async def send_help(message: BaseMessage, ctx: BotContext) -> str:
    """帮助, and anything the bot does not understand."""
    return texts.help_text(ctx.settings)


def _activity_lines(items: list[dict]) -> list[str]:
    lines = []
    for number, item in enumerate(items, start=1):
        status = "（已取消）" if item["status"] == "cancelled" else ""
        host = f"｜{item['host_name']}" if item.get("host_name") else ""
        moment = texts.when(item["starts_at"])
        lines.append(f"{number}. {moment} 〔{item['kind']}〕{item['title']}{status}{host}")
    return lines


async def week_activities(message: BaseMessage, ctx: BotContext) -> str:
    """本周活动: this week's activities within the follower's sight."""
    principal = await _principal(message)
    if principal is None:
        return texts.unbound_text(ctx.settings)
    today = china(now()).date()
    monday = today - timedelta(days=today.weekday())
    sunday = monday + timedelta(days=6)
    found = await list_activities(principal=principal, day_from=monday, day_to=sunday, limit=30)
    items = [a for a in found["items"] if a["status"] not in _HIDDEN_STATUSES]
    items.sort(key=lambda a: a["starts_at"] or "")
    head = f"本周活动（{monday.month}月{monday.day}日—{sunday.month}月{sunday.day}日）："
    if not items:
        return f"{head}\n本周暂无您可参加或查看的活动。"
    return texts.fit(
        [head, *_activity_lines(items), "详情与签到请在「送教通」小程序中查看。"],
        more="……另有 {n} 行，请在小程序中查看全部。",
    )


async def open_days(message: BaseMessage, ctx: BotContext) -> str:
    """开放日: coming 家长开放日 within the follower's sight."""
    principal = await _principal(message)
    if principal is None:
        return texts.unbound_text(ctx.settings)
    today = china(now()).date()
    found = await list_activities(
        principal=principal, kind=ActivityKind.OPEN_DAY.value, day_from=today, limit=30
    )
    items = [a for a in found["items"] if a["status"] not in _HIDDEN_STATUSES | {"cancelled"}]
    items.sort(key=lambda a: a["starts_at"] or "")
    if not items:
        return "近期暂无家长开放日。有新的开放日时，园所会通过小程序和本公众号通知您。"
    return texts.fit(
        ["近期的家长开放日：", *_activity_lines(items), "报名、回执和当天签到请在小程序中完成。"],
        more="……另有 {n} 行，请在小程序中查看全部。",
    )


async def my_checkins_text(message: BaseMessage, ctx: BotContext) -> str:
    """我的签到: recent check-ins and this semester's 课时."""
    principal = await _principal(message)
    if principal is None:
        return texts.unbound_text(ctx.settings)
    semester = semester_of(now())
    hours = await hours_of(person_id=principal.person_id, semester=semester)
    rows = await my_checkins(principal=principal, limit=8)
    lines = [
        f"本学期（{semester}）课时：共 {hours['total_hours']:g} 课时"
        f"（主讲 {hours['presenter_hours']:g}、参训 {hours['attendee_hours']:g}）"
    ]
    if not rows:
        lines.append("暂无签到记录。参加活动时扫描现场的签到码即可签到。")
        return "\n".join(lines)
    lines.append("最近签到：")
    for row in rows:
        scanned = china(datetime.fromisoformat(row["scanned_at"]))
        notes = "".join(
            note
            for flag, note in (("late", "（迟到）"), ("annulled", "（已作废）"))
            if row.get(flag)
        )
        lines.append(f"· {scanned.month}月{scanned.day}日 {scanned:%H:%M} {row['title']}{notes}")
    return texts.fit(lines, more="……另有 {n} 条，请在小程序中查看。")


async def leader_summary(message: BaseMessage, ctx: BotContext) -> str:
    """统计: a leader's latest summary (made now if none exists); others are told politely."""
    principal = await _principal(message)
    if principal is None:
        return texts.unbound_text(ctx.settings)
    if not principal.has("leader"):
        return texts.NOT_A_LEADER
    latest = await summaries.latest(principal=principal, calendar=ctx.settings.semester_calendar)
    link = texts.miniprogram_link(
        ctx.settings,
        path=SUMMARY.link(id=latest["id"]),
        label="打开小程序查看完整简报",
    )
    return texts.fit(
        [
            *summary_render.text_lines(latest),
            link,
            "工作周报每周一 08:00 推送，学期结束后推送学期总结。",
        ],
        more="……详见小程序。",
    )


#: Text keywords (after normalising) and their aliases.
KEYWORDS: dict[str, Handler] = {
    "本周活动": week_activities,
    "本周": week_activities,
    "活动": week_activities,
    "我的签到": my_checkins_text,
    "签到": my_checkins_text,
    "课时": my_checkins_text,
    "我的课时": my_checkins_text,
    "开放日": open_days,
    "家长开放日": open_days,
    "统计": leader_summary,
    "工作统计": leader_summary,
    "周报": leader_summary,
    "帮助": send_help,
    "help": send_help,
    "菜单": send_help,
}

#: Keys of the menu's click buttons (config oa_menu) and what they do.
MENU_KEYS: dict[str, Handler] = {
    "WEEK_ACTIVITIES": week_activities,
    "MY_CHECKINS": my_checkins_text,
    "OPEN_DAYS": open_days,
    "SUMMARY": leader_summary,
    "HELP": send_help,
}

_PUNCTUATION = re.compile(r"[\s?？!！。.,，~～]+")


def normalise(text: str) -> str:
    """A typed keyword without spaces and punctuation, lower case."""
    return _PUNCTUATION.sub("", text).lower()


async def on_text(message: BaseMessage, ctx: BotContext) -> str | None:
    """A text message: the keyword's handler, else the help."""
    content = _text(raw(message, "Content"))
    handler = KEYWORDS.get(normalise(content)) if len(content) <= 32 else None
    return await (handler or send_help)(message, ctx)


# ---- events -----------------------------------------------------------------------------


async def _link(message: BaseMessage, ctx: BotContext, token: str) -> str:
    """A person's own follow code: link this follower to her, and say how it went."""
    outcome = await follower_link.link_by_scene(
        oa_openid=message.source,
        token=token,
        redis=ctx.redis,
        secret=ctx.settings.jwt_secret,
        event=_text(raw(message, "Event")).lower(),
    )
    return texts.LINK_REPLIES[outcome]


async def _scene_reply(message: BaseMessage, scene: str, ctx: BotContext) -> str | None:
    """The answer to a parametric QR code's scene, None when it is not one of ours."""
    kind, _, value = scene.partition(":")
    if kind == "bind" and not _INVITATION.fullmatch(value):
        # Not an invitation code: a person's signed follow code, or a forged one.
        return await _link(message, ctx, value)
    if kind == "bind":
        return texts.bind_text(ctx.settings, code=value.upper())
    if kind == "checkin":
        try:
            parse_scene(value)
        except BadScene:
            return texts.BAD_QR
        return texts.checkin_text(ctx.settings, scene=value)
    return None


def _scene_label(scene: str) -> str:
    """What the follower row keeps of a scene: never an invitation code."""
    return "bind" if scene.partition(":")[0] == "bind" else scene


async def _link_follower(message: BaseMessage, ctx: BotContext) -> None:
    """Learn the follower's unionid from WeChat; a slow WeChat finishes in the background."""
    work = followers.learn_unionid(wechat=ctx.wechat, oa_openid=message.source)
    await background.run_briefly(work, seconds=min(LINK_WAIT_S, ctx.settings.oa_reply_budget / 4))


async def on_subscribe(message: BaseMessage, ctx: BotContext) -> str:
    """A follow, plain or through a parametric QR code (scene in EventKey)."""
    scanned = _text(raw(message, "Event")).lower() == "subscribe_scan"
    scene = _text(raw(message, "EventKey")) if scanned else ""
    await followers.record_subscribe(oa_openid=message.source, scene=_scene_label(scene))
    await _link_follower(message, ctx)
    answer = await _scene_reply(message, scene, ctx) if scene else None
    if answer and follower_link.is_link_token(scene.partition(":")[2]):
        return f"感谢关注送教通！{answer}"  # her own code: the binding how-to would mislead
    welcome = texts.welcome_text(ctx.settings)
    return f"{answer}\n\n{welcome}" if answer else welcome


async def on_scan(message: BaseMessage, ctx: BotContext) -> str:
    """A follower scanned a parametric QR code."""
    scene = _text(raw(message, "EventKey"))
    await _link_follower(message, ctx)
    return await _scene_reply(message, scene, ctx) or texts.help_text(ctx.settings)


async def on_unsubscribe(message: BaseMessage, ctx: BotContext) -> None:
    """An unfollow: stop template messages to this openid."""
    await followers.record_unsubscribe(oa_openid=message.source)
    return None


async def on_click(message: BaseMessage, ctx: BotContext) -> str | None:
    """A menu click: the key's handler, the help for keys we no longer know."""
    handler = MENU_KEYS.get(_text(raw(message, "EventKey")))
    return await (handler or send_help)(message, ctx)


async def on_template_finished(message: BaseMessage, ctx: BotContext) -> None:
    """TEMPLATESENDJOBFINISH: hand the delivery outcome over for the delivery engine."""
    try:
        msgid = int(raw(message, "MsgID"))
    except (TypeError, ValueError):
        return None
    await events.record_template_send_finished(
        redis=ctx.redis, msgid=msgid, status=_text(raw(message, "Status"))
    )
    await delivery.template_send_finished(msgid=msgid)
    return None


async def on_publish_finished(message: BaseMessage, ctx: BotContext) -> None:
    """PUBLISHJOBFINISH: have publishing confirm the job with freepublish/get.

    Only the publish_id is read: the event's status and article_url are not trusted.
    """
    info = raw(message, "PublishEventInfo")
    publish_id = _text(info.get("publish_id")) if isinstance(info, dict) else ""
    if publish_id:
        await publish.confirm_outcome(publish_id=publish_id)
    return None


def _count(message: BaseMessage, name: str) -> int | None:
    value = _text(raw(message, name))
    return int(value) if value.isdigit() else None


def _first_article_url(message: BaseMessage) -> str:
    """ArticleUrlResult's first ArticleUrl (one item parses as a dict, several as a list)."""
    result = raw(message, "ArticleUrlResult")
    found = result.get("ResultList") if isinstance(result, dict) else None
    items = found.get("item") if isinstance(found, dict) else None
    for item in [items] if isinstance(items, dict) else items or []:
        if isinstance(item, dict) and _text(item.get("ArticleUrl")):
            return _text(item.get("ArticleUrl"))
    return ""


async def on_mass_finished(message: BaseMessage, ctx: BotContext) -> None:
    """MASSSENDJOBFINISH: record the 群发 outcome on the post whose job it names."""
    msgid = _text(raw(message, "MsgID"))
    if not msgid.isdigit():
        return None
    await mass_send.record_mass_outcome(
        msg_id=msgid,
        status=_text(raw(message, "Status")),
        total=_count(message, "TotalCount"),
        sent=_count(message, "SentCount"),
        errors=_count(message, "ErrorCount"),
        article_url=_first_article_url(message),
    )
    return None


EVENTS: dict[str, Handler] = {
    "subscribe": on_subscribe,
    "subscribe_scan": on_subscribe,
    "scan": on_scan,
    "unsubscribe": on_unsubscribe,
    "click": on_click,
    "templatesendjobfinish": on_template_finished,
    "publishjobfinish": on_publish_finished,
    "masssendjobfinish": on_mass_finished,
}

#: Message types answered with the help (pictures, voice, places …).
HELPED_TYPES = {"image", "voice", "video", "shortvideo", "location", "link"}


def handler_for(message: BaseMessage) -> Handler | None:
    """The handler of a message or event; None when it needs no answer (e.g. VIEW)."""
    kind = _text(raw(message, "MsgType")).lower()
    if kind == "text":
        return on_text
    if kind == "event":
        return EVENTS.get(_text(raw(message, "Event")).lower())
    return send_help if kind in HELPED_TYPES else None
