"""The staff preview: a post shown as on a phone, before and after publishing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from server.common.auth import Principal
from server.common.errors import DomainError
from server.common.time import now
from server.orgs import service as orgs
from server.publicity import compose, images, render, sources
from server.publicity.models import STATUS_LABELS
from server.publicity.post_access import visible_post
from server.publicity.post_cover import cover_bytes
from server.publicity.post_steps import status_of

#: Shown in the staff preview where a photo stood whose consent was withdrawn.
WITHDRAWN_NOTE = "（此处照片已撤回公开同意，不再显示；发布前请删除或更换）"


async def preview_page(*, principal: Principal, post_id: int, data_dir: Path) -> str:
    """An HTML page showing the post as on a phone (images inlined, no login needed for them)."""
    post, _ = await visible_post(principal, post_id)
    body = post.html
    photos = await sources.photos_of(post)
    # Consent is judged now, not when the draft was made: a withdrawn photo is not shown.
    withdrawn = {i for i, p in photos.items() if not p["consent"]}
    body = render.replace_images(body, withdrawn, WITHDRAWN_NOTE)
    for src in dict.fromkeys(render.image_sources(body)):
        match = render.LOCAL_IMAGE.match(src)
        if not match:
            continue
        try:
            _, data = await sources.photo_bytes(post, int(match[1]), data_dir, photos=photos)
        except DomainError:
            continue
        uri = await asyncio.to_thread(images.preview_data_uri, data)
        body = body.replace(f'src="{src}"', f'src="{uri}"')
    consented = {i: p for i, p in photos.items() if i not in withdrawn}
    cover = await cover_bytes(post=post, data_dir=data_dir, photos=consented)
    names = await orgs.kindergarten_names(kindergarten_ids={post.kindergarten_id})
    status = status_of(post)
    return render.render_preview(
        {
            "title": post.title,
            "digest": post.digest,
            "author": post.author_name,
            "account": names.get(post.kindergarten_id, ""),
            "date": compose.date_text(post.published_at or now()),
            "cover": await asyncio.to_thread(images.preview_data_uri, cover, width=375),
            "body": body,
            "status_label": STATUS_LABELS[status],
        }
    )
