"""Semester months: August (summer holiday) asks for no visit, a month counts once it has
begun inside the semester and the pairing's cycle, and alerts are only for targets still
within reach (issue 16, item 12)."""

from __future__ import annotations

from datetime import date

from server.activities.models import Activity
from server.orgs.models import Pairing
from server.reports import builders
from server.reports.alerts import at_risk
from server.reports.periods import semester_period
from server.reports.scope import CITY
from tests.reports.helpers import NO_SHADOW_OR_TRAINING, REPORTS, cn, held
from tests.support.world import make_world

AUTUMN = "2026秋"  # 2026-08-01 … 2027-01-31; August is the summer holiday
TEACHING = [(2026, 9), (2026, 10), (2026, 11), (2026, 12), (2027, 1)]


async def report(at, pairing_id):
    period = semester_period(AUTUMN, at=at)
    (item,) = await builders.pairing_reports(period=period, scope=CITY, pairing_id=pairing_id)
    return item


async def visited_months(pairing_id: int, supported_id: int, before) -> set[tuple[int, int]]:
    """Independent count: months (China time) of the pairing's activities at the supported
    kindergarten, read from the raw rows."""
    rows = await Activity.filter(pairing_id=pairing_id, host_id=supported_id).values("starts_at")
    out = set()
    for r in rows:
        moment = r["starts_at"].astimezone(cn(2026, 1, 1).tzinfo)
        if moment < before:
            out.add((moment.year, moment.month))
    return out


async def test_the_first_days_of_autumn_raise_no_alert(api):
    w = await make_world(None, REPORTS, targets=NO_SHADOW_OR_TRAINING)
    for day in (1, 3, 7):
        assert await at_risk(semester=AUTUMN, at=cn(2026, 9, day, 10)) == [], day
    item = await report(cn(2026, 9, 3), w.pairing.id)
    visits = item["targets"]["monthly_visits"]
    # Sep–Jan: the teaching months, counted independently of the code under test.
    assert visits["target"] == len(TEACHING) == 5
    assert visits["months_missed"] == 0 and visits["status"] == "on_track"
    assert item["behind"] == []


async def test_a_month_is_not_news_before_half_of_it_went_by(api):
    w = await make_world(
        None,
        REPORTS,
        targets={"send_hours_per_semester": 0, "lectures_per_semester": 0, **NO_SHADOW_OR_TRAINING},
    )
    await held(w.supported, cn(2026, 9, 10), pairing=w.pairing)
    # 10 October: October begun, not visited yet, but not half gone: no alert.
    assert await at_risk(semester=AUTUMN, at=cn(2026, 10, 10)) == []
    (alert,) = await at_risk(semester=AUTUMN, at=cn(2026, 10, 20))
    assert alert["target"] == "monthly_visits" and alert["status"] == "at_risk"
    assert "本月已过半" in alert["message"] and "此前" not in alert["message"]


async def test_mid_semester_without_a_visit_alerts_and_counts_missed_months(api):
    w = await make_world(None, REPORTS, targets=NO_SHADOW_OR_TRAINING)
    await held(w.supported, cn(2026, 10, 15), pairing=w.pairing, presenters=[(w.presenter, 2)])
    # A 跟岗学习 at the supporting kindergarten is no visit to the supported one.
    await held(w.supporting, cn(2026, 9, 15), pairing=w.pairing)
    at = cn(2026, 11, 20)
    alerts = {a["target"]: a for a in await at_risk(semester=AUTUMN, at=at)}
    assert set(alerts) == {"send_hours", "lectures", "monthly_visits"}
    assert all(a["status"] == "at_risk" for a in alerts.values())
    seen = await visited_months(w.pairing.id, w.supported.id, cn(2026, 11, 1, 0))
    missed = [m for m in TEACHING if m < (2026, 11) and m not in seen]
    assert missed == [(2026, 9)]
    assert f"此前已有 {len(missed)} 个月" in alerts["monthly_visits"]["message"]
    visits = (await report(at, w.pairing.id))["targets"]["monthly_visits"]
    assert visits["months_missed"] == len(missed) and visits["status"] == "missed"
    assert visits["done"] == len(seen) == 1


async def test_a_missed_month_is_shown_but_no_alert_once_the_month_is_visited(api):
    w = await make_world(
        None,
        REPORTS,
        targets={"send_hours_per_semester": 0, "lectures_per_semester": 0, **NO_SHADOW_OR_TRAINING},
    )
    await held(w.supported, cn(2026, 10, 5), pairing=w.pairing)
    await held(w.supported, cn(2026, 11, 5), pairing=w.pairing)
    at = cn(2026, 11, 25)
    assert await at_risk(semester=AUTUMN, at=at) == []  # September is gone: nothing to do
    item = await report(at, w.pairing.id)
    assert item["targets"]["monthly_visits"]["status"] == "missed"
    assert item["behind"] == ["monthly_visits"]


async def test_months_before_the_pairing_cycle_do_not_count(api):
    w = await make_world(None, REPORTS, targets=NO_SHADOW_OR_TRAINING)
    await Pairing.filter(id=w.pairing.id).update(cycle_start=date(2026, 12, 1))
    # Its first week: nothing done yet, nothing missed yet, pace not judged yet.
    assert await at_risk(semester=AUTUMN, at=cn(2026, 12, 6)) == []
    visits = (await report(cn(2026, 12, 6), w.pairing.id))["targets"]["monthly_visits"]
    assert visits["target"] == len([m for m in TEACHING if m >= (2026, 12)]) == 2
    assert visits["months_missed"] == 0


async def test_a_pairing_signed_for_this_autumn_has_no_alert_in_its_first_days(api):
    w = await make_world(None, REPORTS)  # every default target, the yearly 集中培训 included
    await Pairing.filter(id=w.pairing.id).update(cycle_start=date(2026, 9, 1))
    for day in (1, 4, 7):
        assert await at_risk(semester=AUTUMN, at=cn(2026, 9, day, 18)) == [], day
