"""Rankings (通报) of alliances and pairings by completion score (see targets.py).

Highest score first; equal scores share a rank (1, 2, 2, 4); units with no tracked
target come last, unranked.
"""

from __future__ import annotations

from server.common.errors import DomainError
from server.common.semester import SemesterCalendar
from server.reports.builders import alliance_reports, pairing_reports
from server.reports.periods import Period
from server.reports.scope import ReportScope

BY = {"alliance": "alliance_id", "pairing": "pairing_id"}


def rank(items: list[dict], id_key: str) -> list[dict]:
    """Items ordered by score, each with its rank (ties share one)."""
    ordered = sorted(items, key=lambda i: (i["score"] is None, -(i["score"] or 0.0), i[id_key]))
    out, previous, rank_no = [], object(), 0
    for n, item in enumerate(ordered, start=1):
        if item["score"] is None:
            rank_no = None
        elif item["score"] != previous:
            rank_no, previous = n, item["score"]
        out.append(
            {
                "rank": rank_no,
                "id": item[id_key],
                "name": item["name"],
                "score": item["score"],
                "targets": {
                    k: {f: m[f] for f in ("label", "done", "target", "rate", "status")}
                    for k, m in item["targets"].items()
                },
                "behind": item["behind"],
            }
        )
    return out


async def rankings(
    *, by: str, period: Period, scope: ReportScope, calendar: SemesterCalendar | None = None
) -> dict:
    """The 通报 table by alliance or by pairing."""
    if by not in BY:
        raise DomainError("invalid_input", "排名对象只能是 alliance（联盟）或 pairing（结对）")
    if by == "pairing":
        items = await pairing_reports(period=period, scope=scope)
    else:
        items = await alliance_reports(period=period, scope=scope, calendar=calendar)
    return {"period": period.label, "by": by, "items": rank(items, BY[by])}
