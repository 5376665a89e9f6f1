"""At-risk alerts: pairings that, at their pace, will miss a target of the semester they
can still meet (a target already missed is no alert; the pages show it as 未达标).

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
from server.reports.targets import STATUS_LABELS


def _alerting(m: dict) -> bool:
    """A target still within reach and at risk: behind its pace, or this month unvisited.

    A target already missed (the window over, a month gone by) is shown as 未达标 on the
    pages and in the summaries' progress, but is no alert: nothing can be done about it.
    """
    return m["status"] == "at_risk" or bool(m.get("month_at_risk"))


def _message(item: dict, m: dict) -> str:
    name = item["name"]
    if m["key"] == "monthly_visits":
        earlier = m.get("months_missed")
        tail = f"（本学期此前已有 {earlier} 个月无人到园）" if earlier else ""
        return f"{name}：本月已过半，尚无人到被帮扶园指导{tail}"
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
        for key, m in item["targets"].items():
            if not _alerting(m):
                continue
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
                    "status": "at_risk",
                    "status_label": STATUS_LABELS["at_risk"],
                    "done": m["done"],
                    "goal": m["target"],
                    "projected": m["projected"],
                    "elapsed": round(period.elapsed, 4),
                    "message": _message(item, m),
                }
            )
    alerts.sort(key=lambda a: (a["done"] / (a["goal"] or 1), a["pairing_id"]))
    return alerts
