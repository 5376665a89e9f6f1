"""Report jobs: the weekly summary (Monday 08:00) and the semester summary (after its end).

Each takes an optional `at` (a datetime or ISO text) so tests and catch-up runs can say
what time it is; each is safe to run twice and on two workers at once.
"""

from __future__ import annotations

from datetime import datetime

from server.common.runtime import current
from server.common.time import CHINA, now
from server.jobs.registry import job
from server.reports import summary_push
from server.reports.summary_store import ended_semester, last_week

#: Days after a semester's end during which the daily run still makes its summary
#: (a scheduler that was down on the first day catches up).
SEMESTER_GRACE_DAYS = 7


def _moment(at: datetime | str | None) -> datetime:
    if at is None:
        return now()
    moment = datetime.fromisoformat(at) if isinstance(at, str) else at
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA)


@job("reports.weekly_summaries", cron=("0 8 * * 1",))
async def send_weekly_summaries(*, at: datetime | str | None = None) -> dict:
    """Make and push last week's summaries (leaders, groups, directors' alerts)."""
    week = last_week(_moment(at))
    calendar = current().settings.semester_calendar
    return await summary_push.make_and_push(kind="weekly", period=week.label, calendar=calendar)


@job("reports.semester_summaries", cron=("0 8 * * *",))
async def send_semester_summaries(*, at: datetime | str | None = None) -> dict:
    """In the first days after a semester ends, make and push its summaries."""
    calendar = current().settings.semester_calendar
    semester = ended_semester(_moment(at), calendar, grace_days=SEMESTER_GRACE_DAYS)
    if semester is None:
        return {"period": None}
    return await summary_push.make_and_push(kind="semester", period=semester, calendar=calendar)
