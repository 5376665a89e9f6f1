"""简报: one post, or a pairing's semester, as a PDF for the 案例集 and the bureau.

A post's 简报 is its article as printed: title, where and when, the body's paragraphs and
photos (only those the post carries, so only consented ones; each caption once), and its
one byline. A semester 简报 of a pairing is its targets against what was done, then every
finished activity of the semester with its figures (figures.py) and, where a post was
published, that post in short (lead paragraph and first photo).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from server.activities import service as activities
from server.archive import service as archive
from server.checkin import figures as checkin_figures
from server.common.auth import Principal
from server.common.errors import DomainError
from server.common.runtime import configured_calendar
from server.common.semester import semester_of
from server.common.time import now
from server.orgs import service as orgs
from server.publicity import compose, render, sources
from server.publicity.brief_pdf import Block, Brief, read_post_html, render_brief
from server.publicity.models import STATUS_LABELS, Post, PostKind, PostStatus
from server.publicity.post_access import visible_post
from server.reports import service as reports

FOOTER = "送教通 · 结对帮扶工作简报"
#: Posts of a semester 简报: the newest this many (a 简报 is a summary, not the archive).
SEMESTER_POSTS = 30
#: Photo width in a semester 简报, as a share of the text width.
SHORT_PHOTO = 0.6


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
    caption_after: str | None = None  # the caption line the body prints under a photo
    for kind, value in read_post_html(post.html):
        follows_photo, caption_after = caption_after, None
        if kind == "img":
            if short and shown:
                continue
            block = await _photo(post, value, data_dir, photos)
            if block is not None:
                block.scale = SHORT_PHOTO if short else 1.0
                blocks.append(block)
                shown += 1
                caption_after = block.text
        elif kind == "text" and follows_photo and value == follows_photo:
            continue  # drawn under the photo already: printed once
        elif kind == "text" and value.startswith("撰稿："):
            if not short:
                blocks.append(Block("byline", value))
        elif not short or (kind == "text" and texts == 0):
            blocks.append(Block(kind, value))
            texts += kind == "text"
    return blocks


async def _subtitle(post: Post) -> str:
    names = await orgs.kindergarten_names(kindergarten_ids={post.kindergarten_id})
    if post.kind == PostKind.DISCLOSURE:
        when = f"{post.semester}捐赠与经费公示"
    elif post.kind == PostKind.RECAP:
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
    # The body ends with its own 撰稿/摄影/审核 line; the 简报 adds none of its own.
    if not any(b.kind == "byline" or b.text.startswith("撰稿：") for b in blocks):
        if post.author_name:
            blocks.append(Block("byline", f"撰稿：{post.author_name}"))
    subtitle = await _subtitle(post)
    if post.status != PostStatus.PUBLISHED:
        subtitle += f" · {STATUS_LABELS[PostStatus(post.status)]}，尚未发布"
    brief = Brief(title=post.title, subtitle=subtitle, blocks=blocks, footer=FOOTER)
    pdf = await asyncio.to_thread(render_brief, brief)
    return pdf, f"简报_{post.title}.pdf"


def _figures(report: dict) -> list[tuple[str, str]]:
    rows = []
    for m in report["targets"].values():
        rows.append(
            (m["label"], f"{m['done']:g} / {m['target']:g} {m['unit']}　{m['status_label']}")
        )
    return rows


def figures_line(kind: str, figures: dict) -> str:
    """An activity's figures on one line, worded as its post words them."""
    numbers = compose.numbers_of({"kind": kind}, {"figures": figures})
    return "　".join(f"{n['value']} {n['label']}" for n in numbers)


async def _activity_blocks(
    activity: dict, post: Post | None, host: str, data_dir: Path
) -> list[Block]:
    """One finished activity of the semester: what, when, its figures, then its post in short
    (or, with no post yet, its record's first sentences and first consented photo)."""
    when = compose.date_text(activity["starts_at"])
    figures = await checkin_figures.activity_figures(activity_id=activity["id"])
    blocks = [
        Block("heading", activity["title"]),
        Block("text", " · ".join(p for p in (when, activity["kind"], host) if p)),
        Block("text", figures_line(activity["kind"], figures)),
    ]
    if post is not None:
        return blocks + await _post_blocks(post, data_dir, short=True)
    record = await archive.publicity_record(activity_id=activity["id"])
    told, _ = compose.quote_of({"record": {"summary": record["record"]["summary"]}})
    if told:
        blocks.append(Block("text", told))
    consented = [p for p in record["photos"] if p["consent"]]
    if consented:
        try:
            meta, data = await archive.publicity_photo(
                file_id=consented[0]["id"], activity_id=activity["id"], data_dir=data_dir
            )
            blocks.append(Block("photo", meta["caption"] or "", image=data, scale=SHORT_PHOTO))
        except DomainError:
            pass  # the file is gone: the 简报 goes without it
    return blocks


async def pairing_brief(
    *, principal: Principal, pairing_id: int, semester: str | None, data_dir: Path
) -> tuple[bytes, str]:
    """A pairing's semester 简报 PDF: targets, then every finished activity of the semester
    (with its post in short where one was published), then the semester's recap post."""
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
    briefs = await activities.activity_briefs(activity_ids=ids)
    finished = [briefs[i] for i in ids if i in briefs and briefs[i]["status"] == "finished"]
    finished = finished[:SEMESTER_POSTS]
    posts = {
        p.activity_id: p
        for p in await Post.filter(
            activity_id__in=[a["id"] for a in finished] or [0], status=PostStatus.PUBLISHED
        )
    }
    recaps = await Post.filter(
        pairing_id=pairing_id, kind=PostKind.RECAP, semester=semester, status=PostStatus.PUBLISHED
    ).limit(1)
    hosts = await orgs.kindergarten_names(kindergarten_ids={a["host_id"] for a in finished})
    blocks = [
        Block("heading", "一、目标完成情况"),
        Block("figures", figures=_figures(report)),
        Block("heading", f"二、帮扶活动（本学期已结束 {len(finished)} 场）"),
    ]
    if not finished:
        blocks.append(Block("text", "本学期暂无已结束的帮扶活动。"))
    for activity in finished:  # oldest first, as the semester went
        host = hosts.get(activity["host_id"], "")
        blocks += await _activity_blocks(activity, posts.get(activity["id"]), host, data_dir)
    for recap_post in recaps:
        blocks.append(Block("heading", "三、学期回顾"))
        blocks.append(Block("heading", recap_post.title))
        blocks.extend(await _post_blocks(recap_post, data_dir, short=True))
    brief = Brief(
        title=f"{report['name']} {semester}学期帮扶工作简报",
        subtitle=f"生成于 {compose.date_text(now())}",
        blocks=blocks,
        footer=FOOTER,
    )
    pdf = await asyncio.to_thread(render_brief, brief)
    return pdf, f"简报_{report['name']}_{semester}.pdf"
