"""Console pages: message delivery – the outbox, dead letters and their retry. Admins only,
as the API. The sandbox inbox (a sandbox setup only) is its own area: sandbox_inbox.py."""

from __future__ import annotations

from urllib.parse import urlencode

from sanic import Blueprint, Request

from server.common.errors import DomainError
from server.common.params import DigitIds, Digits, Params
from server.delivery import admin
from server.web.console import NavItem, add_nav, back, console_page, render
from server.web.forms import form, query, shown
from server.web.views.sandbox_inbox import BLUEPRINT as INBOX_BLUEPRINT

bp = Blueprint("console_delivery")
BASE = "/console/delivery"
PER_PAGE = 50
add_nav(NavItem("消息投递", BASE, ("admin",), order=60))


def _inbox_mounted(request: Request) -> bool:
    """Whether the sandbox inbox exists here (its tab is shown only then)."""
    return INBOX_BLUEPRINT in request.app.blueprints


class PageQuery(Params):
    """?page=<n> (from 1; anything else is the first page)."""

    page: Digits = None

    def number(self) -> int:
        """The page's number, at least 1."""
        return max(self.page or 1, 1)

    def window(self) -> dict:
        """limit and offset of this page's rows."""
        return {"limit": PER_PAGE, "offset": (self.number() - 1) * PER_PAGE}


class OutboxQuery(PageQuery):
    """The outbox's filters: ?status= and ?channel=, and the page."""

    status: str | None = None
    channel: str | None = None

    def link(self, number: int) -> str:
        """The address of another page with the same filters."""
        chosen = {k: v for k, v in (("status", self.status), ("channel", self.channel)) if v}
        return f"{BASE}?{urlencode({**chosen, 'page': number})}"


class DeadLetterQuery(PageQuery):
    """?key= (one message key) and the page."""

    key: str | None = None


class RetryForm(Params):
    """The ids of the failed messages the page showed (id=… once each)."""

    id: DigitIds = []


def _times(items: list[dict], **fields: str) -> None:
    """Add each `shown` field as the console shows the ISO time in its `source` field."""
    for item in items:
        for name, source in fields.items():
            item[name] = shown(item[source])


def _pages(total: int) -> int:
    return max((total + PER_PAGE - 1) // PER_PAGE, 1)


def _paging(query: OutboxQuery, total: int) -> dict:
    """The page number, how many there are, and the links to the neighbours."""
    number, pages = query.number(), _pages(total)
    return {
        "number": number,
        "pages": pages,
        "prev_link": query.link(number - 1) if number > 1 else "",
        "next_link": query.link(number + 1) if number < pages else "",
    }


@bp.get("/delivery")
@console_page("admin")
@query(OutboxQuery)
async def outbox(request: Request, query: OutboxQuery):
    """Every message to a person: channel, status, attempts and the reason of a failure."""
    data = await admin.outbox_messages(status=query.status, channel=query.channel, **query.window())
    _times(data["items"], created="created_at", sent="sent_at")
    return render(
        request,
        "web/delivery/outbox.html",
        items=data["items"],
        total=data["total"],
        chosen_status=query.status or "",
        chosen_channel=query.channel or "",
        statuses=[(s.value, label) for s, label in admin.STATUS_LABELS.items()],
        channels=[(c.value, label) for c, label in admin.CHANNEL_LABELS.items()],
        inbox_mounted=_inbox_mounted(request),
        **_paging(query, data["total"]),
    )


@bp.get("/delivery/dead-letters")
@console_page("admin")
@query(DeadLetterQuery)
async def dead_letters(request: Request, query: DeadLetterQuery):
    """Failed messages with their reasons, to send again one by one or all shown."""
    data = await admin.dead_letters(key=query.key, **query.window())
    _times(data["items"], created="created_at", failed="failed_at")
    _times(data["groups"], created="created_at")
    return render(
        request,
        "web/delivery/dead_letters.html",
        items=data["items"],
        groups=data["groups"],
        total=data["total"],
        key=query.key or "",
        number=query.number(),
        pages=_pages(data["total"]),
        inbox_mounted=_inbox_mounted(request),
    )


@bp.post("/delivery/dead-letters/<delivery_id:int>/retry")
@console_page("admin")
async def retry_one(request: Request, delivery_id: int):
    """Send one failed message again."""
    await admin.retry_dead_letter(delivery_id=delivery_id)
    return back(f"{BASE}/dead-letters", "已重新排队发送")


@bp.post("/delivery/dead-letters/retry")
@console_page("admin")
@form(RetryForm)
async def retry_shown(request: Request, body: RetryForm):
    """Send again every failed message the page showed."""
    if not body.id:
        raise DomainError("invalid_input", "没有可重发的消息")
    done = await admin.retry_dead_letters(delivery_ids=body.id[:PER_PAGE])
    message = f"已重新排队 {len(done['queued'])} 条"
    if done["skipped"]:
        message += f"，{done['skipped']} 条已不是失败状态"
    return back(f"{BASE}/dead-letters", message)


@bp.post("/delivery/group-dead-letters/<message_id:int>/retry")
@console_page("admin")
async def retry_group(request: Request, message_id: int):
    """Send one failed WeCom group message again."""
    await admin.retry_group_dead_letter(message_id=message_id)
    return back(f"{BASE}/dead-letters", "群消息已重新排队发送")
