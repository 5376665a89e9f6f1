"""A small county whose week of 1–7 June 2026 (2026-W23) has known figures, for the summaries.

In the week, at the supported kindergarten of one pairing:
- 送教下乡 (3 June): the presenter gives 3 课时; two teachers check in, a third one's
  check-in is annulled;
- 专题讲座 (5 June): 1.5 课时 presented; one of the two teachers checks in again;
- 家长开放日 (6 June): no teachers' check-ins (family activity);
- a cancelled 送教下乡 (4 June): counts nowhere.
Before the week, a 送教下乡 on 20 May (2 课时). So, seen at the end of the week: 送教课时 5
of 10 (at risk), 专题讲座 1 of 2 (at risk), visits in May and June only (missed). Another
county has a busy week that must never show in the first county's summary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from server.activities.models import ActivityKind, ActivityStatus
from server.notices.models import Notice, NoticeFeedback
from server.orgs.models import Person
from tests.reports.helpers import REPORTS, check_in, cn, held, staff
from tests.support.factories import make_person
from tests.support.world import World, make_world

WEEK = "2026-W23"
#: Monday 8 June 08:00, when the weekly job runs for 1–7 June.
MONDAY_RUN = cn(2026, 6, 8, 8)
#: A week later: the job for 8–14 June.
NEXT_MONDAY_RUN = cn(2026, 6, 15, 8)
#: 3 August 08:00, in the first days of 2026秋: the semester job makes 2026春's summary.
AFTER_SPRING = cn(2026, 8, 3, 8)


@dataclass
class County:
    """The world of the summaries tests and its people."""

    w: World
    other: World
    teachers: list[Person]


async def feedback(kg, stars: int, when: datetime) -> None:
    """A family's rating of an open day at `kg`, given at `when`."""
    notice = await Notice.create(kindergarten=kg, title="家长开放日通知")
    parent = await make_person()
    row = await NoticeFeedback.create(
        notice=notice, kindergarten_id=kg.id, family=f"f{parent.id}", person=parent, stars=stars
    )
    await NoticeFeedback.filter(id=row.id).update(created_at=when)


async def make_county() -> County:
    """The county described in the module docstring."""
    w = await make_world(None, REPORTS)
    t1, t2, t3 = await staff(w.supported, 3)
    send = await held(w.supported, cn(2026, 6, 3), pairing=w.pairing, presenters=[(w.presenter, 3)])
    await check_in(send, t1)
    await check_in(send, t2)
    await check_in(send, t3, annulled=True)
    lecture = await held(
        w.supported,
        cn(2026, 6, 5),
        kind=ActivityKind.LECTURE,
        pairing=w.pairing,
        presenters=[(w.presenter, 1.5)],
    )
    await check_in(lecture, t1)
    await held(w.supported, cn(2026, 6, 6), kind=ActivityKind.OPEN_DAY, pairing=w.pairing)
    await held(
        w.supported,
        cn(2026, 6, 4),
        pairing=w.pairing,
        status=ActivityStatus.CANCELLED,
        presenters=[(w.presenter, 8)],
    )
    await held(w.supported, cn(2026, 5, 20), pairing=w.pairing, presenters=[(w.presenter, 2)])
    await feedback(w.supported, 5, cn(2026, 6, 6, 15))
    await feedback(w.supported, 4, cn(2026, 6, 6, 16))
    await feedback(w.supported, 3, cn(2026, 4, 10, 16))  # this semester, not this week

    other = await make_world(None, REPORTS)
    busy = await held(
        other.supported, cn(2026, 6, 2), pairing=other.pairing, presenters=[(other.presenter, 9)]
    )
    for teacher in await staff(other.supported, 4):
        await check_in(busy, teacher)
    return County(w=w, other=other, teachers=[t1, t2, t3])
