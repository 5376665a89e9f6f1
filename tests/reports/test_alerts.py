"""At-risk alerts: at its pace, will the pairing miss a target before the semester ends?"""

from __future__ import annotations

from server.reports.alerts import at_risk
from server.reports.scope import build_scope
from tests.reports.helpers import NO_SHADOW_OR_TRAINING, REPORTS, SPRING, cn, held
from tests.support.world import make_world

THREE_WEEKS_LEFT = cn(2026, 7, 10)  # 2026春 ends on 31 July


async def test_four_of_ten_hours_with_three_weeks_left_is_at_risk(api):
    w = await make_world(
        None,
        REPORTS,
        targets={"visit_every_month": False, "lectures_per_semester": 0, **NO_SHADOW_OR_TRAINING},
    )
    await held(w.supported, cn(2026, 3, 3), pairing=w.pairing, presenters=[(w.presenter, 4)])
    (alert,) = await at_risk(semester=SPRING, at=THREE_WEEKS_LEFT)
    assert alert["pairing_id"] == w.pairing.id and alert["target"] == "send_hours"
    assert alert["status"] == "at_risk" and alert["done"] == 4 and alert["goal"] == 10
    assert alert["projected"] < 10
    assert alert["supported"]["id"] == w.supported.id  # whose director is to be told
    assert "预计" in alert["message"] and "送教课时" in alert["message"]


async def test_a_pairing_on_pace_raises_no_alert(api):
    w = await make_world(
        None,
        REPORTS,
        targets={"visit_every_month": False, "lectures_per_semester": 0, **NO_SHADOW_OR_TRAINING},
    )
    await held(w.supported, cn(2026, 3, 3), pairing=w.pairing, presenters=[(w.presenter, 9)])
    # 9 done with 88 % of the semester gone: 10.2 projected.
    assert await at_risk(semester=SPRING, at=THREE_WEEKS_LEFT) == []


async def test_nothing_is_news_in_the_first_weeks(api):
    await make_world(None, REPORTS, targets={"visit_every_month": False, **NO_SHADOW_OR_TRAINING})
    assert await at_risk(semester=SPRING, at=cn(2026, 2, 20)) == []


async def test_a_missed_month_or_a_finished_semester_is_no_alert(api):
    w = await make_world(
        None, REPORTS, targets={"lectures_per_semester": 0, **NO_SHADOW_OR_TRAINING}
    )
    await held(w.supported, cn(2026, 2, 10), pairing=w.pairing, presenters=[(w.presenter, 10)])
    # March passed without a visit: certain, shown as missed, but nothing can be done about
    # it any more, and April has only begun.
    assert await at_risk(semester=SPRING, at=cn(2026, 4, 2)) == []
    # Past mid-April with no visit: April can still be saved.
    (alert,) = await at_risk(semester=SPRING, at=cn(2026, 4, 20))
    assert alert["target"] == "monthly_visits" and alert["status"] == "at_risk"
    assert "此前已有 1 个月" in alert["message"]
    assert await at_risk(semester=SPRING, at=cn(2026, 9, 1)) == []


async def test_alerts_stay_within_the_scope(api):
    w = await make_world(
        None,
        REPORTS,
        targets={"visit_every_month": False, "lectures_per_semester": 0, **NO_SHADOW_OR_TRAINING},
    )
    other = await make_world(
        None,
        REPORTS,
        targets={"visit_every_month": False, "lectures_per_semester": 0, **NO_SHADOW_OR_TRAINING},
    )
    scope = await build_scope(region_ids={w.region.id})
    alerts = await at_risk(semester=SPRING, scope=scope, at=THREE_WEEKS_LEFT)
    assert {a["pairing_id"] for a in alerts} == {w.pairing.id}
    everywhere = await at_risk(semester=SPRING, at=THREE_WEEKS_LEFT)
    assert {a["pairing_id"] for a in everywhere} == {w.pairing.id, other.pairing.id}
