"""Activity jobs: fan out recorded events, send the day-before and hour-before reminders."""

from __future__ import annotations

from datetime import datetime

from server.activities import notify
from server.jobs.registry import job


@job(notify.DELIVER_JOB, cron=("* * * * *",))
async def deliver_events() -> dict:
    """Fan out every unprocessed activity event (kicked after each change; cron as a net)."""
    return await notify.deliver_pending_events()


@job(notify.REMIND_JOB, cron=("*/5 * * * *",))
async def send_reminders(*, at: datetime | None = None) -> dict:
    """Remind those expected a day and an hour before the start; once per start time."""
    return await notify.send_due_reminders(at=at)
