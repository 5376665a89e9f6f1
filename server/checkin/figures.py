"""The public and official figures of one activity, each defined once.

Every figure printed about an activity (the post, the 简报, the sign-in sheet, the record
card's export) comes from here, so "应到 = 实到 + 未到" always holds and a post never
counts the organizer or a stranger among the host's teachers. Tests check each figure
against an independent count of the same rows (raw SQL or a hand count).

The people of an activity fall into three groups that never overlap:
- presenters (授课教师): listed with their lessons, never as absent;
- the expected audience (应到): invitees and the audience kindergartens' staff (or, for
  family activities, guardians), presenters left out;
- others who checked in (非应到人员): the organizer, a visitor; kept on the sheet, not
  counted as participants.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.activities import service as activities
from server.checkin.models import Checkin
from server.common.errors import NotFound


@dataclass(frozen=True)
class ActivityFigures:
    """The rows behind the figures; each property is one figure."""

    family: bool
    presenter_hours: dict[int, float]
    expected_ids: frozenset[int]
    present_ids: frozenset[int]
    headcounts: dict[int, tuple[int, int]]  #: person -> (adults, children) of her check-in
    late_ids: frozenset[int] = frozenset()  #: people whose check-in was late

    @property
    def expected(self) -> int:
        """应到: the expected audience (presenters not included)."""
        return len(self.expected_ids)

    @property
    def attended_ids(self) -> frozenset[int]:
        """The expected audience who checked in (a check-in annulled does not count)."""
        return self.expected_ids & self.present_ids

    @property
    def attended(self) -> int:
        """实到, and the "N名教师参加" / "N个家庭参加" of posts and 简报."""
        return len(self.attended_ids)

    @property
    def absent(self) -> int:
        """未到: expected and not checked in; always 应到 − 实到."""
        return len(self.expected_ids - self.present_ids)

    @property
    def late(self) -> int:
        """迟到: the expected audience who checked in after the late mark."""
        return len(self.attended_ids & self.late_ids)

    @property
    def other_ids(self) -> frozenset[int]:
        """Checked in without being expected or presenting (organizer, visitors)."""
        return self.present_ids - self.expected_ids - set(self.presenter_hours)

    @property
    def others(self) -> int:
        """非应到人员 who checked in."""
        return len(self.other_ids)

    @property
    def presenters(self) -> int:
        """ "N位教师授课": people who gave part of the activity."""
        return len(self.presenter_hours)

    @property
    def lesson_hours(self) -> float:
        """ "N课时": the 课时 the presenters gave, together."""
        return float(sum(self.presenter_hours.values()))

    @property
    def children(self) -> int:
        """Children who came with the attending families (family activities)."""
        return sum(self.headcounts.get(p, (0, 0))[1] for p in self.attended_ids)

    @property
    def adults(self) -> int:
        """Adults who came with the attending families (family activities)."""
        return sum(self.headcounts.get(p, (0, 0))[0] for p in self.attended_ids)

    def as_dict(self) -> dict:
        """Every figure by name, for other domains."""
        return {
            "family": self.family,
            "expected": self.expected,
            "attended": self.attended,
            "absent": self.absent,
            "late": self.late,
            "others": self.others,
            "presenters": self.presenters,
            "lesson_hours": self.lesson_hours,
            "adults": self.adults,
            "children": self.children,
        }


def counts_line(figures: ActivityFigures) -> str:
    """The one wording of an activity's counts (sheet, record): 应到 = 实到 + 未到."""
    line = (
        f"应到 {figures.expected} 人，实到 {figures.attended} 人，"
        f"迟到 {figures.late} 人，未到 {figures.absent} 人"
    )
    if figures.presenters:
        line += f"；授课 {figures.presenters} 人"
    if figures.others:
        line += f"；另有 {figures.others} 人签到（非应到人员）"
    return line


async def figures_of(activity: activities.Activity) -> ActivityFigures:
    """Read the rows behind an activity's figures (one query per kind of row)."""
    presenters = {
        p["person_id"]: p["hours"] for p in await activities.presenters_of(activity_id=activity.id)
    }
    expected = await activities.expected_person_ids(activity=activity) - set(presenters)
    rows = await Checkin.filter(activity_id=activity.id, annulled_at__isnull=True).values_list(
        "person_id", "adults", "children", "late"
    )
    return ActivityFigures(
        family=activities.ActivityKind(activity.kind) in activities.FAMILY_KINDS,
        presenter_hours={pid: float(h or 0) for pid, h in presenters.items()},
        expected_ids=frozenset(expected),
        present_ids=frozenset(pid for pid, *_ in rows),
        headcounts={pid: (a or 0, c or 0) for pid, a, c, _ in rows},
        late_ids=frozenset(pid for pid, _, _, late in rows if late),
    )


async def activity_figures(*, activity_id: int) -> dict:
    """For other domains (publicity, archive): every figure of an activity (no scope check)."""
    activity = await activities.find_activity(activity_id=activity_id)
    if activity is None:
        raise NotFound("活动")
    return (await figures_of(activity)).as_dict()


async def teachers_attended(*, activity_ids: list[int]) -> int:
    """ "N名教师参加" over several activities (a semester): distinct people of the expected
    audience who came to any of its non-family activities, as each activity counts them."""
    people: set[int] = set()
    for activity in await activities.activities_by_ids(activity_ids=activity_ids):
        figures = await figures_of(activity)
        if not figures.family:
            people |= figures.attended_ids
    return len(people)
