"""简报: one post, or a pairing's semester, as a PDF for the 案例集 and the bureau.

A post's 简报 is its article as printed: title, where and when, the body's paragraphs and
photos (only those the post carries, so only consented ones), and its byline. A semester
简报 of a pairing is its targets against what was done, then each published post of the
semester in short (lead paragraph and first photo).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from tortoise.expressions import Q

from server.activities import service as activities
from server.common.auth import Principal
from server.common.errors import DomainError
from server.common.semester import configured_calendar, semester_of
from server.common.time import now
from server.orgs import service as orgs
from server.publicity import compose, render, sources
from server.publicity.brief_pdf import Block, Brief, read_post_html, render_brief
from server.publicity.models import STATUS_LABELS, Post, PostKind, PostStatus
from server.publicity.service import visible_post
from server.reports import service as reports

FOOTER = "送教通 · 结对帮扶工作简报"
#: Posts of a semester 简报: the newest this many (a 简报 is a summary, not the archive).
SEMESTER_POSTS = 30


async def _photo(post: Post, src: str, data_dir: Path, photos: dict[int, dict]) -> Block | None:
    match = render.LOCAL_IMAGE.match(src)
    file_id = int(match[1]) if match else None
    if file_id is None:  # after publishing: a WeChat URL standing for one of our files
        by_url = {url: int(fid) for fid, url in (post.image_urls or {}).items()}
        file_id = by_url.get(src)
    if file_id is None:
        return None
    try:
        meta, data = await sources.photo_bytes(post, file_id, data_dir, photos=photos)
    except DomainError:
        return None  # removed since: the 简报 goes without it
    if not meta["consent"]:
        return None
    return Block("photo", meta["caption"] or "", image=data)


async def _post_blocks(post: Post, data_dir: Path, *, short: bool = False) -> list[Block]:
    blocks: list[Block] = []
    texts = shown = 0
    photos = await sources.photos_of(post)
    for kind, value in read_post_html(post.html):
        if kind == "img":
            if short and shown:
                continue
            block = await _photo(post, value, data_dir, photos)
            if block is not None:
                blocks.append(block)
                shown += 1
        elif not short or (kind == "text" and texts == 0):
            blocks.append(Block(kind, value))
            texts += kind == "text"
    return blocks


async def _subtitle(post: Post) -> str:
    names = await orgs.kindergarten_names(kindergarten_ids={post.kindergarten_id})
    if post.kind == PostKind.RECAP:
        when = f"{post.semester}学期"
    else:
        facts = await activities.publicity_facts(activity_id=post.activity_id)
        when = compose.date_text(facts["starts_at"])
    parts = [names.get(post.kindergarten_id, ""), when]
    return " · ".join(p for p in parts if p)


async def post_brief(*, principal: Principal, post_id: int, data_dir: Path) -> tuple[bytes, str]:
    """The post as a 简报 PDF and its file name (whoever may see the post)."""
    post, _ = await visible_post(principal, post_id)
    blocks = await _post_blocks(post, data_dir)
    byline = f"撰稿：{post.author_name}" if post.author_name else ""
    if post.status != PostStatus.PUBLISHED:
        byline += f"（{STATUS_LABELS[PostStatus(post.status)]}，尚未发布）"
    if byline:
        blocks.append(Block("text", byline))
    brief = Brief(title=post.title, subtitle=await _subtitle(post), blocks=blocks, footer=FOOTER)
    pdf = await asyncio.to_thread(render_brief, brief)
    return pdf, f"简报_{post.title}.pdf"


def _figures(report: dict) -> list[tuple[str, str]]:
    rows = []
    for m in report["targets"].values():
        rows.append(
            (m["label"], f"{m['done']:g} / {m['target']:g} {m['unit']}　{m['status_label']}")
        )
    return rows


async def pairing_brief(
    *, principal: Principal, pairing_id: int, semester: str | None, data_dir: Path
) -> tuple[bytes, str]:
    """A pairing's semester 简报 PDF: targets, then its published posts in short."""
    semester = (semester or "").strip() or semester_of(now(), configured_calendar())
    since, until = sources.semester_window(semester)
    # The reports service checks that the caller may see the pairing, and gives its figures.
    report = await reports.pairing(
        principal=principal,
        pairing_id=pairing_id,
        semester=semester,
        calendar=configured_calendar(),
    )
    ids = await activities.activity_ids_of_pairing(pairing_id=pairing_id, since=since, until=until)
    # The semester's activity posts, and its recap when one was published.
    told = Q(activity_id__in=ids) | Q(pairing_id=pairing_id, kind=PostKind.RECAP, semester=semester)
    posts = (
        await Post.filter(told, status=PostStatus.PUBLISHED)
        .order_by("-published_at", "-id")
        .limit(SEMESTER_POSTS)
    )
    blocks = [
        Block("heading", "一、目标完成情况"),
        Block("figures", figures=_figures(report)),
        Block("heading", "二、帮扶活动"),
    ]
    if not posts:
        blocks.append(Block("text", "本学期暂无已发布的活动报道。"))
    for post in reversed(posts):  # oldest first, as the semester went
        blocks.append(Block("heading", post.title))
        blocks.append(Block("text", await _subtitle(post)))
        blocks.extend(await _post_blocks(post, data_dir, short=True))
    brief = Brief(
        title=f"{report['name']} {semester}学期帮扶工作简报",
        subtitle=f"生成于 {compose.date_text(now())}",
        blocks=blocks,
        footer=FOOTER,
    )
    pdf = await asyncio.to_thread(render_brief, brief)
    return pdf, f"简报_{report['name']}_{semester}.pdf"
