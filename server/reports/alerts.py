"""At-risk alerts: pairings that, at their pace, will miss a target of the semester.

Listed by the API and used by the leaders' summaries; telling the directors goes through
the delivery engine (wired by the caller, not here).
"""

from __future__ import annotations

from datetime import datetime

from server.common.auth import Principal
from server.common.semester import SemesterCalendar
from server.reports.builders import pairing_reports
from server.reports.periods import Period, resolve_period
from server.reports.scope import CITY, ReportScope, scope_of


def _message(item: dict, m: dict) -> str:
    name = item["name"]
    if m["key"] == "monthly_visits" and m.get("months_missed"):
        return f"{name}：本学期已有 {m['months_missed']} 个月无人到被帮扶园指导"
    if m["status"] == "missed":
        return f"{name}：{m['label']}未达标（完成 {m['done']}/{m['target']} {m['unit']}）"
    return (
        f"{name}：{m['label']}已完成 {m['done']}/{m['target']} {m['unit']}，"
        f"按当前进度预计仅 {m['projected']} {m['unit']}，难以完成目标"
    )


async def at_risk(
    *,
    semester: str | None = None,
    scope: ReportScope | None = None,
    principal: Principal | None = None,
    calendar: SemesterCalendar | None = None,
    at: datetime | None = None,
    period: Period | None = None,
) -> list[dict]:
    """Pairings at risk of missing (or having missed) a target of `semester` (default: now).

    Scope: `scope`, else the `principal`'s, else the whole city. Each alert names the
    pairing, its kindergartens (whose directors are to be told) and the target.
    """
    period = period or resolve_period(semester=semester, calendar=calendar, at=at)
    if scope is None:
        scope = await scope_of(principal) if principal is not None else CITY
    alerts = []
    for item in await pairing_reports(period=period, scope=scope):
        for key in item["behind"]:
            m = item["targets"][key]
            alerts.append(
                {
                    "pairing_id": item["pairing_id"],
                    "name": item["name"],
                    "supporting": item["supporting"],
                    "supported": item["supported"],
                    "alliance_id": item["alliance_id"],
                    "region_id": item["region_id"],
                    "period": period.label,
                    "target": key,
                    "label": m["label"],
                    "status": m["status"],
                    "status_label": m["status_label"],
                    "done": m["done"],
                    "goal": m["target"],
                    "projected": m["projected"],
                    "elapsed": round(period.elapsed, 4),
                    "message": _message(item, m),
                }
            )
    alerts.sort(
        key=lambda a: (a["status"] != "missed", a["done"] / (a["goal"] or 1), a["pairing_id"])
    )
    return alerts
