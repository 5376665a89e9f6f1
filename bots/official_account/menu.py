"""The 公众号 custom menu: checked here, in Chinese, before WeChat sees it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bots.official_account.handlers import MENU_KEYS
from server.settings import Settings

MAX_BUTTONS = 3
MAX_SUB_BUTTONS = 5
#: WeChat's limits in bytes of UTF-8: 4 Chinese characters on top, 20 below (60 bytes).
TOP_NAME_BYTES = 16
SUB_NAME_BYTES = 60
KEY_BYTES = 128
URL_BYTES = 1024
KEYED_TYPES = {
    "click",
    "scancode_push",
    "scancode_waitmsg",
    "pic_sysphoto",
    "pic_photo_or_album",
    "pic_weixin",
    "location_select",
}
LINK_TYPES = {"view", "miniprogram"}
MEDIA_TYPES = {"media_id", "article_id", "article_view_limited"}
TYPES = KEYED_TYPES | LINK_TYPES | MEDIA_TYPES


class MenuError(ValueError):
    """The configured menu breaks WeChat's rules; `problems` lists them in Chinese."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("；".join(problems))
        self.problems = problems


def _size(value: object) -> int:
    return len(value.encode()) if isinstance(value, str) else 0


def _check_button(button: object, where: str, *, sub: bool) -> list[str]:
    if not isinstance(button, Mapping):
        return [f"{where}应是一个表（名称、类型等）"]
    name = button.get("name")
    label = f"{where}「{name}」" if isinstance(name, str) and name else where
    limit = SUB_NAME_BYTES if sub else TOP_NAME_BYTES
    problems = []
    if not isinstance(name, str) or not name.strip():
        problems.append(f"{where}缺少名称")
    elif _size(name) > limit:
        problems.append(
            f"{label}名称过长：{'子' if sub else '一级'}菜单名称最多 {limit} 字节"
            f"（约 {limit // 3} 个汉字），现为 {_size(name)} 字节"
        )
    if "sub_button" in button:
        if sub:
            return [*problems, f"{label}是子菜单，不能再有子菜单"]
        subs = button["sub_button"]
        if not isinstance(subs, list) or not 1 <= len(subs) <= MAX_SUB_BUTTONS:
            count = len(subs) if isinstance(subs, list) else 0
            problems.append(f"{label}的子菜单须为 1 至 {MAX_SUB_BUTTONS} 个，现为 {count} 个")
            return problems
        for index, child in enumerate(subs, start=1):
            problems += _check_button(child, f"{label}的第 {index} 个子菜单", sub=True)
        return problems
    kind = button.get("type")
    if kind not in TYPES:
        return [*problems, f"{label}的类型「{kind}」不是微信支持的菜单类型"]
    if kind in KEYED_TYPES:
        key = button.get("key")
        if not 0 < _size(key) <= KEY_BYTES:
            problems.append(f"{label}缺少 key 或 key 超过 {KEY_BYTES} 字节")
        elif kind == "click" and key not in MENU_KEYS:
            known = "、".join(MENU_KEYS)
            problems.append(f"{label}的 key「{key}」公众号机器人不认识，可用：{known}")
    if kind in LINK_TYPES and not 0 < _size(button.get("url")) <= URL_BYTES:
        problems.append(f"{label}缺少网址 url（或超过 {URL_BYTES} 字节）")
    if kind == "miniprogram" and not (button.get("appid") and button.get("pagepath")):
        problems.append(f"{label}缺少小程序 appid 或页面路径 pagepath")
    if kind in MEDIA_TYPES and not (button.get("media_id") or button.get("article_id")):
        problems.append(f"{label}缺少 media_id 或 article_id")
    return problems


def build_menu(settings: Settings) -> list[dict[str, Any]]:
    """The configured menu, mini-program buttons completed with our appid."""

    def complete(button: Any) -> Any:
        if not isinstance(button, Mapping):
            return button
        out = dict(button)
        if out.get("type") == "miniprogram":
            out.setdefault("appid", settings.wechat_appid)
        if isinstance(out.get("sub_button"), list):
            out["sub_button"] = [complete(b) for b in out["sub_button"]]
        return out

    return [complete(b) for b in settings.oa_menu]


def validate_menu(buttons: object) -> list[dict[str, Any]]:
    """The menu if WeChat would take it; MenuError listing every problem otherwise."""
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= MAX_BUTTONS:
        count = len(buttons) if isinstance(buttons, list) else 0
        raise MenuError([f"一级菜单须为 1 至 {MAX_BUTTONS} 个，现为 {count} 个"])
    problems = []
    for index, button in enumerate(buttons, start=1):
        problems += _check_button(button, f"第 {index} 个一级菜单", sub=False)
    if problems:
        raise MenuError(problems)
    return buttons


async def push_menu(*, wechat, buttons: list[dict[str, Any]]) -> None:
    """Check the menu locally, then replace the 公众号's menu with it."""
    await wechat.create_menu(buttons=validate_menu(buttons))
