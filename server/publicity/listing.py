"""Published posts: listed per pairing, counted for the leaders' summaries."""

from __future__ import annotations

from datetime import datetime

from server.common.auth import Principal
from server.common.time import china
from server.orgs import service as orgs
from server.publicity.models import Post, PostStatus
from server.publicity.post_display import post_summary


def published_view(post: Post) -> dict:
    """A published post as lists show it: what it is about, when, and its article URL."""
    return {
        **post_summary(post),
        "published_at": china(post.published_at).isoformat() if post.published_at else None,
    }


async def pairing_posts(*, principal: Principal, pairing_id: int) -> dict:
    """The published posts of a pairing (its activities and its recaps), newest first.

    Published posts are public on the 公众号, so whoever may see the pairing sees them.
    """
    pairing = await orgs.get_pairing(principal=principal, pairing_id=pairing_id)
    rows = await Post.filter(pairing_id=pairing_id, status=PostStatus.PUBLISHED).order_by(
        "-published_at", "-id"
    )
    return {
        "pairing": {
            "id": pairing["id"],
            "supporting_name": pairing["supporting_name"],
            "supported_name": pairing["supported_name"],
        },
        "count": len(rows),
        "items": [published_view(p) for p in rows],
    }


async def published_count(
    *, since: datetime, until: datetime, kindergarten_ids: set[int] | None
) -> int:
    """Posts published in [since, until) by these kindergartens (None: everywhere)."""
    query = Post.filter(
        status=PostStatus.PUBLISHED, published_at__gte=since, published_at__lt=until
    )
    if kindergarten_ids is not None:
        query = query.filter(kindergarten_id__in=list(kindergarten_ids))
    return await query.count()
