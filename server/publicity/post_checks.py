"""The checks a post passes before every step forward: WeChat's limits, images, photo consent.

Drafting, review and publishing all use them; nothing here calls back into those.
"""

from __future__ import annotations

from server.common.errors import DomainError
from server.publicity import disclosure_figures, render, sources
from server.publicity.models import Post, PostKind


def refusal(photo: dict) -> str:
    """Why a photo without consent may not be used, in Chinese."""
    return f"照片 {photo['id']} 未标记“同意公开”，不能用于推文；请先确认照片中的人员同意公开"


async def check_images(post: Post, html: str, photos: dict[int, dict] | None = None) -> None:
    """Every body image is a consented photo of the post's activity (or recap's activities)."""
    photos = photos if photos is not None else await sources.photos_of(post)
    for src in render.image_sources(html):
        match = render.LOCAL_IMAGE.match(src)
        photo = photos.get(int(match[1])) if match else None
        if photo is None:
            raise DomainError(
                "foreign_image", "正文图片只能使用本活动档案中已同意公开的照片", status=422
            )
        if not photo["consent"]:
            raise DomainError("photo_not_consented", refusal(photo), status=422)


async def check_cover(
    post: Post, cover_file_id: int | None, photos: dict[int, dict] | None = None
) -> None:
    """The cover, if any, is a consented photo of the post's archive."""
    if cover_file_id is None:
        return
    photos = photos if photos is not None else await sources.photos_of(post)
    photo = photos.get(cover_file_id)
    if photo is None:
        raise DomainError("invalid_cover", "封面只能选用本活动档案中的照片", status=422)
    if not photo["consent"]:
        raise DomainError("photo_not_consented", refusal(photo), status=422)


async def check_post(*, post: Post) -> None:
    """Everything checked again before a step forward: limits, images, consent."""
    render.check_title(post.title)
    render.check_digest(post.digest)
    render.check_body(post.html)
    photos = await sources.photos_of(post)
    await check_images(post, post.html, photos)
    await check_cover(post, post.cover_file_id, photos)
    if post.kind == PostKind.DISCLOSURE:
        await disclosure_figures.check_figures(post)
