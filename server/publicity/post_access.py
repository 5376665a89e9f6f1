"""Who may do what on a post: write (撰稿), review (审核), sign (签发).

撰稿 is an organizer (or director) of the host kindergarten, or of the side that ran the
activity (the 帮扶园 of a 送教 at its partner); 审核 a director of that kindergarten, 签发 a
leader whose region or alliance holds it (or an admin).
"""

from __future__ import annotations

from server.common.auth import Principal
from server.common.errors import NotFound
from server.orgs import service as orgs
from server.publicity.models import Post, PostStep

WRITERS = ("organizer", "director")


def writes_for(principal: Principal, kindergarten_id: int) -> bool:
    """Whether the caller writes (撰稿) for this kindergarten: its organizer or director."""
    return principal.is_admin or kindergarten_id in principal.scope_ids("kindergarten", WRITERS)


def _reviews_for(principal: Principal, kindergarten_id: int) -> bool:
    return principal.is_admin or kindergarten_id in principal.scope_ids(
        "kindergarten", ["director"]
    )


async def _signs_for(principal: Principal, kindergarten_id: int) -> bool:
    return principal.is_admin or kindergarten_id in await orgs.kindergarten_ids_led(principal)


async def writing_kindergarten(principal: Principal, facts: dict) -> int | None:
    """Whose post the caller writes: the host's, else the side of the activity she runs.

    A 送教 is hosted at the 被帮扶园 but run by the 帮扶园's organizer; she writes its post
    for her own kindergarten, whose director then reviews it. None: she writes for neither.
    """
    if writes_for(principal, facts["host_id"]):
        return facts["host_id"]
    sides: list[int] = []
    if facts["pairing_id"]:
        sides += list(await orgs.pairing_sides(pairing_id=facts["pairing_id"]))
    if facts["alliance_id"]:
        lead = await orgs.alliance_lead_id(alliance_id=facts["alliance_id"])
        sides += [lead] if lead else []
    return next((kg for kg in sides if writes_for(principal, kg)), None)


async def writer_ids(post: Post) -> set[int]:
    """People who wrote the post: who drafted it and whoever submitted it for review."""
    steps = await PostStep.filter(post_id=post.id, step__in=["drafted", "submitted"]).values_list(
        "actor_id", flat=True
    )
    return {i for i in (post.created_by_id, *steps) if i}


async def roles_on(principal: Principal, post: Post) -> set[str]:
    """The caller's parts in the post: any of write, review and sign."""
    roles = set()
    if writes_for(principal, post.kindergarten_id):
        roles.add("write")
    if _reviews_for(principal, post.kindergarten_id):
        roles.add("review")
    if await _signs_for(principal, post.kindergarten_id):
        roles.add("sign")
    return roles


async def visible_post(principal: Principal, post_id: int) -> tuple[Post, set[str]]:
    """The post and the caller's parts in it; 404 when she has none."""
    post = await Post.get_or_none(id=post_id)
    if post is None:
        raise NotFound("推文")
    roles = await roles_on(principal, post)
    if not roles:
        raise NotFound("推文")
    return post, roles
