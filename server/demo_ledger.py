"""Demo books: 实验幼儿园 → 机关幼儿园 this semester, so the demo shows a ledger and its 公示.

A donation of books and toys the 机关幼儿园 director confirmed item by item (one short), a
second one waiting for her; the bureau's allocation (confirmed) and a 送教 bus fare waiting
for its receipt; and one line of the 实验幼儿园发展联盟's own books. Made through the ledger's
services (so audited as any), dated inside the current semester; idempotent: nothing is
added when the demo donation is already there.
"""

from __future__ import annotations

from datetime import date, timedelta

from server.common.auth import Grant, Principal
from server.common.runtime import configured_calendar
from server.common.semester import semester_of, semester_range
from server.common.time import CHINA, now
from server.ledger import donations, funds
from server.ledger.models import Donation
from server.orgs.models import Kindergarten, Pairing, Person

MARK = "演示：随送教活动送达"


def _as(person: Person, role: str, kg: Kindergarten) -> Principal:
    return Principal(
        account_id=0,
        person_id=person.id,
        session_id="demo",
        grants=(Grant(role, "kindergarten", kg.id),),
    )


def _day(days_ago: int) -> date:
    """A day `days_ago` before today, but not before the current semester began."""
    today = now().astimezone(CHINA).date()
    first, _ = semester_range(semester_of(today, configured_calendar()), configured_calendar())
    return max(first, today - timedelta(days=days_ago))


async def load_ledger_demo(
    kgs: dict[str, Kindergarten], staff: dict[tuple[str, int], Person]
) -> bool:
    """Add the demo books once; answers whether anything was added."""
    giver, receiver = kgs["shiyan"], kgs["jiguan"]
    pairing = await Pairing.get_or_none(supporting=giver, supported=receiver)
    if pairing is None or await Donation.exists(pairing_id=pairing.id, note=MARK):
        return False
    organizer = _as(staff[("shiyan", 1)], "organizer", giver)
    director = _as(staff[("jiguan", 0)], "director", receiver)
    gift = await donations.create_donation(
        principal=organizer,
        kind="pairing",
        unit_id=pairing.id,
        donated_on=_day(20),
        note=MARK,
        items=[
            {"category": "图书", "name": "绘本《好饿的毛毛虫》等", "quantity": 120,
             "unit": "册", "value": "2160.00"},
            {"category": "玩具", "name": "木质建构积木", "quantity": 20, "unit": "套",
             "value": "1300.00"},
            {"category": "教具", "name": "数学区操作材料", "quantity": 10, "unit": "盒",
             "value": "489.50"},
        ],
    )  # fmt: skip
    books, blocks, aids = (i["id"] for i in gift["items"])
    await donations.confirm_donation(
        principal=director,
        donation_id=gift["id"],
        outcomes=[
            {"item_id": books, "outcome": "received"},
            {"item_id": blocks, "outcome": "short", "received_quantity": 18,
             "note": "2 套随下次送教补送"},
            {"item_id": aids, "outcome": "received"},
        ],
        content_hash=None,
    )  # fmt: skip
    await donations.create_donation(
        principal=organizer,
        kind="pairing",
        unit_id=pairing.id,
        donated_on=_day(3),
        note="演示：待接收园确认",
        items=[{"category": "设备", "name": "便携式投影仪", "quantity": 1, "unit": "台",
                "value": "2999.00"}],
    )  # fmt: skip
    allocation = await funds.create_fund(
        principal=organizer,
        kind="pairing",
        unit_id=pairing.id,
        direction="allocated",
        occurred_on=_day(30),
        amount="20000.00",
        category="培训",
        purpose="县教育局下拨本学期结对帮扶经费",
    )
    await funds.confirm_fund(principal=director, fund_id=allocation["id"], content_hash=None)
    await funds.create_fund(
        principal=organizer,
        kind="pairing",
        unit_id=pairing.id,
        direction="spent",
        occurred_on=_day(10),
        amount="1280.50",
        category="交通",
        purpose="送教下乡往返租车费（待上传票据）",
    )
    lead = _as(staff[("shiyan", 0)], "director", giver)
    alliance_id = (await Kindergarten.get(id=giver.id)).alliance_id  # set after kgs were read
    if alliance_id is not None:
        await funds.create_fund(
            principal=lead,
            kind="alliance",
            unit_id=alliance_id,
            direction="allocated",
            occurred_on=_day(25),
            amount="5000.00",
            category="教研活动",
            purpose="联盟联合教研活动经费下拨",
            counterpart_id=kgs["sun"].id,
        )
    return True
