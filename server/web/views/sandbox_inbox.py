"""Console page: the sandbox inbox, what each person received from the WeChat sandbox.

Admins only. Mounted only on a sandbox setup (development, or tests against a separate
sandbox): server/web/areas.py leaves this area out whenever real WeChat is used, so in
production the page and its navigation entry do not exist (404), not merely empty.
"""

from __future__ import annotations

from sanic import Blueprint, Request

from server.common.params import Digits, Params
from server.common.runtime import current
from server.delivery import sandbox_inbox
from server.web.console import NavItem, add_nav, console_page, render
from server.web.forms import query

#: The blueprint's name: areas.py mounts it only with the sandbox, the nav checks for it.
BLUEPRINT = "console_sandbox_inbox"
bp = Blueprint(BLUEPRINT)
INBOX = "/console/sandbox-inbox"
add_nav(NavItem("沙箱收件箱", INBOX, ("admin",), order=70, blueprint=BLUEPRINT))


class PersonQuery(Params):
    """?person=<id>: one person's messages (anything but a number shows everyone's)."""

    person: Digits = None


def _embedded_state(request: Request):
    """The embedded sandbox's state when the app mounts it, else None (read over HTTP)."""
    mounted = request.app.blueprints.get("wechat_sandbox")
    return getattr(mounted.ctx, "sandbox", None) if mounted is not None else None


@bp.get("/sandbox-inbox")
@console_page("admin")
@query(PersonQuery)
async def sandbox_inbox_page(request: Request, query: PersonQuery):
    """What each teacher, parent and leader received from the WeChat sandbox."""
    settings, person_id = current().settings, query.person
    data = await sandbox_inbox.sandbox_inbox(
        principal=request.ctx.principal,
        settings=settings,
        state=_embedded_state(request) if settings.uses_embedded_sandbox else None,
        person_id=person_id,
    )
    return render(
        request,
        "web/delivery/sandbox_inbox.html",
        chosen=person_id,
        inbox_mounted=True,
        **data,
    )
