"""The one table of mini-program pages the server links to, and the query keys each reads.

Nothing else in the server names a page. WeChat refuses a subscribe message whose `page`
is not a page of the released mini-program ("page 无效，41030"), and the 公众号's menu and
template messages open `pagepath` in the same app; `tests/common/test_miniprogram_pages.py`
checks every entry against miniprogram/app.json and that the page's script reads every key
it is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class MiniProgramPage:
    """A page of the mini-program: its path, what it is for, the query keys it reads."""

    path: str
    purpose: str
    reads: tuple[str, ...] = ()

    def link(self, **query: object) -> str:
        """The page with its query (`pages/notice/index?id=3`); only keys the page reads."""
        unknown = set(query) - set(self.reads)
        if unknown:
            raise ValueError(f"{self.path} does not read {sorted(unknown)}")
        if not query:
            return self.path
        pairs = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in query.items())
        return f"{self.path}?{pairs}"


HOME = MiniProgramPage("pages/home/index", "首页：按身份列出可做的事")
BIND = MiniProgramPage("pages/bind/index", "输入邀请码，绑定教师或家长身份", ("code",))
CHECKIN = MiniProgramPage("pages/checkin/index", "扫码签到；小程序码的 scene 带活动码", ("scene",))
ACTIVITY = MiniProgramPage("pages/activity/index", "活动详情（通知、变更、取消、提醒）", ("id",))
NOTICE = MiniProgramPage("pages/notice/index", "通知详情：阅读、确认、报名、反馈", ("id",))
SUMMARY = MiniProgramPage("pages/summary/index", "领导的工作简报（推送链接带简报 id）", ("id",))
PAIRING = MiniProgramPage(
    "pages/pairing/index", "结对帮扶目标进度（进度预警链接到这里）", ("id", "semester")
)

#: Every page the server, the 公众号 menu and the mini-program codes may open.
PAGES: tuple[MiniProgramPage, ...] = (HOME, BIND, CHECKIN, ACTIVITY, NOTICE, SUMMARY, PAIRING)


def is_known_page(path: str) -> bool:
    """Whether a page path (query allowed) is one of the table's pages."""
    return path.split("?", 1)[0].lstrip("/") in {p.path for p in PAGES}
