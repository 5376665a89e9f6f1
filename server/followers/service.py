"""Followers of the 公众号: subscriptions, and the person behind each openid.

A follower's openid differs from the same user's mini-program openid; the unionid ties
them together. The person is read through the unionid's mini-program account whenever
the unionid is known, so a binding made in the mini-program after the follow counts at
once; `Follower.person` only caches it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from tortoise.exceptions import IntegrityError

from server.accounts import identities as accounts
from server.common.time import now
from server.followers.models import Follower
from server.wechat.errors import WeChatError

log = logging.getLogger("songjiao.followers")

SCENE_MAX = 64


async def _person_of_unionid(unionid: str) -> int | None:
    return await accounts.person_of_unionid(unionid)


async def record_subscribe(
    *, oa_openid: str, scene: str = "", unionid: str | None = None
) -> int | None:
    """Remember a follow (or a follow again); returns the follower's person id when known."""
    values = {"subscribed": True, "subscribed_at": now(), "scene": scene[:SCENE_MAX]}
    if unionid:
        values["unionid"] = unionid
    updated = await Follower.filter(oa_openid=oa_openid).update(**values)
    if not updated:
        try:
            await Follower.create(oa_openid=oa_openid, **values)
        except IntegrityError:
            # WeChat's retry reached another worker first: the row exists now.
            await Follower.filter(oa_openid=oa_openid).update(**values)
    return await follower_person(oa_openid)


async def record_unsubscribe(*, oa_openid: str) -> None:
    """Remember an unfollow; template messages stop reaching this openid."""
    await Follower.filter(oa_openid=oa_openid).update(subscribed=False, unsubscribed_at=now())


async def link_unionid(*, oa_openid: str, unionid: str) -> int | None:
    """Store a follower's unionid (from WeChat's user info); returns the linked person id."""
    await Follower.filter(oa_openid=oa_openid).update(unionid=unionid)
    return await follower_person(oa_openid)


async def learn_unionid(*, wechat: Any, oa_openid: str) -> int | None:
    """Ask WeChat (the 公众号's client) for a follower's unionid and link her; never raises."""
    # Subscribe and SCAN events carry no unionid. An openid's unionid never changes, so a
    # known one is not asked for again; a WeChat refusal leaves her unlinked until her next
    # event (logged by errcode only: nothing that names her).
    row = await Follower.get_or_none(oa_openid=oa_openid)
    if row is not None and row.unionid:
        return await follower_person(oa_openid)
    try:
        info = await wechat.get_user_info(openid=oa_openid)
    except WeChatError as exc:
        log.warning("公众号 user info not read: errcode %s", exc.errcode)
        return None
    unionid = info.get("unionid")
    if not isinstance(unionid, str) or not unionid:
        return None  # the 公众号 is not bound to the open platform: no unionid to link by
    if row is None:
        # Followed before the bot kept followers: a SCAN proves she follows now.
        return await record_subscribe(oa_openid=oa_openid, unionid=unionid)
    return await link_unionid(oa_openid=oa_openid, unionid=unionid)


async def follower_person(oa_openid: str) -> int | None:
    """The person id behind a 公众号 openid, or None when not (yet) linked."""
    row = await Follower.get_or_none(oa_openid=oa_openid)
    if row is None:
        return None
    if row.unionid:
        person_id = await _person_of_unionid(row.unionid)
        if person_id is not None and person_id != row.person_id:
            await Follower.filter(id=row.id).update(person_id=person_id)
        if person_id is not None:
            return person_id
    return row.person_id


async def oa_openids_of(person_ids: Iterable[int]) -> dict[int, str]:
    """Person id -> 公众号 openid of those people who follow the account now."""
    ids = set(person_ids)
    if not ids:
        return {}
    found: dict[int, str] = {}
    by_union = await accounts.unionids_of(ids)
    if by_union:
        rows = await Follower.filter(unionid__in=list(by_union), subscribed=True).values_list(
            "unionid", "oa_openid"
        )
        for unionid, openid in rows:
            found.setdefault(by_union[unionid], openid)
    rest = ids - set(found)
    if rest:
        rows = await Follower.filter(person_id__in=list(rest), subscribed=True).values_list(
            "person_id", "oa_openid"
        )
        for person_id, openid in rows:
            found.setdefault(person_id, openid)
    return found


async def link_person(*, oa_openid: str, person_id: int) -> int:
    """Link a follower to a person by her own QR code; answers the follower row's id.

    One openid per person through the QR code: her earlier QR-linked openids let go, so
    template messages go to the WeChat user who scanned last. A row linked through the
    unionid is re-linked from the unionid when next read, so dropping its cache is harmless.
    """
    await Follower.filter(person_id=person_id).exclude(oa_openid=oa_openid).update(person_id=None)
    updated = await Follower.filter(oa_openid=oa_openid).update(person_id=person_id)
    if not updated:
        # Followed before the bot kept followers: a SCAN proves she follows now.
        try:
            await Follower.create(
                oa_openid=oa_openid, person_id=person_id, subscribed=True, subscribed_at=now()
            )
        except IntegrityError:
            await Follower.filter(oa_openid=oa_openid).update(person_id=person_id)
    return await Follower.get(oa_openid=oa_openid).values_list("id", flat=True)
