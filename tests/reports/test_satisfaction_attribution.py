"""家长满意度 (and the families who came) of an open day belong to the pairing of that
activity, not to every pairing of the host kindergarten; a notice of no activity counts
for no pairing."""

from __future__ import annotations

from server.activities.models import ActivityKind, ActivityStatus
from server.common.time import now
from server.notices.models import Notice, NoticeFeedback
from server.reports import builders
from server.reports.periods import resolve_period
from server.reports.scope import CITY
from tests.reports.helpers import REPORTS, REPORTS_CYCLE, check_in, held
from tests.support.factories import make_kindergarten, make_person
from tests.support.world import make_pairing, make_world


async def _rate(notice: Notice, kindergarten_id: int, *stars: int) -> None:
    for n, value in enumerate(stars):
        await NoticeFeedback.create(
            notice=notice,
            kindergarten_id=kindergarten_id,
            family=f"f{notice.id}-{n}",
            person=await make_person(),
            stars=value,
        )


async def test_open_day_rating_lands_on_its_own_pairing_only(api):
    w = await make_world(None, REPORTS)
    # The village kindergarten is supported by a second county kindergarten as well.
    other_supporting = await make_kindergarten(w.region)
    other = await make_pairing(other_supporting, w.supported, cycle=REPORTS_CYCLE)
    open_day = await held(
        w.supported,
        now(),
        kind=ActivityKind.OPEN_DAY,
        pairing=w.pairing,
        status=ActivityStatus.FINISHED,
    )
    for adults in (1, 2):  # two families came: 3 adults, 2 children
        await check_in(open_day, await make_person(), adults=adults, children=1)
    linked = await Notice.create(kindergarten=w.supported, title="家长开放日", activity=open_day)
    await _rate(linked, w.supported.id, 5, 4, 3)
    unlinked = await Notice.create(kindergarten=w.supported, title="园所通知")
    await _rate(unlinked, w.supported.id, 1)

    period = resolve_period()
    items = {i["pairing_id"]: i for i in await builders.pairing_reports(period=period, scope=CITY)}
    # Hand count: the linked notice's three ratings (5, 4, 3) and nothing else.
    own = items[w.pairing.id]["figures"]["families"]
    assert own["satisfaction"] == 4.0 and own["satisfaction_count"] == 3
    assert own["families_checked_in"] == 2 and own["adults"] == 3 and own["children"] == 2
    unrelated = items[other.id]["figures"]["families"]
    assert unrelated["satisfaction"] is None and unrelated["satisfaction_count"] == 0
    assert unrelated["families_checked_in"] == 0 and unrelated["adults"] == 0
    # The kindergarten itself still shows every rating its families gave (5, 4, 3, 1).
    (kg,) = [
        i
        for i in await builders.kindergarten_reports(period=period, scope=CITY)
        if i["kindergarten_id"] == w.supported.id
    ]
    assert kg["figures"]["families"]["satisfaction_count"] == 4
    assert kg["figures"]["families"]["satisfaction"] == 3.25
