"""Data builders for the targets engine: its world's setting, held activities, presenters,
check-ins."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from server.activities.models import (
    ActivityInvitee,
    ActivityKind,
    ActivityStatus,
    AudienceMode,
    Presenter,
)
from server.checkin.models import Checkin, CheckinMethod
from server.common.time import CHINA
from server.orgs.models import Kindergarten, Pairing, Person, Teacher
from server.reports.periods import semester_period
from tests.support.factories import make_activity, make_person
from tests.support.world import Setting

SPRING = "2026春"  # 2026-02-01 … 2026-07-31
#: Targets off for tests about the other targets (跟岗学习 and 集中培训 are measured too).
NO_SHADOW_OR_TRAINING = {"shadow_teachers_per_semester": 0, "trainings_per_year": 0}
#: The reports' pairing cycle: two school years, 2025-08 – 2027-07.
REPORTS_CYCLE = (date(2025, 8, 1), date(2027, 7, 31))
#: The smallest useful world for the targets engine: one alliance led by the supporting
#: kindergarten, the pairing under it, and a 骨干教师 of the supporting one presenting.
REPORTS = Setting(alliance=True, key_presenter=True, cycle=REPORTS_CYCLE)


def cn(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    """A moment in China time."""
    return datetime(year, month, day, hour, minute, tzinfo=CHINA)


def spring(at: datetime | None = None):
    """The spring 2026 semester, seen at `at` (default: long after it ended)."""
    return semester_period(SPRING, at=at or cn(2026, 11, 1))


async def held(
    host: Kindergarten,
    when: datetime,
    *,
    kind: ActivityKind = ActivityKind.SEND_TO_COUNTRYSIDE,
    pairing: Pairing | None = None,
    alliance=None,
    status: ActivityStatus = ActivityStatus.FINISHED,
    presenters: list[tuple[Person, float]] = (),
    audience: list[Kindergarten] | None = None,
    audience_mode: AudienceMode = AudienceMode.KINDERGARTENS,
    invitees: list[Person] = (),
):
    """An activity at `host` starting at `when` (two hours long), finished by default."""
    activity = await make_activity(
        host,
        kind=kind,
        pairing=pairing,
        alliance=alliance,
        status=status,
        starts_at=when,
        audience=[host] if audience is None else audience,
        audience_mode=audience_mode,
    )
    for person, hours in presenters:
        await Presenter.create(activity=activity, person=person, hours=hours)
    for person in invitees:
        await ActivityInvitee.create(activity=activity, person=person)
    return activity


async def check_in(activity, person: Person, *, annulled: bool = False, **extra) -> Checkin:
    """A check-in (annulled on request)."""
    return await Checkin.create(
        activity=activity,
        person=person,
        method=CheckinMethod.STATIC,
        scanned_at=activity.starts_at + timedelta(minutes=1),
        annulled_at=activity.starts_at + timedelta(hours=1) if annulled else None,
        annul_reason="误签" if annulled else "",
        **extra,
    )


async def staff(kg: Kindergarten, n: int = 1, *, key: bool = False) -> list[Person]:
    """`n` active teachers of `kg` (骨干教师 if `key`)."""
    people = []
    for _ in range(n):
        person = await make_person()
        await Teacher.create(person=person, kindergarten=kg, is_key_teacher=key)
        people.append(person)
    return people
