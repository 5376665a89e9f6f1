"""What the bot says: Chinese texts and the mini-program links inside them."""

from __future__ import annotations

from datetime import datetime
from html import escape
from urllib.parse import quote

from server.common.miniprogram_pages import BIND, CHECKIN
from server.settings import Settings

#: WeChat cuts passive text replies longer than 2048 bytes; stay clear of it.
MAX_REPLY_BYTES = 1900
WEEKDAYS = "一二三四五六日"

KEYWORD_LINES = (
    "· 本周活动：本周的送教与帮扶活动\n"
    "· 我的签到：最近的签到和本学期课时\n"
    "· 开放日：近期的家长开放日\n"
    "· 统计：工作统计（教育局、联盟负责同志）\n"
    "· 帮助：查看本说明"
)

FAILED = "抱歉，系统暂时无法处理您的请求，请稍后再试。"
NOT_A_LEADER = (
    "「统计」面向教育局和联盟的负责同志，您当前的身份暂不能查看。"
    "如需查看本园的活动和签到，请回复「本周活动」或「我的签到」。"
)
BAD_QR = "这个二维码已失效或无法识别，请向活动组织者重新获取。"
_NEW_CODE = "请在「送教通」小程序「我的」页面（或管理后台的「公众号通知」页）重新获取关注二维码。"
#: What a follower is told after scanning a person's own follow code, by outcome.
LINK_REPLIES = {
    "linked": (
        "您的微信已与送教通账号关联，今后的活动和通知提醒将通过本公众号发送给您。\n"
        f"回复以下关键词即可查询：\n{KEYWORD_LINES}"
    ),
    "already": "您的微信已经关联送教通账号，无需重复扫码。回复「帮助」查看可查询的内容。",
    "other": (
        "您的微信已关联另一位用户的送教通账号，不能再关联这个二维码的账号。"
        "如需更换，请联系园所管理员。"
    ),
    "used": f"这个关注二维码已经使用过了。{_NEW_CODE}",
    "bad": f"这个二维码已失效或无法识别。{_NEW_CODE}",
}


def miniprogram_link(settings: Settings, *, path: str, label: str) -> str:
    """A text link that opens the mini-program at `path` (old clients open the web page)."""
    href = settings.public_base_url or "https://mp.weixin.qq.com/"
    return (
        f'<a href="{escape(href)}" data-miniprogram-appid="{escape(settings.wechat_appid)}" '
        f'data-miniprogram-path="{escape(path)}">{escape(label)}</a>'
    )


def page_with(page: str, **query: str) -> str:
    """A mini-program page path with URL-encoded query values."""
    pairs = "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items())
    return f"{page}?{pairs}" if pairs else page


def bind_link(settings: Settings) -> str:
    """The link to the mini-program page where an invitation code is redeemed."""
    page = BIND.path
    return miniprogram_link(settings, path=page, label="打开小程序绑定身份")


def help_text(settings: Settings) -> str:
    """The help: every keyword, and how to bind."""
    bind = miniprogram_link(settings, path=BIND.path, label="打开小程序绑定身份")
    return (
        f"您好，这里是送教通。回复以下关键词即可查询：\n{KEYWORD_LINES}\n\n"
        f"查询个人信息前，请先在「送教通」小程序中使用邀请码绑定身份：{bind}"
    )


def welcome_text(settings: Settings) -> str:
    """The greeting on a new follow."""
    bind = miniprogram_link(settings, path=BIND.path, label="打开小程序绑定身份")
    return (
        "感谢关注送教通！这里发布结对帮扶、送教下乡和家长开放日的消息。\n\n"
        "第一次使用请绑定身份：使用小程序中的邀请码绑定身份（邀请码由园所发放），"
        f"老师和家长都可以绑定。{bind}\n\n"
        f"绑定后可回复：\n{KEYWORD_LINES}"
    )


def unbound_text(settings: Settings) -> str:
    """Told to a follower we cannot match to a person yet."""
    bind = miniprogram_link(settings, path=BIND.path, label="打开小程序绑定身份")
    return (
        "您还没有绑定身份，暂时无法查询个人信息。\n"
        "请使用小程序中的邀请码绑定身份（邀请码由园所发放），"
        f"并用关注本公众号的同一个微信号登录小程序。{bind}"
    )


def bind_text(settings: Settings, *, code: str) -> str:
    """The answer to a binding QR code: finish binding with its invitation code."""
    link = miniprogram_link(
        settings,
        path=page_with(BIND.path, code=code),
        label="打开小程序完成绑定",
    )
    return (
        f"您的邀请码是 {code}。\n"
        f"请打开「送教通」小程序，在「绑定身份」中输入邀请码 {code} 完成绑定：{link}\n"
        "绑定后即可在这里查询活动、签到和课时。"
    )


def checkin_text(settings: Settings, *, scene: str) -> str:
    """The answer to an activity check-in QR code: open the mini-program to check in."""
    link = miniprogram_link(
        settings,
        path=page_with(CHECKIN.path, scene=scene),
        label="点此打开小程序签到",
    )
    return f"欢迎参加活动！{link}\n签到需要在小程序中完成，请允许获取位置以便组织者核对。"


def when(iso: str | None) -> str:
    """An ISO moment (already in China time) as 11月25日 周二 09:00."""
    if not iso:
        return "时间待定"
    moment = datetime.fromisoformat(iso)
    return f"{moment.month}月{moment.day}日 周{WEEKDAYS[moment.weekday()]} {moment:%H:%M}"


def fit(lines: list[str], *, more: str) -> str:
    """Join lines, dropping the last ones (and saying so) to stay within a reply's size."""
    kept: list[str] = []
    for index, line in enumerate(lines):
        candidate = "\n".join([*kept, line])
        if len(candidate.encode()) > MAX_REPLY_BYTES - len(more.encode()) - 1:
            return "\n".join([*kept, more.format(n=len(lines) - index)])
        kept.append(line)
    return "\n".join(kept)
