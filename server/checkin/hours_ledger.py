"""The hours ledger read line by line, for documents that print it (the 学时证明)."""

from __future__ import annotations

from collections.abc import Iterable

from server.checkin.models import HoursEntry
from server.common.time import china


async def ledger_lines(*, person_id: int, semesters: Iterable[str]) -> list[dict]:
    """A person's credited 课时 in the semesters, oldest activity first, one line per role.

    Each line: activity_id, title, kind, date (China time, ISO), host (kindergarten name),
    role (presenter or attendee) and hours.
    """
    rows = (
        await HoursEntry.filter(person_id=person_id, semester__in=list(semesters))
        .order_by("activity__starts_at", "activity_id", "role")
        .values(
            "activity_id",
            "activity__title",
            "activity__kind",
            "activity__starts_at",
            "activity__host__name",
            "role",
            "hours",
        )
    )
    return [
        {
            "activity_id": r["activity_id"],
            "title": r["activity__title"],
            "kind": str(getattr(r["activity__kind"], "value", r["activity__kind"])),
            "date": china(r["activity__starts_at"]).date().isoformat(),
            "host": r["activity__host__name"],
            "role": str(getattr(r["role"], "value", r["role"])),
            "hours": float(r["hours"]),
        }
        for r in rows
    ]
