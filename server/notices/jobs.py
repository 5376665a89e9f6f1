"""Notice jobs: scheduled publishing, automatic reminders, feedback requests.

Each takes an optional `at` so tests (and a catch-up run) can say what time it is; each
is safe to run twice.
"""

from __future__ import annotations

from datetime import datetime

from server.common.runtime import current
from server.common.time import now
from server.jobs.registry import job
from server.notices import feedback, reminders, service


@job("notices.publish_due", cron=("* * * * *",))
async def publish_due_notices(*, at: datetime | None = None) -> dict:
    """Publish scheduled notices whose time came; retry interrupted announcements."""
    return await service.publish_due(at=at or now())


@job("notices.remind_due", cron=("* * * * *",))
async def remind_due_notices(
    *, at: datetime | None = None, offsets_hours: list[int] | None = None
) -> dict:
    """Remind non-responders at the configured hours before each deadline."""
    if offsets_hours is None:
        offsets_hours = list(current().settings.notice_reminder_hours)
    return await reminders.remind_due(at=at or now(), offsets_hours=offsets_hours)


@job("notices.request_feedback", cron=("*/5 * * * *",))
async def request_feedback(*, at: datetime | None = None) -> dict:
    """Ask families who attended a finished open day for their rating."""
    return await feedback.request_due(at=at or now())
