"""Where a post's material comes from: its activity, or the activities of a recap's semester."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path

from server.activities import service as activities
from server.archive import service as archive
from server.common.errors import DomainError
from server.common.runtime import configured_calendar
from server.common.semester import semester_range
from server.common.time import CHINA
from server.orgs import service as orgs
from server.publicity.models import Post, PostKind


def semester_window(semester: str) -> tuple[datetime, datetime]:
    """[since, until) of a semester such as 2026秋, China time, per the configured calendar."""
    try:
        first, last = semester_range(semester, configured_calendar())
    except ValueError as exc:
        raise DomainError("invalid_semester", str(exc)) from exc
    since = datetime.combine(first, time(0), CHINA)
    return since, datetime.combine(last + timedelta(days=1), time(0), CHINA)


async def recap_activity_ids(
    *, pairing_id: int | None, alliance_id: int | None, semester: str
) -> list[int]:
    """The activities a recap of this pairing (or alliance) and semester tells of, by start."""
    since, until = semester_window(semester)
    if pairing_id is not None:
        return await activities.activity_ids_of_pairing(
            pairing_id=pairing_id, since=since, until=until
        )
    pairings = await orgs.pairing_ids_of_alliance(alliance_id=alliance_id)
    return await activities.activity_ids_of_alliance(
        alliance_id=alliance_id, pairing_ids=sorted(pairings), since=since, until=until
    )


async def activity_ids_of(post: Post) -> list[int]:
    """The activities whose archive the post may draw photos from."""
    if post.kind == PostKind.DISCLOSURE:
        return []  # a 公示 shows no photos
    if post.kind != PostKind.RECAP:
        return [post.activity_id]
    return await recap_activity_ids(
        pairing_id=post.pairing_id, alliance_id=post.alliance_id, semester=post.semester
    )


async def photos_of_activities(activity_ids: list[int]) -> dict[int, dict]:
    """file id -> photo (id, caption, consent, uploaded_by_id, activity_id) of the archives."""
    photos: dict[int, dict] = {}
    for activity_id in activity_ids:
        record = await archive.publicity_record(activity_id=activity_id)
        for p in record["photos"]:
            photos[p["id"]] = {**p, "activity_id": activity_id}
    return photos


async def photos_of(post: Post) -> dict[int, dict]:
    """Every archive photo the post may show (consented or not, for the reasons)."""
    return await photos_of_activities(await activity_ids_of(post))


async def photo_bytes(
    post: Post, file_id: int, data_dir: Path, *, photos: dict[int, dict] | None = None
) -> tuple[dict, bytes]:
    """One of the post's photos and its bytes; DomainError when it is not one of them.

    `photos`: the post's photos_of() when the caller reads several (asked once, not per photo).
    """
    photo = (photos if photos is not None else await photos_of(post)).get(file_id)
    if photo is None:
        raise DomainError("invalid_photo", "照片不属于本推文所用的活动档案", status=422)
    return await archive.publicity_photo(
        file_id=file_id, activity_id=photo["activity_id"], data_dir=data_dir
    )
