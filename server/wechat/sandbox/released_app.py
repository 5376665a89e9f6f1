"""The released mini-program as WeChat knows it: the pages listed in miniprogram/app.json."""

from __future__ import annotations

import functools
import json
from pathlib import Path

#: The project's own mini-program: what the sandbox treats as the 现网版本 (released app).
APP_JSON = Path(__file__).resolve().parents[3] / "miniprogram" / "app.json"


@functools.cache
def released_pages() -> frozenset[str]:
    """Every page of the released app: `pages` and those of its subpackages."""
    app = json.loads(APP_JSON.read_text(encoding="utf-8"))
    pages = set(app.get("pages", []))
    for package in app.get("subpackages") or app.get("subPackages") or []:
        root = package.get("root", "").strip("/")
        pages.update(f"{root}/{page}" for page in package.get("pages", []))
    return frozenset(pages)


def is_released_page(page: str) -> bool:
    """Whether `page` (query allowed, as in `index?foo=bar`) is a page of the released app."""
    path = page.split("?", 1)[0].removeprefix("/")
    return path in released_pages()
