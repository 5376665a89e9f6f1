"""Run the sandbox on its own: `python -m server.wechat.sandbox --appid wx.. --secret ..`."""

from __future__ import annotations

import argparse

from server.wechat.sandbox import EventPush, create_sandbox_app


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and serve the sandbox in one process."""
    parser = argparse.ArgumentParser(description="微信接口沙箱（本地模拟微信 HTTP 接口）")
    parser.add_argument("--appid", required=True, help="沙箱接受的小程序 AppID")
    parser.add_argument("--secret", required=True, help="小程序的 AppSecret")
    parser.add_argument("--oa-appid", default="", help="公众号的 AppID（留空：与小程序相同）")
    parser.add_argument("--oa-secret", default="", help="公众号的 AppSecret")
    parser.add_argument("--host", default="127.0.0.1", help="监听地址")
    parser.add_argument("--port", type=int, default=8701, help="监听端口")
    parser.add_argument(
        "--callback-url",
        default="",
        help="公众号回调地址：发布结束事件只推送到这里（留空：不推送）",
    )
    parser.add_argument(
        "--callback-token", default="", help="回调令牌（与 api 的 wechat_token 相同）"
    )
    args = parser.parse_args(argv)
    if bool(args.callback_url) != bool(args.callback_token):
        parser.error("--callback-url 与 --callback-token 须同时设置")
    push = EventPush(args.callback_url, args.callback_token) if args.callback_url else None
    app = create_sandbox_app(
        appid=args.appid,
        secret=args.secret,
        oa_appid=args.oa_appid,
        oa_secret=args.oa_secret,
        event_push=push,
    )
    app.run(host=args.host, port=args.port, single_process=True, access_log=False)


if __name__ == "__main__":
    main()
