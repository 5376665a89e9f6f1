"""The dashboard: what a role needs first, from the reports and activities services."""

from __future__ import annotations

from sanic import Blueprint, Request

from server.web.console import NavItem, add_nav, page, render

bp = Blueprint("console_dashboard")
add_nav(NavItem("首页", "/console/dashboard", ("organizer", "director", "leader"), order=0))


@bp.get("/dashboard")
@page()
async def dashboard(request: Request):
    """The role's dashboard."""
    return render(request, "web/dashboard/index.html")
