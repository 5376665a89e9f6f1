"""What the record (帮扶记录卡) asks of activities: a locked card keeps its plan and measures.

Activities lies below the archive and never imports it; connect() registers the guard
(the composition root calls it at start-up, server/wiring.py).
"""

from __future__ import annotations

from server.activities import service as activities
from server.archive.service import ensure_record_unlocked


async def guard_plan(activity_id: int) -> None:
    """The plan and measures are part of the card both sides confirmed: locked, they stay."""
    await ensure_record_unlocked(activity_id=activity_id)


def connect() -> None:
    """Register the archive's guard with activities (safe to call again)."""
    activities.guard_record(guard_plan)
