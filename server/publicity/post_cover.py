"""A post's cover thumb, shared by the preview and publishing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from server.common.errors import DomainError
from server.orgs import service as orgs
from server.publicity import images, sources
from server.publicity.models import Post


async def cover_bytes(
    *, post: Post, data_dir: Path, photos: dict[int, dict] | None = None
) -> bytes:
    """The cover thumb: the chosen photo cropped, else a title card (≤ 64 KB JPG)."""
    if post.cover_file_id is not None:
        try:
            _, data = await sources.photo_bytes(post, post.cover_file_id, data_dir, photos=photos)
            return await asyncio.to_thread(images.cover_from_photo, data)
        except DomainError:
            pass
    names = await orgs.kindergarten_names(kindergarten_ids={post.kindergarten_id})
    return await asyncio.to_thread(
        images.title_card, kindergarten=names.get(post.kindergarten_id, ""), title=post.title
    )
