"""The menu from config: checked locally in Chinese, then pushed through menu/create."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from bots.official_account.menu import MenuError, build_menu, validate_menu
from bots.official_account.menu_cli import push_menu_command
from server.cli import build_parser, cmd_push_menu
from tests.conftest import MP_APPID, MP_SECRET, OA_APPID, OA_SECRET

ROOT = Path(__file__).resolve().parents[2]


def _click(name: str, key: str = "HELP") -> dict:
    return {"type": "click", "name": name, "key": key}


async def test_push_menu_sends_the_configured_menu(settings, outbox, capsys):
    assert await push_menu_command(settings) == 0
    assert "公众号菜单已推送" in capsys.readouterr().out
    [call] = await outbox(kind="menu_create")
    assert call["delivered"]
    buttons = call["request"]["button"]
    assert [b["name"] for b in buttons] == [b["name"] for b in settings.oa_menu]
    mini = next(b for b in buttons if b.get("type") == "miniprogram")
    # Pushed with the 公众号's token; the button opens the mini-program (its own appid).
    assert call["appid"] == settings.oa_appid != settings.wechat_appid
    assert mini["appid"] == settings.wechat_appid


async def test_dry_run_checks_without_pushing(settings, outbox, capsys):
    assert await push_menu_command(settings, dry_run=True) == 0
    assert "检查通过" in capsys.readouterr().out
    assert not await outbox(kind="menu_create")


async def test_invalid_menu_is_refused_before_wechat_sees_it(settings, outbox, capsys):
    bad = settings.model_copy(update={"oa_menu": [_click(f"菜单{i}") for i in range(4)]})
    assert await push_menu_command(bad) == 2
    assert "一级菜单须为 1 至 3 个，现为 4 个" in capsys.readouterr().err
    assert not await outbox(kind="menu_create")


async def test_wechat_refusal_is_reported_in_chinese(settings, sandbox_client, capsys):
    await sandbox_client.post("/sandbox/faults", json={"kind": "menu_create", "errcode": 40018})
    assert await push_menu_command(settings) == 1
    assert "微信拒绝了菜单（错误码 40018）" in capsys.readouterr().err


async def test_unreachable_wechat_is_reported(settings, capsys):
    offline = settings.model_copy(update={"wechat_api_base": "http://127.0.0.1:9"})
    assert await push_menu_command(offline) == 1
    assert "无法连接微信接口" in capsys.readouterr().err


def test_the_cli_has_push_menu():
    args = build_parser().parse_args(["push-menu", "--dry-run"])
    assert args.func is cmd_push_menu and args.dry_run


async def test_push_menu_command_line_end_to_end(sandbox, outbox):
    env = {
        **os.environ,
        "SONGJIAO_ENV": "development",
        "SONGJIAO_WECHAT_API_BASE": sandbox.url,
        "SONGJIAO_WECOM_API_BASE": sandbox.url,
        "SONGJIAO_WECHAT_APPID": MP_APPID,
        "SONGJIAO_WECHAT_SECRET": MP_SECRET,
        "SONGJIAO_OA_APPID": OA_APPID,
        "SONGJIAO_OA_SECRET": OA_SECRET,
        "SONGJIAO_REDIS_URL": "",
        "SONGJIAO_DATABASE_URL": "",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "server.cli",
        "push-menu",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 0, err.decode()
    assert "公众号菜单已推送" in out.decode()
    [call] = await outbox(kind="menu_create", delivered=True)
    assert call["appid"] == OA_APPID


async def test_push_menu_with_the_mini_program_app_alone_is_refused(settings, outbox, capsys):
    # Without oa_appid the menu would go out with the mini-program's token: WeChat says 48001.
    one_app = settings.model_copy(update={"oa_appid": "", "oa_secret": ""})
    assert await push_menu_command(one_app) == 1
    assert "48001" in capsys.readouterr().err
    [call] = await outbox(kind="menu_create")
    assert call["appid"] == MP_APPID and call["errcode"] == 48001


def test_default_menu_is_valid_and_its_keys_are_handled(settings):
    validate_menu(build_menu(settings))


@pytest.mark.parametrize(
    ("menu", "problem"),
    [
        ([], "一级菜单须为 1 至 3 个，现为 0 个"),
        ("not a list", "一级菜单须为 1 至 3 个"),
        ([_click("六个汉字名称")], "名称过长：一级菜单名称最多 16 字节"),
        ([{"type": "click", "key": "HELP"}], "第 1 个一级菜单缺少名称"),
        (
            [{"name": "更多", "sub_button": [_click(f"子{i}") for i in range(6)]}],
            "「更多」的子菜单须为 1 至 5 个，现为 6 个",
        ),
        ([{"name": "更多", "sub_button": []}], "子菜单须为 1 至 5 个，现为 0 个"),
        (
            [{"name": "更多", "sub_button": [_click("超" * 21)]}],
            "子菜单名称最多 60 字节",
        ),
        (
            [{"name": "更多", "sub_button": [{"name": "套娃", "sub_button": [_click("a")]}]}],
            "是子菜单，不能再有子菜单",
        ),
        ([_click("未知", key="NO_SUCH_KEY")], "key「NO_SUCH_KEY」公众号机器人不认识"),
        ([{"type": "click", "name": "无键"}], "缺少 key"),
        ([{"type": "teleport", "name": "传送"}], "类型「teleport」不是微信支持的菜单类型"),
        ([{"type": "view", "name": "网页"}], "缺少网址 url"),
        (
            [{"type": "miniprogram", "name": "小程序", "url": "https://a.cn/"}],
            "缺少小程序 appid 或页面路径 pagepath",
        ),
        (["按钮"], "应是一个表"),
    ],
)
def test_local_validation_explains_each_problem_in_chinese(menu, problem):
    with pytest.raises(MenuError) as caught:
        validate_menu(menu)
    assert problem in str(caught.value)


def test_every_problem_is_listed_at_once():
    menu = [_click("六个汉字名称"), {"type": "view", "name": "网页"}]
    with pytest.raises(MenuError) as caught:
        validate_menu(menu)
    assert len(caught.value.problems) == 2
