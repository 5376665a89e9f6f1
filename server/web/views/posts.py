"""Console pages: 公众号 posts – draft from an activity or a semester, edit, phone preview,
the 三审 steps (submit, approve, sign, send back), publishing status and 群发."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, model_validator
from sanic import Blueprint, Request, html

from server.common.errors import DomainError
from server.common.params import KeepBlank, Params, Text, Typed
from server.common.runtime import configured_calendar, current
from server.common.semester import semester_of
from server.common.time import now
from server.orgs import service as orgs
from server.publicity import mass_send, recap
from server.publicity import service as posts
from server.publicity.service import STATUS_LABELS, PostStatus
from server.web.console import NavItem, add_nav, back, console_page, render
from server.web.forms import form, query, shown

bp = Blueprint("console_posts")
WRITERS = ("organizer", "director")
READERS = ("organizer", "director", "leader")
add_nav(NavItem("宣传推文", "/console/posts", READERS, order=30))
BASE = "/console/posts"
#: Each review step: the posts service's verb, and what the caller is told after it.
REVIEW_STEPS = {
    "submit": ("submit_post", "已提交园长审核"),
    "approve": ("approve_post", "审核通过，已提交领导签发"),
    "sign": ("sign_post", "已签发，正在发布到公众号"),
    "send-back": ("send_back", "已退回修改"),
}
MASS_SENT = "已提交微信群发，发送完成后这里会显示结果"
STEPS = (*REVIEW_STEPS, "mass-send")
#: The phone preview is WeChat's inline-styled HTML: shown in a frame of our own pages only,
#: with its styles but no script and no outside resource.
PREVIEW_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'self'"
    ),
    "X-Frame-Options": "SAMEORIGIN",
}


def _cover(value: object) -> int | None:
    cover = str(value or "").strip()
    if cover and not cover.isdigit():
        raise DomainError("invalid_input", "封面照片选择有误，请刷新页面后重试")
    return int(cover) if cover else None


class StatusQuery(Params):
    """?status= (draft, reviewing, …): the list's filter."""

    status: str | None = None


class RecapForm(Params):
    """The recap's subject (pairing:<id> or alliance:<id>) and semester."""

    subject: str = ""
    semester: str | None = None

    @model_validator(mode="after")
    def _known_subject(self) -> RecapForm:
        kind, _, raw_id = self.subject.partition(":")
        if kind not in recap.KINDS or not raw_id.isdigit():
            raise DomainError("invalid_input", "请选择要回顾的结对或联盟")
        return self

    def unit(self) -> dict:
        """kind and unit_id of the recap."""
        kind, _, raw_id = self.subject.partition(":")
        return {"kind": kind, "unit_id": int(raw_id)}


class PostForm(Params):
    """The author's changes: title, digest, body and cover (a blank text is cleared)."""

    title: Typed = None
    digest: Typed = None
    html: Typed = None
    cover_file_id: Annotated[int | None, BeforeValidator(_cover), KeepBlank()] = None


class CommentForm(Params):
    """A reviewer's comment on a step."""

    comment: Text | None = None


async def _step(principal, post_id: int, action: str, comment: str | None) -> str:
    """Take one step of the review (or the 群发); what the caller is told."""
    if action == "mass-send":
        await mass_send.mass_send(principal=principal, post_id=post_id)
        return MASS_SENT
    verb, message = REVIEW_STEPS[action]
    comment = (comment or "") if action == "send-back" else comment
    await getattr(posts, verb)(principal=principal, post_id=post_id, comment=comment)
    return message


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
@console_page(*READERS)
@query(StatusQuery)
async def post_list(request: Request, query: StatusQuery):
    """Posts of the caller's kindergartens, by status; drafting a semester recap."""
    status = query.status
    data = await posts.list_posts(principal=request.ctx.principal, status=status)
    for item in data["items"]:
        item["when"] = shown(item.get("updated_at"))
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
@console_page(*WRITERS)
async def draft_from_activity(request: Request, activity_id: int):
    """Draft (or open) the post of a finished activity."""
    post, created = await posts.create_post(
        principal=request.ctx.principal, activity_id=activity_id
    )
    return back(f"{BASE}/{post['id']}", "已生成推文草稿" if created else "")


@bp.post("/posts/recap")
@console_page(*WRITERS)
@form(RecapForm)
async def draft_recap(request: Request, body: RecapForm):
    """Draft (or open) the semester recap of a pairing or an alliance."""
    post, created = await recap.create_recap(
        principal=request.ctx.principal, semester=body.semester, **body.unit()
    )
    return back(f"{BASE}/{post['id']}", "已生成学期回顾草稿" if created else "")


@bp.get("/posts/<post_id:int>")
@console_page(*READERS)
async def post_detail(request: Request, post_id: int):
    """One post: status, steps, the editor for its author, the actions of each reviewer."""
    post = await posts.get_post(principal=request.ctx.principal, post_id=post_id)
    for step in post["steps"]:
        step["when"] = shown(step["at"])
    post["published_shown"] = shown(post.get("published_at"))
    post["mass"]["when"] = shown(post["mass"].get("sent_at") or post["mass"].get("submitted_at"))
    return render(request, "web/posts/detail.html", post=post)


@bp.get("/posts/<post_id:int>/preview")
@console_page(*READERS)
async def post_preview(request: Request, post_id: int):
    """The post as a phone shows it (framed by the detail page)."""
    body = await posts.preview_page(
        principal=request.ctx.principal,
        post_id=post_id,
        data_dir=current().settings.data_dir,
    )
    return html(body, headers=PREVIEW_HEADERS)


@bp.post("/posts/<post_id:int>/edit")
@console_page(*WRITERS)
@form(PostForm)
async def post_edit(request: Request, post_id: int, body: PostForm):
    """Save the author's changes; every limit and photo is checked again."""
    changes = body.model_dump()
    await posts.update_post(principal=request.ctx.principal, post_id=post_id, changes=changes)
    return back(f"{BASE}/{post_id}", "已保存")


@bp.post("/posts/<post_id:int>/<action:str>")
@console_page(*READERS)
@form(CommentForm)
async def post_step(request: Request, post_id: int, action: str, body: CommentForm):
    """One step of the review, or the 群发, by whoever's turn it is."""
    if action not in STEPS:
        raise DomainError("not_found", "页面不存在", status=404)
    message = await _step(request.ctx.principal, post_id, action, body.comment or None)
    return back(f"{BASE}/{post_id}", message)
