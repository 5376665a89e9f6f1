"""Console pages of an activity on the day: the poster, the projector link and the live board."""

from __future__ import annotations

from urllib.parse import quote

from sanic import Blueprint, Request, raw, redirect

from server.activities import poster, projector
from server.activities import service as activities
from server.checkin import organizer
from server.checkin.live_events import stream_live
from server.common.runtime import current
from server.stopping import close_connection_after
from server.web.console import console_page, render
from server.web.views.activity_form import RUNNERS

bp = Blueprint("console_activity_live")
#: The live board's events: never cached, never buffered by nginx.
STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


@bp.get("/activities/<activity_id:int>/poster.png")
@console_page(*RUNNERS)
async def poster_png(request: Request, activity_id: int):
    """The printable poster with the activity's check-in code."""
    png = await poster.activity_poster(
        principal=request.ctx.principal,
        activity_id=activity_id,
        settings=current().settings,
        wechat=current().wechat,
    )
    name = quote(f"签到海报-{activity_id}.png")
    return raw(
        png,
        content_type="image/png",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"},
    )


@bp.post("/activities/<activity_id:int>/projector")
@console_page(*RUNNERS)
async def open_projector(request: Request, activity_id: int):
    """A fresh projector link; the browser goes on to the projector page."""
    link = await projector.projector_link(
        principal=request.ctx.principal,
        activity_id=activity_id,
        settings=current().settings,
    )
    return redirect(link["url"], status=303)


@bp.get("/activities/<activity_id:int>/live")
@console_page(*RUNNERS)
async def live_page(request: Request, activity_id: int):
    """The live board: counts and arrivals as they happen."""
    principal = request.ctx.principal
    data = await activities.get_activity(principal=principal, activity_id=activity_id)
    attendance = await organizer.attendance(principal=principal, activity_id=activity_id)
    return render(request, "web/activities/live.html", activity=data, attendance=attendance)


async def _may_watch(request: Request, activity_id: int):
    """The activity, if the caller runs it (the same check as the projector's, then hers)."""
    activity = await projector.authorize_display(
        activity_id=activity_id,
        token=None,
        principal=request.ctx.principal,
        jwt_secret=current().settings.jwt_secret,
    )
    await organizer.attendance(principal=request.ctx.principal, activity_id=activity_id)
    return activity


@bp.get("/activities/<activity_id:int>/live/stream")
@console_page(*RUNNERS)
async def live_stream(request: Request, activity_id: int):
    """The live board's server-sent events (counts, and who arrived)."""
    activity = await _may_watch(request, activity_id)
    content_type = "text/event-stream; charset=utf-8"
    response = await request.respond(content_type=content_type, headers=STREAM_HEADERS)
    stopping = request.app.ctx.stopping
    await stream_live(
        send=response.send,
        activity=activity,
        detailed=True,
        max_seconds=3600,
        stopping=stopping,
    )
    if stopping.is_set():
        close_connection_after(request)  # its browser reconnects to a running process
    await response.eof()
