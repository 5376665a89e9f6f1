"""Targets of DOMAIN.md, how a figure is judged against one, and the completion score.

A metric is ``{key, label, unit, done, target, rate, status, projected, window}``:
`done` against `target` over `window` (a semester, or the year for yearly targets),
`rate` = done / target, `projected` = done / share of the window elapsed (the pace).

Status, in order:
- met (已达标): done >= target;
- missed (未达标): the window is over, or the target can no longer be reached (a month of
  the semester went by without a visit);
- at_risk (进度落后): at least PACE_FROM of the window has gone by and the pace falls
  short: done / elapsed < target (4 of 10 课时 with three weeks left);
- on_track (进度正常): otherwise, including the first weeks when pace means little.

每月到园 has no pace: it is met when every month of the window had a visit, missed as soon
as one month went by without one, on track otherwise.

Score (完成度, for 通报): the mean over a unit's targets of min(1, done / target), against
the whole window's target, so it grows through the semester and is comparable between
units seen at the same moment. A target set to 0 (or false) is not tracked.
"""

from __future__ import annotations

from server.orgs.service import DEFAULT_PAIRING_TARGETS
from server.reports.periods import Period

#: Pace alerts start once this share of the window has gone by (about five weeks of a
#: semester): before that a pairing with nothing done yet is not news.
PACE_FROM = 0.2
#: Alliance targets of DOMAIN.md (alliances carry no editable targets).
ALLIANCE_ACTIVITIES_PER_YEAR = 8
#: 总园每学期至少一次半日活动开放 (measured as 教学观摩 hosted by the lead).
LEAD_OPEN_DAYS_PER_SEMESTER = 1

STATUS_LABELS = {
    "met": "已达标",
    "on_track": "进度正常",
    "at_risk": "进度落后",
    "missed": "未达标",
}
LABELS = {
    "send_hours": ("送教课时", "课时"),
    "lectures": ("专题讲座", "次"),
    "monthly_visits": ("每月到园指导", "个月"),
    "alliance_activities": ("联盟活动", "次"),
    "inspection_coverage": ("成员园视导覆盖", "所"),
    "key_teachers_sending": ("骨干教师送教", "人"),
    "send_hours_received": ("接受送教课时", "课时"),
    "pairings_visiting": ("每月到园的结对", "对"),
    "pairings_on_track": ("进度正常的结对", "对"),
    "alliances_active": ("活动达标的联盟", "个"),
    "inspected": ("本年度接受视导", "次"),
    "shadow_teachers": ("跟岗学习教师", "人"),
    "trainings": ("集中培训", "次"),
    "lead_open_days": ("总园半日开放", "次"),
}

#: Targets of DOMAIN.md the records cannot measure: stored on the pairing, shown with
#: 需手工填报 (a lesson rating or a published paper is not an activity or a check-in).
MANUAL_TARGETS = {
    "excellent_lesson_rate": "教师优课率",
    "qualified_lesson_rate": "教师合格率",
    "papers_per_year": "每年论文发表或获奖",
}
MANUAL_NOTE = "需手工填报，系统不统计"


def manual_targets(targets: dict) -> list[dict]:
    """A pairing's targets that are recorded by hand: label, the goal as text, the note."""
    out = []
    for key, label in MANUAL_TARGETS.items():
        value = targets.get(key)
        if not value:
            continue
        goal = f"{round(float(value) * 100, 2):g}%" if key.endswith("_rate") else f"{value} 篇"
        out.append({"key": key, "label": label, "goal": goal, "note": MANUAL_NOTE})
    return out


def pairing_targets(stored: dict | None) -> dict:
    """A pairing's targets: its stored, edited copy over the defaults of DOMAIN.md."""
    return {**DEFAULT_PAIRING_TARGETS, **(stored or {})}


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def metric(
    key: str,
    *,
    done: float,
    target: float,
    window: Period,
    certain_miss: bool = False,
    pace: bool = True,
    extra: dict | None = None,
) -> dict:
    """Judge `done` against `target` over `window` (see the module docstring).

    Without `pace` (monthly visits: one a month, not a quantity to spread) a target is
    only met, missed (certainly) or on track.
    """
    label, unit = LABELS[key]
    elapsed = window.elapsed
    projected = done / elapsed if elapsed > 0 and pace else None
    if done >= target:
        status = "met"
    elif window.over or certain_miss:
        status = "missed"
    elif elapsed >= PACE_FROM and projected is not None and projected < target:
        status = "at_risk"
    else:
        status = "on_track"
    return {
        "key": key,
        "label": label,
        "unit": unit,
        "done": _round(done, 2),
        "target": target,
        "rate": _round(done / target) if target else None,
        "projected": _round(projected, 2),
        "status": status,
        "status_label": STATUS_LABELS[status],
        "window": window.label,
        **(extra or {}),
    }


def completion(metrics: list[dict]) -> float | None:
    """Mean of min(1, done / target) over metrics with a positive target."""
    parts = [min(1.0, m["done"] / m["target"]) for m in metrics if m and m["target"]]
    return _round(sum(parts) / len(parts)) if parts else None


def behind(metrics: list[dict]) -> list[dict]:
    """The metrics at risk or already missed."""
    return [m for m in metrics if m["status"] in ("at_risk", "missed")]


def ratio(part: float, whole: float) -> float | None:
    """part / whole, or None when there is nothing to divide by."""
    return _round(part / whole) if whole else None
