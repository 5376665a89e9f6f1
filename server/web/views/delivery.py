"""Console pages: message delivery – the outbox, dead letters and their retry. Admins only,
as the API. The sandbox inbox (a sandbox setup only) is its own area: sandbox_inbox.py."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from sanic import Blueprint, Request

from server.common.errors import DomainError
from server.common.time import china
from server.delivery import admin
from server.web.console import NavItem, add_nav, back, page, render
from server.web.views.sandbox_inbox import BLUEPRINT as INBOX_BLUEPRINT

bp = Blueprint("console_delivery")
BASE = "/console/delivery"
PER_PAGE = 50
add_nav(NavItem("消息投递", BASE, ("admin",), order=60))


def _inbox_mounted(request: Request) -> bool:
    """Whether the sandbox inbox exists here (its tab is shown only then)."""
    return INBOX_BLUEPRINT in request.app.blueprints


def _shown(iso: str | None) -> str:
    return china(datetime.fromisoformat(iso)).strftime("%Y-%m-%d %H:%M") if iso else ""


def _page_number(request: Request) -> int:
    value = request.args.get("page") or "1"
    return max(int(value), 1) if value.isdigit() else 1


@bp.get("/delivery")
@page("admin")
async def outbox(request: Request):
    """Every message to a person: channel, status, attempts and the reason of a failure."""
    status = request.args.get("status") or None
    channel = request.args.get("channel") or None
    number = _page_number(request)
    data = await admin.outbox_messages(
        limit=PER_PAGE, offset=(number - 1) * PER_PAGE, status=status, channel=channel
    )
    for item in data["items"]:
        item["created"] = _shown(item["created_at"])
        item["sent"] = _shown(item["sent_at"])
    pages = max((data["total"] + PER_PAGE - 1) // PER_PAGE, 1)
    query = {k: v for k, v in (("status", status), ("channel", channel)) if v}

    def link(n: int) -> str:
        return f"{BASE}?{urlencode({**query, 'page': n})}"

    return render(
        request,
        "web/delivery/outbox.html",
        items=data["items"],
        total=data["total"],
        chosen_status=status or "",
        chosen_channel=channel or "",
        statuses=[(s.value, label) for s, label in admin.STATUS_LABELS.items()],
        channels=[(c.value, label) for c, label in admin.CHANNEL_LABELS.items()],
        number=number,
        pages=pages,
        prev_link=link(number - 1) if number > 1 else "",
        next_link=link(number + 1) if number < pages else "",
        inbox_mounted=_inbox_mounted(request),
    )


@bp.get("/delivery/dead-letters")
@page("admin")
async def dead_letters(request: Request):
    """Failed messages with their reasons, to send again one by one or all shown."""
    number = _page_number(request)
    data = await admin.dead_letters(
        limit=PER_PAGE, offset=(number - 1) * PER_PAGE, key=request.args.get("key") or None
    )
    for item in data["items"]:
        item["created"] = _shown(item["created_at"])
        item["failed"] = _shown(item["failed_at"])
    for item in data["groups"]:
        item["created"] = _shown(item["created_at"])
    pages = max((data["total"] + PER_PAGE - 1) // PER_PAGE, 1)
    return render(
        request,
        "web/delivery/dead_letters.html",
        items=data["items"],
        groups=data["groups"],
        total=data["total"],
        key=request.args.get("key") or "",
        number=number,
        pages=pages,
        inbox_mounted=_inbox_mounted(request),
    )


@bp.post("/delivery/dead-letters/<delivery_id:int>/retry")
@page("admin")
async def retry_one(request: Request, delivery_id: int):
    """Send one failed message again."""
    await admin.retry_dead_letter(delivery_id=delivery_id)
    return back(f"{BASE}/dead-letters", "已重新排队发送")


@bp.post("/delivery/dead-letters/retry")
@page("admin")
async def retry_shown(request: Request):
    """Send again every failed message the page showed."""
    ids = [int(v) for v in request.form.getlist("id") or [] if v.isdigit()]
    if not ids:
        raise DomainError("invalid_input", "没有可重发的消息")
    done = await admin.retry_dead_letters(delivery_ids=ids[:PER_PAGE])
    message = f"已重新排队 {len(done['queued'])} 条"
    if done["skipped"]:
        message += f"，{done['skipped']} 条已不是失败状态"
    return back(f"{BASE}/dead-letters", message)


@bp.post("/delivery/group-dead-letters/<message_id:int>/retry")
@page("admin")
async def retry_group(request: Request, message_id: int):
    """Send one failed WeCom group message again."""
    await admin.retry_group_dead_letter(message_id=message_id)
    return back(f"{BASE}/dead-letters", "群消息已重新排队发送")
