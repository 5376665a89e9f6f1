"""Short facts about an activity's check-ins for other domains (no scope check)."""

from __future__ import annotations

from server.checkin.models import Checkin


def _valid(activity_id: int):
    return Checkin.filter(activity_id=activity_id, annulled_at__isnull=True)


async def checked_in_ids(*, activity_id: int) -> set[int]:
    """People with a valid (not annulled) check-in."""
    return set(await _valid(activity_id).values_list("person_id", flat=True))


async def checked_in_count(*, activity_id: int) -> int:
    """How many valid (not annulled) check-ins the activity has."""
    return await _valid(activity_id).count()


async def headcounts(*, activity_id: int) -> list[tuple[int | None, int | None]]:
    """(adults, children) of each valid check-in (families say how many came)."""
    return list(await _valid(activity_id).values_list("adults", "children"))
