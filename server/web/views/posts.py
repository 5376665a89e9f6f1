"""Console pages: 公众号 posts – draft from an activity or a semester, edit, phone preview,
the 三审 steps (submit, approve, sign, send back), publishing status and 群发."""

from __future__ import annotations

from datetime import datetime

from sanic import Blueprint, Request, html

from server.common.errors import DomainError
from server.common.semester import configured_calendar, semester_of
from server.common.time import china, now
from server.orgs import service as orgs
from server.publicity import mass_send, recap
from server.publicity import service as posts
from server.publicity.models import STATUS_LABELS, PostStatus
from server.web.console import NavItem, add_nav, back, page, render

bp = Blueprint("console_posts")
WRITERS = ("organizer", "director")
READERS = ("organizer", "director", "leader")
add_nav(NavItem("宣传推文", "/console/posts", READERS, order=30))
BASE = "/console/posts"
STEPS = ("submit", "approve", "sign", "send-back", "mass-send")
#: The phone preview is WeChat's inline-styled HTML: shown in a frame of our own pages only,
#: with its styles but no script and no outside resource.
PREVIEW_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'self'"
    ),
    "X-Frame-Options": "SAMEORIGIN",
}


def _shown(iso: str | None) -> str:
    return china(datetime.fromisoformat(iso)).strftime("%Y-%m-%d %H:%M") if iso else ""


async def _recap_choices(request: Request) -> dict:
    """Pairings and alliances whose recap the caller may write (her kindergarten leads them)."""
    principal = request.ctx.principal
    mine = principal.scope_ids("kindergarten", WRITERS)
    if not mine and not principal.is_admin:
        return {"pairings": [], "alliances": []}
    pairings = await orgs.list_pairings(principal=principal, limit=200, offset=0)
    alliances = await orgs.list_alliances(principal=principal, limit=200, offset=0)
    return {
        "pairings": [
            p for p in pairings["items"] if principal.is_admin or p["supporting_id"] in mine
        ],
        "alliances": [
            a for a in alliances["items"] if principal.is_admin or a.get("lead_id") in mine
        ],
    }


@bp.get("/posts")
@page(*READERS)
async def post_list(request: Request):
    """Posts of the caller's kindergartens, by status; drafting a semester recap."""
    status = request.args.get("status") or None
    data = await posts.list_posts(principal=request.ctx.principal, status=status)
    for item in data["items"]:
        item["when"] = _shown(item.get("updated_at"))
    return render(
        request,
        "web/posts/list.html",
        items=data["items"],
        chosen=status or "",
        statuses=[(s.value, STATUS_LABELS[s]) for s in PostStatus],
        choices=await _recap_choices(request),
        semester=semester_of(now(), configured_calendar()),
    )


@bp.post("/posts/from-activity/<activity_id:int>")
@page(*WRITERS)
async def draft_from_activity(request: Request, activity_id: int):
    """Draft (or open) the post of a finished activity."""
    post, created = await posts.create_post(
        principal=request.ctx.principal, activity_id=activity_id
    )
    return back(f"{BASE}/{post['id']}", "已生成推文草稿" if created else "")


@bp.post("/posts/recap")
@page(*WRITERS)
async def draft_recap(request: Request):
    """Draft (or open) the semester recap of a pairing or an alliance."""
    subject = request.form.get("subject") or ""
    kind, _, raw_id = subject.partition(":")
    if kind not in recap.KINDS or not raw_id.isdigit():
        raise DomainError("invalid_input", "请选择要回顾的结对或联盟")
    post, created = await recap.create_recap(
        principal=request.ctx.principal,
        kind=kind,
        unit_id=int(raw_id),
        semester=request.form.get("semester") or None,
    )
    return back(f"{BASE}/{post['id']}", "已生成学期回顾草稿" if created else "")


@bp.get("/posts/<post_id:int>")
@page(*READERS)
async def post_detail(request: Request, post_id: int):
    """One post: status, steps, the editor for its author, the actions of each reviewer."""
    post = await posts.get_post(principal=request.ctx.principal, post_id=post_id)
    for step in post["steps"]:
        step["when"] = _shown(step["at"])
    post["published_shown"] = _shown(post.get("published_at"))
    post["mass"]["when"] = _shown(post["mass"].get("sent_at") or post["mass"].get("submitted_at"))
    return render(request, "web/posts/detail.html", post=post)


@bp.get("/posts/<post_id:int>/preview")
@page(*READERS)
async def post_preview(request: Request, post_id: int):
    """The post as a phone shows it (framed by the detail page)."""
    body = await posts.preview_page(
        principal=request.ctx.principal,
        post_id=post_id,
        data_dir=request.app.ctx.settings.data_dir,
    )
    return html(body, headers=PREVIEW_HEADERS)


@bp.post("/posts/<post_id:int>/edit")
@page(*WRITERS)
async def post_edit(request: Request, post_id: int):
    """Save the author's changes; every limit and photo is checked again."""
    form = request.form
    cover = (form.get("cover_file_id") or "").strip()
    if cover and not cover.isdigit():
        raise DomainError("invalid_input", "封面照片选择有误，请刷新页面后重试")
    changes = {
        "title": form.get("title"),
        "digest": form.get("digest"),
        "html": form.get("html"),
        "cover_file_id": int(cover) if cover else None,
    }
    await posts.update_post(principal=request.ctx.principal, post_id=post_id, changes=changes)
    return back(f"{BASE}/{post_id}", "已保存")


@bp.post("/posts/<post_id:int>/<action:str>")
@page(*READERS)
async def post_step(request: Request, post_id: int, action: str):
    """One step of the review, or the 群发, by whoever's turn it is."""
    principal = request.ctx.principal
    comment = (request.form.get("comment") or "").strip() or None
    if action not in STEPS:
        raise DomainError("not_found", "页面不存在", status=404)
    if action == "submit":
        await posts.submit_post(principal=principal, post_id=post_id, comment=comment)
        message = "已提交园长审核"
    elif action == "approve":
        await posts.approve_post(principal=principal, post_id=post_id, comment=comment)
        message = "审核通过，已提交领导签发"
    elif action == "sign":
        await posts.sign_post(principal=principal, post_id=post_id, comment=comment)
        message = "已签发，正在发布到公众号"
    elif action == "send-back":
        await posts.send_back(principal=principal, post_id=post_id, comment=comment or "")
        message = "已退回修改"
    else:
        await mass_send.mass_send(principal=principal, post_id=post_id)
        message = "已提交微信群发，发送完成后这里会显示结果"
    return back(f"{BASE}/{post_id}", message)
