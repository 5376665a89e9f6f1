"""Sandbox menu/create: button counts, name sizes in bytes, known types."""

from __future__ import annotations


def _click(name: str = "签到", key: str = "CHECKIN") -> dict:
    return {"type": "click", "name": name, "key": key}


async def _create(sandbox, buttons) -> dict:
    return await sandbox.call("/cgi-bin/menu/create", {"button": buttons})


async def test_valid_menu_is_accepted_and_kept(sandbox):
    buttons = [
        _click(),
        {
            "type": "miniprogram",
            "name": "小程序",
            "url": "https://example.org",
            "appid": "wx123",
            "pagepath": "pages/index/index",
        },
        {"name": "更多", "sub_button": [_click(f"子菜单{i}", f"K{i}") for i in range(5)]},
    ]
    assert await _create(sandbox, buttons) == {"errcode": 0, "errmsg": "ok"}
    menu = (await sandbox.http.get(f"{sandbox.url}/sandbox/menu")).json()
    assert menu["button"][2]["sub_button"][4]["name"] == "子菜单4"


async def test_menu_limits_give_wechat_errcodes(sandbox):
    cases = [
        ([_click()] * 4, 40016),
        ([], 40016),
        ([{"name": "更多", "sub_button": [_click()] * 6}], 40023),
        ([_click(name="一二三四五六")], 40018),  # 18 bytes > 16
        ([{"name": "更多", "sub_button": [_click(name="字" * 21)]}], 40025),  # 63 bytes > 60
        ([{"type": "teleport", "name": "传送"}], 40017),
        ([{"name": "更多", "sub_button": [{"type": "teleport", "name": "传送"}]}], 40024),
        ([_click(key="")], 40019),
    ]
    for buttons, errcode in cases:
        assert (await _create(sandbox, buttons))["errcode"] == errcode, errcode
