"""Totals of a set of lines, exact in decimals: one function, so both sides, the 公示, the
reports and the summaries print the same figures.

Voided lines count nowhere. "Recorded" is every line that is not void; "confirmed" the
lines the other side confirmed (on their present content); the rest are pending.
"""

from __future__ import annotations

from decimal import Decimal

from server.ledger.bundles import DonationBundle, FundBundle
from server.ledger.models import FundCategory, FundDirection, ItemCategory, ItemOutcome
from server.ledger.money import ZERO, as_text, total


def donation_totals(bundles: list[DonationBundle]) -> dict:
    """Count and estimated value of donations: recorded, confirmed, pending; by category."""
    live = [b for b in bundles if b.state != "void"]
    confirmed = [b for b in live if b.state == "confirmed"]
    by_category: dict[str, list[Decimal]] = {}
    quantities: dict[str, int] = {}
    for bundle in live:
        for item in bundle.items:
            key = str(item.category)
            by_category.setdefault(key, []).append(item.value)
            quantities[key] = quantities.get(key, 0) + item.quantity
    issues = sum(
        1
        for b in confirmed
        for i in b.items
        if i.outcome in (ItemOutcome.SHORT, ItemOutcome.DAMAGED)
    )
    return {
        "count": len(live),
        "value": as_text(total(b.value for b in live)),
        "confirmed_count": len(confirmed),
        "confirmed_value": as_text(total(b.value for b in confirmed)),
        "pending_count": len(live) - len(confirmed),
        "pending_value": as_text(total(b.value for b in live if b.state != "confirmed")),
        "items_with_issues": issues,
        "by_category": [
            {
                "category": c.value,
                "quantity": quantities[c.value],
                "value": as_text(total(by_category[c.value])),
            }
            for c in ItemCategory
            if c.value in by_category
        ],
    }


def _sum(bundles: list[FundBundle], direction: FundDirection) -> Decimal:
    return total(b.row.amount for b in bundles if b.row.direction == direction)


def fund_totals(bundles: list[FundBundle]) -> dict:
    """Money allocated and spent (recorded and confirmed), the balance, and by category."""
    live = [b for b in bundles if b.state != "void"]
    confirmed = [b for b in live if b.state == "confirmed"]
    allocated = _sum(live, FundDirection.ALLOCATED)
    spent = _sum(live, FundDirection.SPENT)
    rows = []
    for category in FundCategory:
        mine = [b for b in live if str(b.row.category) == category.value]
        if not mine:
            continue
        sure = [b for b in mine if b.state == "confirmed"]
        rows.append(
            {
                "category": category.value,
                "allocated": as_text(_sum(mine, FundDirection.ALLOCATED)),
                "spent": as_text(_sum(mine, FundDirection.SPENT)),
                "allocated_confirmed": as_text(_sum(sure, FundDirection.ALLOCATED)),
                "spent_confirmed": as_text(_sum(sure, FundDirection.SPENT)),
            }
        )
    return {
        "count": len(live),
        "allocated": as_text(allocated),
        "spent": as_text(spent),
        "balance": as_text(allocated - spent),
        "allocated_confirmed": as_text(_sum(confirmed, FundDirection.ALLOCATED)),
        "spent_confirmed": as_text(_sum(confirmed, FundDirection.SPENT)),
        "pending_count": len(live) - len(confirmed),
        "by_category": rows,
    }


def figures(donations: list[DonationBundle], funds: list[FundBundle]) -> dict:
    """The compact figures of a unit or scope, for reports, exports and summaries."""
    d, f = donation_totals(donations), fund_totals(funds)
    return {
        "donations": d["count"],
        "donated_value": d["value"],
        "donated_confirmed_value": d["confirmed_value"],
        "allocated": f["allocated"],
        "allocated_confirmed": f["allocated_confirmed"],
        "spent": f["spent"],
        "spent_confirmed": f["spent_confirmed"],
        "pending_lines": d["pending_count"] + f["pending_count"],
    }


EMPTY_FIGURES = figures([], [])
ZERO_TEXT = as_text(ZERO)
