"""The server's one table of mini-program pages against the mini-program itself."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from server.common import miniprogram_pages
from server.common.miniprogram_pages import ACTIVITY, NOTICE, PAGES, PAIRING, SUMMARY

ROOT = Path(__file__).resolve().parents[2]
MINIPROGRAM = ROOT / "miniprogram"
PAGE_LITERAL = re.compile(r"""["'/](pages/[\w-]+/[\w-]+)""")


def _app_pages() -> set[str]:
    return set(json.loads((MINIPROGRAM / "app.json").read_text(encoding="utf-8"))["pages"])


def _script_with_helpers(page: str) -> str:
    """The page's script and the utils it requires (where launch options may be read)."""
    script = (MINIPROGRAM / f"{page}.js").read_text(encoding="utf-8")
    texts = [script]
    for rel in re.findall(r"require\('(\.\./\.\./utils/[\w-]+)'\)", script):
        texts.append((MINIPROGRAM / page).parent.joinpath(f"{rel}.js").resolve().read_text())
    return "\n".join(texts)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.path)
def test_every_page_of_the_table_is_in_app_json(page):
    assert page.path in _app_pages(), f"{page.path}（{page.purpose}）不在 miniprogram/app.json 中"


@pytest.mark.parametrize("page", [p for p in PAGES if p.reads], ids=lambda p: p.path)
def test_every_page_reads_the_keys_it_is_sent(page):
    script = _script_with_helpers(page.path)
    assert re.search(r"onLoad\s*\(\s*options\s*\)", script), f"{page.path} ignores its query"
    for key in page.reads:
        assert re.search(rf"options(\s*&&\s*options)?\.{key}\b", script), (
            f"{page.path} is sent ?{key}= but never reads options.{key}"
        )


def test_nothing_else_in_the_server_names_a_page():
    table = Path(miniprogram_pages.__file__).resolve()
    named = []
    for root in ("server", "bots"):
        for path in (ROOT / root).rglob("*.py"):
            if path.resolve() == table:
                continue
            for match in PAGE_LITERAL.finditer(path.read_text(encoding="utf-8")):
                named.append(f"{path.relative_to(ROOT)}: {match.group(1)}")
    assert named == []


def test_the_menus_miniprogram_buttons_open_pages_of_the_table():
    config = tomllib.loads((ROOT / "config" / "default.toml").read_text(encoding="utf-8"))
    buttons = []
    for button in config["oa_menu"]:
        buttons += [button, *button.get("sub_button", [])]
    paths = [b["pagepath"] for b in buttons if b.get("type") == "miniprogram"]
    assert paths, "the default menu has a 小程序 button"
    assert all(miniprogram_pages.is_known_page(p) for p in paths), paths


def test_links_carry_only_the_keys_a_page_reads():
    assert ACTIVITY.link(id=3) == "pages/activity/index?id=3"
    assert NOTICE.link(id=4) == "pages/notice/index?id=4"
    assert SUMMARY.link(id=5) == "pages/summary/index?id=5"
    assert (
        PAIRING.link(id=6, semester="2026秋") == "pages/pairing/index?id=6&semester=2026%E7%A7%8B"
    )
    with pytest.raises(ValueError):
        ACTIVITY.link(activity=3)
