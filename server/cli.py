"""The `songjiao` command: serve, worker, scheduler, sandbox, migrate, demo, create-admin …"""

from __future__ import annotations

import argparse
import asyncio
import sys
from functools import partial
from pathlib import Path

from server.settings import InsecureSettings, Settings, load_settings


def _migrate(settings: Settings) -> None:
    from server.migrate import apply_migrations

    applied = asyncio.run(apply_migrations(settings))
    print(
        f"数据库迁移完成，本次应用 {len(applied)} 个版本。" if applied else "数据库已是最新版本。"
    )


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    """Apply database migrations."""
    _migrate(settings)
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Load the demo county (idempotent)."""
    from server.demo import load_demo

    _migrate(settings)
    summary = asyncio.run(load_demo(settings, history=not args.no_history))
    print(summary)
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Migrate, optionally load demo data, then serve the api."""
    from server.stopping import exit_now, interrupt_on_sigterm

    interrupt_on_sigterm()
    try:
        _serve(args, settings)
    except KeyboardInterrupt:
        # Stopped before the server ran (Sanic handles a stop once it serves).
        print("送教通已停止。", file=sys.stderr)
    exit_now(0)  # stopped and closed: nothing is left for Python's teardown to do


def _serve(args: argparse.Namespace, settings: Settings) -> None:
    from sanic import Sanic
    from sanic.worker.loader import AppLoader

    from server.stopping import api_for_serving, use_stoppable_worker_manager

    if not args.no_migrate:
        _migrate(settings)
    if args.demo:
        from server.demo import load_demo

        print(asyncio.run(load_demo(settings)))
    workers = settings.workers
    if settings.embedded_redis and workers > 1:
        print("提示：嵌入式模式（无 Redis）只能单进程运行，已改为 1 个进程。")
        workers = 1
    loader = AppLoader(factory=partial(api_for_serving, settings))
    app = loader.load()
    app.prepare(
        host=settings.host,
        port=settings.port,
        workers=workers,
        access_log=args.access_log,
        motd=True,
    )
    print(f"送教通已启动：{settings.self_base_url}  （接口文档 {settings.self_base_url}/docs）")
    use_stoppable_worker_manager()
    Sanic.serve(primary=app, app_loader=loader)


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    """Run taskiq job workers against Redis."""
    if settings.embedded_redis:
        print(
            "嵌入式模式下后台任务在 api 进程内执行，无需单独启动 worker；"
            "请设置 SONGJIAO_REDIS_URL 后再运行。",
            file=sys.stderr,
        )
        return 2
    from server.jobs.taskiq_adapter import run_worker_cli
    from server.stopping import WORKER_CLOSE_S, WORKER_JOBS_GRACE_S

    return run_worker_cli(
        broker="server.jobs.worker:broker",
        processes=args.processes,
        max_async_tasks=50,
        # At a stop: the jobs running get this long, then they are cut (and run again
        # elsewhere), and closing the broker this long.
        wait_tasks_timeout=WORKER_JOBS_GRACE_S,
        shutdown_timeout=WORKER_CLOSE_S,
    )


def cmd_scheduler(args: argparse.Namespace, settings: Settings) -> int:
    """Run the cron scheduler (one per deployment)."""
    if settings.embedded_redis:
        print(
            "嵌入式模式下没有独立的调度进程；请设置 SONGJIAO_REDIS_URL 后再运行。", file=sys.stderr
        )
        return 2
    from server.jobs.scheduler import run_until_stopped
    from server.jobs.worker import scheduler
    from server.stopping import JOBS_GRACE_S, exit_now

    asyncio.run(run_until_stopped(scheduler, grace=JOBS_GRACE_S))
    exit_now(0)


def cmd_sandbox(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the WeChat sandbox on its own port (never in production)."""
    from server.wechat.sandbox import callback_push, create_sandbox_app

    if settings.env == "production":
        print(
            "拒绝启动：微信沙箱只用于开发与测试，生产环境（SONGJIAO_ENV=production）不能运行。",
            file=sys.stderr,
        )
        return 3
    push = None
    if args.callback_url:
        # Fixed here, at start: no request may tell the sandbox where to post.
        push = callback_push(settings, args.callback_url)
    app = create_sandbox_app(
        appid=settings.wechat_appid,
        secret=settings.wechat_secret,
        oa_appid=settings.official_account_appid,
        oa_secret=settings.official_account_secret,
        event_push=push,
    )
    print(f"微信沙箱已启动：http://{args.host}:{args.port}")
    app.run(host=args.host, port=args.port, single_process=True, access_log=False)
    return 0


def cmd_import_roster(args: argparse.Namespace, settings: Settings) -> int:
    """Import a roster .xlsx into a kindergarten from the command line."""
    from server.orgs.roster_cli import import_roster_file
    from server.wiring import connect

    _migrate(settings)
    connect()  # the roster gives role grants: accounts' store connected to orgs
    return asyncio.run(
        import_roster_file(
            settings, path=Path(args.file), kindergarten_id=args.kindergarten, dry_run=args.dry_run
        )
    )


def cmd_push_menu(args: argparse.Namespace, settings: Settings) -> int:
    """Check the 公众号 menu in config and push it to WeChat."""
    from bots.official_account.menu_cli import push_menu_command

    return asyncio.run(push_menu_command(settings, dry_run=args.dry_run))


def cmd_create_admin(args: argparse.Namespace, settings: Settings) -> int:
    """Create an admin with a web console password (asked twice, or one line on stdin)."""
    import getpass

    from server.accounts.admin_cli import create_admin_command

    _migrate(settings)
    if sys.stdin.isatty():
        password = getpass.getpass("密码（至少 8 位）：")
        if getpass.getpass("再输入一次：") != password:
            print("两次输入的密码不一致。", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\n")
    return asyncio.run(
        create_admin_command(settings, name=args.name, login=args.login, password=password)
    )


def cmd_summary(args: argparse.Namespace, settings: Settings) -> int:
    """Make and push a period's summaries now (once per leader, however often it runs)."""
    from server.reports.summary_cli import run_summary_command

    _migrate(settings)
    return asyncio.run(run_summary_command(settings, kind=args.kind, period=args.period))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `songjiao`."""
    parser = argparse.ArgumentParser(prog="songjiao", description="送教通后台")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="运行 api（先应用迁移）")
    serve.add_argument("--demo", action="store_true", help="启动前载入演示数据")
    serve.add_argument("--access-log", action="store_true", help="打印访问日志")
    serve.add_argument(
        "--no-migrate",
        action="store_true",
        help="不在启动时应用迁移（多台主机时由一处执行 songjiao migrate）",
    )
    serve.set_defaults(func=cmd_serve, reaches_wechat=True)
    worker = sub.add_parser("worker", help="运行后台任务进程")
    worker.add_argument("--processes", type=int, default=1)
    worker.set_defaults(func=cmd_worker, reaches_wechat=True)
    scheduler = sub.add_parser("scheduler", help="运行定时任务调度")
    scheduler.set_defaults(func=cmd_scheduler, reaches_wechat=True)
    sandbox = sub.add_parser("sandbox", help="单独运行微信沙箱")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8001)
    sandbox.add_argument(
        "--callback-url",
        default="",
        help="api 的公众号回调地址（如 http://127.0.0.1:8000/wechat/callback）：发布结束事件"
        "只推送到这里，用 SONGJIAO_WECHAT_TOKEN 签名；留空则不推送",
    )
    sandbox.set_defaults(func=cmd_sandbox)
    sub.add_parser("migrate", help="应用数据库迁移").set_defaults(func=cmd_migrate)
    demo = sub.add_parser("demo", help="载入演示数据")
    demo.add_argument(
        "--no-history", action="store_true", help="只载入机构与人员，不生成历史活动、签到和推文"
    )
    demo.set_defaults(func=cmd_demo)
    roster = sub.add_parser("import-roster", help="导入花名册 .xlsx")
    roster.add_argument("file")
    roster.add_argument("--kindergarten", type=int, required=True, help="幼儿园 id")
    roster.add_argument("--dry-run", action="store_true", help="只检查，不写入")
    roster.set_defaults(func=cmd_import_roster)
    push_menu = sub.add_parser("push-menu", help="检查并推送公众号菜单（config 中的 oa_menu）")
    push_menu.add_argument("--dry-run", action="store_true", help="只检查，不推送")
    push_menu.set_defaults(func=cmd_push_menu, reaches_wechat=True)
    summary = sub.add_parser("summary", help="立即生成并推送工作简报（每位领导只推送一次）")
    summary.add_argument(
        "--kind",
        choices=("weekly", "semester"),
        required=True,
        help="weekly 周报，semester 学期总结",
    )
    summary.add_argument(
        "--period", default=None, help="如 2026-W49 或 2026秋；省略为最近一个已结束的周或学期"
    )
    summary.set_defaults(func=cmd_summary, reaches_wechat=True)
    admin = sub.add_parser("create-admin", help="创建管理员（管理后台密码登录）")
    admin.add_argument("--name", required=True, help="姓名")
    admin.add_argument("--login", required=True, help="登录名")
    admin.set_defaults(func=cmd_create_admin)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `songjiao` console script."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        settings.check_secrets()
        if getattr(args, "reaches_wechat", False):
            settings.check_wechat_bases()
    except InsecureSettings as exc:
        print(exc, file=sys.stderr)
        return 3
    return args.func(args, settings)


if __name__ == "__main__":
    sys.exit(main())
