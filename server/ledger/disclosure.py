"""The 公示 of a unit for a period: donations received (with what arrived) and funds allocated
and spent by category, each line with its confirmation state.

Built from the same lines and the same totals as the ledger page, so the page, the PDF and
the 公众号 post print the ledger's figures. It names no one but the responsible people of
each line (who recorded it, who confirmed it); no photos, no receipts, no phone numbers.
"""

from __future__ import annotations

from decimal import Decimal

from server.common.auth import Principal
from server.common.time import china, now
from server.ledger import periods, units
from server.ledger.book import parties, unit_lines
from server.ledger.bundles import DonationBundle
from server.ledger.locking import STATE_LABELS
from server.ledger.models import DIRECTION_LABELS, FundDirection, ItemOutcome
from server.ledger.money import grouped
from server.ledger.present import donation_state_label, people_names
from server.ledger.totals import donation_totals, fund_totals


def _items_text(bundle: DonationBundle) -> str:
    """图书《…》120 册；玩具 20 套 (and what did not arrive, once confirmed)."""
    parts = []
    for item in bundle.items:
        text = f"{item.category}·{item.name} {item.quantity} {item.unit}"
        if bundle.state == "confirmed" and item.outcome == ItemOutcome.SHORT:
            text += f"（实收 {item.received_quantity} {item.unit}）"
        elif bundle.state == "confirmed" and item.outcome == ItemOutcome.DAMAGED:
            text += "（有损坏）"
        parts.append(text)
    return "；".join(parts)


def _title_lines(unit: units.Unit, period: periods.LedgerPeriod) -> list[str]:
    """The unit's name, then what this is and for when (a title that wraps nowhere odd)."""
    what = "结对帮扶" if unit.kind == "pairing" else ""
    return [unit.name, f"{what}捐赠与经费公示（{period.label}）"]


async def disclosure_data(unit: units.Unit, period: periods.LedgerPeriod) -> dict:
    """Everything the 公示 prints (no scope check: callers check who asks)."""
    donations, funds = await unit_lines(unit, period)
    donations = [d for d in donations if d.state != "void"]
    funds = [f for f in funds if f.state != "void"]
    people = await people_names([*donations, *funds])
    names = unit.names

    def who(person_id: int | None) -> str:
        return people.get(person_id, "") if person_id else ""

    d_totals, f_totals = donation_totals(donations), fund_totals(funds)
    return {
        "title": "".join(_title_lines(unit, period)),
        "title_lines": _title_lines(unit, period),
        "unit": {"kind": unit.kind, "id": unit.id, "name": unit.name, "label": unit.label()},
        "parties": parties(unit),
        "period": {
            "label": period.label,
            "first": period.first.isoformat(),
            "last": period.last.isoformat(),
        },
        "generated_at": china(now()).strftime("%Y-%m-%d %H:%M"),
        "donations": [
            {
                "id": d.row.id,
                "date": d.row.donated_on.isoformat(),
                "donor": names.get(d.row.donor_id, ""),
                "recipient": names.get(d.row.recipient_id, ""),
                "items": _items_text(d),
                "value": grouped(d.value),
                "state": d.state,
                "state_label": donation_state_label(d),
                "recorded_by": who(d.row.recorded_by_id),
                "confirmed_by": who(d.row.confirmed_by_id) if d.state == "confirmed" else "",
            }
            for d in donations
        ],
        "funds": [
            {
                "id": f.row.id,
                "date": f.row.occurred_on.isoformat(),
                "direction": FundDirection(f.row.direction).value,
                "direction_label": DIRECTION_LABELS[FundDirection(f.row.direction)],
                "category": str(f.row.category),
                "purpose": f.row.purpose,
                "recorder": names.get(f.row.recorder_id, ""),
                "counterpart": names.get(f.row.counterpart_id, ""),
                "amount": grouped(f.row.amount),
                "receipts": len(f.receipts),
                "state": f.state,
                "state_label": STATE_LABELS[f.state],
                "recorded_by": who(f.row.recorded_by_id),
                "confirmed_by": who(f.row.confirmed_by_id) if f.state == "confirmed" else "",
            }
            for f in funds
        ],
        "donation_totals": d_totals,
        "fund_totals": f_totals,
        "printed": {
            "donated": grouped(Decimal(d_totals["value"])),
            "donated_confirmed": grouped(Decimal(d_totals["confirmed_value"])),
            "allocated": grouped(Decimal(f_totals["allocated"])),
            "spent": grouped(Decimal(f_totals["spent"])),
            "balance": grouped(Decimal(f_totals["balance"])),
            "allocated_confirmed": grouped(Decimal(f_totals["allocated_confirmed"])),
            "spent_confirmed": grouped(Decimal(f_totals["spent_confirmed"])),
            "categories": [
                {
                    "category": c["category"],
                    "allocated": grouped(Decimal(c["allocated"])),
                    "spent": grouped(Decimal(c["spent"])),
                }
                for c in f_totals["by_category"]
            ],
        },
        "footer": "经费以元为单位，精确到分；“已确认”为对方园长已核对确认的记录。",
    }


async def unit_disclosure(
    *, principal: Principal, kind: str, unit_id: int, semester: str | None, year: str | None
) -> dict:
    """The 公示 of a unit the caller may see, for a semester or a year."""
    unit = await units.visible_unit(principal, kind=kind, unit_id=unit_id)
    period = periods.resolve(semester_name=semester, year_text=year)
    return await disclosure_data(unit, period)
