"""Typed WeChat errors: the errcode and errmsg WeChat gave, and a Chinese message for users."""

from __future__ import annotations

import re

#: Chinese explanations per errcode; a class's `default_message` covers codes not listed.
_MESSAGES = {
    -1: "微信系统繁忙，请稍后再试",
    40001: "微信接口凭证无效，请稍后重试",
    40002: "微信接口的授权类型（grant_type）不正确",
    40003: "用户标识（openid）无效",
    40004: "素材类型不正确",
    40005: "文件类型不符合微信要求",
    40006: "文件大小超出微信限制",
    40007: "素材或草稿不存在（media_id 无效）",
    40008: "消息类型不正确",
    40009: "图片大小超出微信限制（正文图片须小于 1MB）",
    40013: "AppID 配置有误，请联系管理员",
    40014: "微信接口凭证无效，请稍后重试",
    40016: "菜单一级按钮数量不符合要求（1 到 3 个）",
    40017: "菜单按钮类型不正确",
    40018: "菜单按钮名称过长（最多 16 字节）",
    40019: "菜单按钮 key 长度不符合要求",
    40020: "菜单按钮链接长度不符合要求",
    40023: "子菜单按钮数量不符合要求（1 到 5 个）",
    40024: "子菜单按钮类型不正确",
    40025: "子菜单按钮名称过长（最多 60 字节）",
    40026: "子菜单按钮 key 长度不符合要求",
    40027: "子菜单按钮链接长度不符合要求",
    40029: "登录凭证无效或已过期，请重新登录",
    40037: "消息模板 ID 无效",
    40058: "群机器人消息格式不正确或内容过长",
    40097: "提交给微信的参数不正确",
    40125: "AppSecret 配置有误，请联系管理员",
    40163: "登录凭证已被使用，请重新登录",
    40169: "小程序码参数 scene 不合法（1 到 32 个允许的字符）",
    40226: "微信判定该微信号存在安全风险，已拦截本次登录",
    41001: "缺少微信接口凭证",
    41005: "缺少要上传的文件",
    41008: "缺少登录凭证",
    41030: "小程序页面路径不正确或页面未发布",
    42001: "微信接口凭证已过期，请稍后重试",
    43101: "用户未订阅该消息或订阅次数已用完",
    44003: "图文内容为空",
    44004: "正文内容为空",
    45002: "正文超出微信长度限制（须少于 2 万字、1MB）",
    45003: "标题超出微信长度限制（最多 32 个字）",
    45004: "摘要超出微信长度限制（最多 128 个字）",
    45008: "图文篇数超出微信限制（最多 8 篇）",
    45009: "微信接口调用太频繁，请稍后再试",
    45011: "微信接口调用太频繁，请稍后再试",
    45028: "公众号的群发次数已用完（订阅号每天 1 次，服务号每月 4 次），请改日再群发",
    45065: "这篇推文已经群发过，不会重复发送",
    45066: "群发请求过于频繁，请稍后再试",
    45110: "作者名超出微信长度限制（最多 16 个字）",
    47001: "提交给微信的数据格式有误",
    47003: "提交给微信的参数不符合要求",
    48001: "公众号或小程序未获得该接口权限（如未认证）",
    93000: "群机器人地址无效，请检查 webhook key",
}
_DATA_KEY_RE = re.compile(r"data\.([A-Za-z_]+\d*)\.value")


class WeChatError(Exception):
    """A failed WeChat call; `errcode` is None for failures that are not WeChat's answer."""

    codes: tuple[int, ...] = ()
    default_message = "微信接口调用失败，请稍后重试"

    def __init__(self, errcode: int | None, errmsg: str = "", message: str | None = None) -> None:
        #: WeChat's whole answer, when it gave one (some errors carry fields, e.g. msg_id).
        self.answer: dict = {}
        self.errcode = errcode
        self.errmsg = errmsg
        self.message = message or _MESSAGES.get(errcode or 0) or self.default_message
        super().__init__(f"{errcode} {errmsg}".strip())


class InvalidCredential(WeChatError):
    """The access token was refused (invalid, not latest, or expired)."""

    codes = (40001, 40014, 42001)
    default_message = "微信接口凭证无效，请稍后重试"


class InvalidCode(WeChatError):
    """The wx.login code is invalid or expired."""

    codes = (40029,)
    default_message = "登录凭证无效或已过期，请重新登录"


class CodeUsed(WeChatError):
    """The wx.login code was already exchanged."""

    codes = (40163,)
    default_message = "登录凭证已被使用，请重新登录"


class LoginBlocked(WeChatError):
    """jscode2session refused a high-risk user ("40226 code blocked, 高风险等级用户")."""

    codes = (40226,)
    default_message = "微信判定该微信号存在安全风险，已拦截本次登录"


class SubscriptionRefused(WeChatError):
    """The user has no one-time subscription left for this template."""

    codes = (43101,)
    default_message = "用户未订阅该消息或订阅次数已用完"


class ArgumentInvalid(WeChatError):
    """WeChat refused an argument: data limits, sizes, scene, menu shape."""

    codes = (
        *range(40016, 40028),
        40003,
        40008,
        40037,
        40058,
        40097,
        40169,
        41030,
        44003,
        44004,
        45002,
        45003,
        45004,
        45008,
        45110,
        47001,
        47003,
        93000,
    )
    default_message = "提交给微信的参数不符合要求"

    def __init__(self, errcode: int | None, errmsg: str = "", message: str | None = None) -> None:
        if message is None and errcode == 47003 and (match := _DATA_KEY_RE.search(errmsg)):
            message = f"消息字段 {match[1]} 的内容不符合微信的格式要求"
        super().__init__(errcode, errmsg, message)


class RateLimited(WeChatError):
    """Too many calls: WeChat's quota or our own per-endpoint limit."""

    codes = (45009, 45011)
    default_message = "微信接口调用太频繁，请稍后再试"
    #: Seconds until a retry may pass, when known (our own limit knows it).
    retry_after: float | None = None


class SystemBusy(WeChatError):
    """WeChat answered -1, system busy."""

    codes = (-1,)
    default_message = "微信系统繁忙，请稍后再试"


class Unauthorized(WeChatError):
    """The account lacks the permission for this API (e.g. not verified)."""

    codes = (48001,)
    default_message = "公众号或小程序未获得该接口权限（如未认证）"


class InvalidMedia(WeChatError):
    """An upload or media_id was refused: file type, size, or unknown media_id."""

    codes = (40004, 40005, 40006, 40007, 40009, 41005)
    default_message = "图片或素材不符合微信要求"


class MassQuotaUsedUp(WeChatError):
    """The 公众号's 群发 quota is used up for now (45028)."""

    codes = (45028,)
    default_message = "公众号的群发次数已用完，请改日再群发"


class MassAlreadySent(WeChatError):
    """WeChat has this clientmsgid already (45065): the 群发 happened before."""

    codes = (45065,)
    default_message = "这篇推文已经群发过，不会重复发送"


class WeChatUnavailable(WeChatError):
    """WeChat could not be reached or did not answer usable JSON (timeout, 5xx)."""

    default_message = "暂时无法连接微信服务，请稍后重试"


_BY_CODE: dict[int, type[WeChatError]] = {
    code: cls
    for cls in (
        InvalidCredential,
        InvalidCode,
        CodeUsed,
        LoginBlocked,
        SubscriptionRefused,
        ArgumentInvalid,
        RateLimited,
        SystemBusy,
        Unauthorized,
        InvalidMedia,
        MassQuotaUsedUp,
        MassAlreadySent,
    )
    for code in cls.codes
}


def error_for(errcode: int, errmsg: str) -> WeChatError:
    """The typed error for a WeChat errcode (WeChatError itself for codes we do not type)."""
    return _BY_CODE.get(errcode, WeChatError)(errcode, errmsg)
