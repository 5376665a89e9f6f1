"""`songjiao push-menu`: check the configured menu and push it to the 公众号."""

from __future__ import annotations

import sys

from bots.official_account.menu import MenuError, build_menu, push_menu, validate_menu
from server.common.redis import make_redis
from server.lifecycle import make_wechat_client
from server.settings import Settings
from server.wechat.errors import WeChatError, WeChatUnavailable


async def push_menu_command(settings: Settings, *, dry_run: bool = False) -> int:
    """Validate oa_menu, then create it through WeChat; prints Chinese, returns the exit code."""
    buttons = build_menu(settings)
    try:
        validate_menu(buttons)
    except MenuError as exc:
        print("公众号菜单配置有误，未推送：", file=sys.stderr)
        for problem in exc.problems:
            print(f"  · {problem}", file=sys.stderr)
        return 2
    if dry_run:
        print(f"公众号菜单检查通过（{len(buttons)} 个一级菜单），未推送。")
        return 0
    redis = make_redis(settings)
    wechat = make_wechat_client(settings, redis=redis, official_account=True)
    try:
        await push_menu(wechat=wechat, buttons=buttons)
    except WeChatUnavailable:
        hint = "（嵌入式模式下微信沙箱由 api 提供，请先运行 songjiao serve）"
        print(
            f"无法连接微信接口，菜单未推送{hint if settings.uses_embedded_sandbox else ''}。",
            file=sys.stderr,
        )
        return 1
    except WeChatError as exc:
        print(f"微信拒绝了菜单（错误码 {exc.errcode}）：{exc.message}", file=sys.stderr)
        return 1
    finally:
        await wechat.aclose()
        await redis.aclose()
    print(f"公众号菜单已推送（{len(buttons)} 个一级菜单）。")
    return 0
