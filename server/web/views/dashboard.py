"""The dashboard: targets progress, alerts, rankings and this week's activities, by role."""

from __future__ import annotations

from datetime import date, timedelta

from sanic import Blueprint, Request, redirect

from server.accounts import web_login
from server.activities import service as activities
from server.common.errors import DomainError
from server.common.time import china, now
from server.publicity import service as publicity
from server.reports import service as reports
from server.web.console import PREFIX, NavItem, add_nav, console_page, render
from server.web.forms import shown

bp = Blueprint("console_dashboard")
add_nav(NavItem("首页", "/console/dashboard", ("organizer", "director", "leader"), order=0))
#: Rows drawn in the progress chart; the table below it lists every pairing.
CHART_ROWS = 12
#: Newest posts listed on the dashboard.
RECENT_POSTS = 5
BAR_WIDTH = 360
#: Month, day and time, as the dashboard's short lists show them.
SHORT = "%m-%d %H:%M"


def _chart(items: list[dict]) -> dict:
    """Bars (as SVG geometry) of each pairing's targets, rate capped at 100 %."""
    rows = []
    for item in items[:CHART_ROWS]:
        bars = []
        for target in item["targets"].values():
            rate = min(float(target.get("rate") or 0), 1.0)
            bars.append(
                {
                    "label": target["label"],
                    "text": f"{target['done']}/{target['target']}{target.get('unit', '')}",
                    "width": round(BAR_WIDTH * rate),
                    "percent": round(rate * 100),
                    "low": target["status"] in ("at_risk", "missed"),
                }
            )
        rows.append({"name": item["name"], "bars": bars})
    per_row = max((len(r["bars"]) for r in rows), default=0)
    return {"rows": rows, "row_height": 24 + per_row * 20, "bar_width": BAR_WIDTH}


async def _reports(principal) -> dict:
    try:
        pairings = await reports.pairings(principal=principal)
        alerts = await reports.alerts(principal=principal)
        by = "alliance" if principal.has("leader") else "pairing"
        ranking = await reports.ranking(principal=principal, by=by)
    except DomainError:
        return {"period": "", "pairings": [], "alerts": [], "ranking": [], "chart": _chart([])}
    return {
        "period": pairings["period"],
        "pairings": pairings["items"],
        "alerts": alerts["items"],
        "ranking": ranking["items"][:10],
        "ranking_by": "联盟" if by == "alliance" else "结对",
        "chart": _chart(pairings["items"]),
    }


async def _recent_posts(principal) -> list[dict]:
    """The newest posts the caller may see (none when she sees none)."""
    try:
        data = await publicity.list_posts(principal=principal)
    except DomainError:
        return []
    posts = data["items"][:RECENT_POSTS]
    for post in posts:
        post["when"] = shown(post.get("updated_at"), SHORT)
    return posts


async def _this_week(principal) -> tuple[date, list[dict]]:
    """Monday of this week and the activities from then to Sunday."""
    today = china(now()).date()
    monday = today - timedelta(days=today.weekday())
    week = await activities.list_activities(
        principal=principal, day_from=monday, day_to=monday + timedelta(days=6), limit=50
    )
    for item in week["items"]:
        item["when"] = shown(item["starts_at"], SHORT)
    return monday, week["items"]


@bp.get("/dashboard")
@console_page(*web_login.CONSOLE_LOGIN_ROLES)
async def dashboard(request: Request):
    """The role's dashboard; a teacher's console is her 学时证明 page."""
    principal = request.ctx.principal
    if not principal.has(*web_login.CONSOLE_ROLES):
        return redirect(f"{PREFIX}/certificates", status=303)
    monday, week = await _this_week(principal)
    data = await _reports(principal)
    return render(
        request,
        "web/dashboard/index.html",
        week=week,
        monday=monday,
        posts=await _recent_posts(principal),
        **data,
    )
