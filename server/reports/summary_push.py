"""Make the summaries of a period and push them: leaders, WeCom groups, pairing directors.

Exactly once however often it runs, on however many workers: the summary row is unique
per (kind, period, scope); each leader's message is keyed per summary (one delivery per
key and person); each group's per summary and group; each directors' alert per pairing
and period. The delivery engine picks the channels (subscribe message, 公众号 template,
inbox) and retries.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from server.accounts.grants import holders
from server.common.errors import DomainError
from server.common.miniprogram_pages import PAIRING, SUMMARY
from server.common.runtime import current
from server.common.semester import SemesterCalendar, semester_of, semester_range
from server.common.time import china, now
from server.delivery.service import notify, notify_group
from server.jobs import failures
from server.reports import summary_render
from server.reports.alerts import at_risk
from server.reports.models import Summary
from server.reports.summary_store import (
    KINDS,
    SummaryScope,
    ensure_summary,
    last_week,
    periods_of,
    scope_name,
)

log = logging.getLogger("songjiao.reports")
#: The failure records' job name of summaries that could not be made (server.jobs.failures).
SUMMARY_JOB = "reports.summaries"


def summary_key(summary: Summary, group: str | None = None) -> str:
    """The delivery key of a summary (to leaders, or to one group)."""
    base = f"summary:{summary.kind}:{summary.period}:{summary.scope_kind}:{summary.scope_id}"
    return base if group is None else f"{base}:group:{group}"


def summary_page(summary: Summary) -> str:
    """The mini-program page that shows a summary."""
    return SUMMARY.link(id=summary.id)


async def _leaders() -> dict[SummaryScope, list[int]]:
    found: dict[SummaryScope, list[int]] = defaultdict(list)
    for person_id, grant in await holders(role="leader", scope_kinds=("region", "alliance")):
        found[SummaryScope(grant.scope_kind, grant.scope_id)].append(person_id)
    return found


def _groups() -> dict[str, SummaryScope]:
    groups = {}
    for group, scope in current().settings.summary_groups.items():
        try:
            groups[group] = SummaryScope.parse(scope)
        except DomainError:  # a bad config line must not stop the other groups
            log.warning("summary group %s has an invalid scope", group)
    return groups


async def push_to_leaders(*, summary: Summary, person_ids: list[int]) -> int:
    """Tell the scope's leaders (once per leader and summary); how many were new."""
    data = summary.data
    generated = china(summary.generated_at)
    alerts = data["alerts"]["count"]
    note = f"活动{data['happened']['activities']}场，预警{alerts}条"
    result = await notify(
        person_ids=person_ids,
        kind="summary",
        key=summary_key(summary),
        title=f"{data['kind_label']}：{data['scope']['name']}",
        body="\n".join(summary_render.text_lines(data)),
        fields={"title": data["kind_label"], "time": generated.isoformat(), "note": note},
        page=summary_page(summary),
    )
    return result.created


async def push_to_group(*, summary: Summary, group: str) -> bool:
    """Post the markdown and the chart to a WeCom group (once per group and summary)."""
    return await notify_group(
        group=group,
        kind="summary",
        key=summary_key(summary, group),
        markdown=summary_render.markdown(summary.data),
        image_png=summary_render.chart_png(summary.data),
    )


async def alert_directors(
    *, kind: str, period: str, calendar: SemesterCalendar | None = None
) -> int:
    """Tell the directors of both kindergartens of every at-risk pairing, once per period."""
    _, semester = periods_of(kind, period, calendar)
    by_pairing: dict[int, list[dict]] = defaultdict(list)
    for alert in await at_risk(period=semester):
        by_pairing[alert["pairing_id"]].append(alert)
    if not by_pairing:
        return 0
    sides = {
        pid: {alerts[0]["supporting"]["id"], alerts[0]["supported"]["id"]}
        for pid, alerts in by_pairing.items()
    }
    directors: dict[int, set[int]] = defaultdict(set)
    every_side = set().union(*sides.values())
    for person_id, grant in await holders(
        role="director", scope_kinds=("kindergarten",), scope_ids=every_side
    ):
        directors[grant.scope_id].add(person_id)
    created = 0
    for pid, alerts in sorted(by_pairing.items()):
        people = set().union(*(directors[k] for k in sides[pid]))
        if not people:
            continue
        note = f"{len(alerts)}项目标落后"
        result = await notify(
            person_ids=people,
            kind="alert",
            key=f"alert:{pid}:{period}",
            title=f"帮扶进度预警：{alerts[0]['name']}",
            body="\n".join(a["message"] for a in alerts),
            fields={"title": "帮扶进度预警", "note": note},
            page=PAIRING.link(id=pid, semester=semester.label),
        )
        created += result.created
    return created


async def make_and_push(
    *, kind: str, period: str, calendar: SemesterCalendar | None = None
) -> dict:
    """Make every leader's and group's summary of the period and push each once."""
    leaders = await _leaders()
    groups = _groups()
    scopes = set(leaders) | set(groups.values())
    made: dict[SummaryScope, Summary] = {}
    failed = 0
    for scope in sorted(scopes, key=lambda s: (s.kind, s.id)):
        item = failure_item(kind=kind, period=period, scope=scope)
        try:
            made[scope] = await ensure_summary(
                kind=kind, period=period, scope=scope, calendar=calendar
            )
        except Exception as exc:  # one broken scope must not keep the others' summaries back
            log.exception("summary of %s %s failed", scope.key, period)
            failed += 1
            # Recorded, counted in /metrics and shown on the console's reports page.
            name = await _name_of(scope)
            await failures.record_failure(
                job=SUMMARY_JOB,
                item=item,
                reason=f"{KINDS[kind]} {period}（{name}）未能生成：{failures.reason_of(exc)}",
            )
        else:
            await failures.clear_failure(job=SUMMARY_JOB, item=item)
    told = 0
    for scope, people in leaders.items():
        if scope in made:
            told += await push_to_leaders(summary=made[scope], person_ids=people)
    posted = 0
    for group, scope in groups.items():
        if scope in made and await push_to_group(summary=made[scope], group=group):
            posted += 1
        elif scope in made:
            log.warning("summary group %s has no WeCom robot configured", group)
    directors = await alert_directors(kind=kind, period=period, calendar=calendar)
    return {
        "period": period,
        "summaries": len(made),
        "leaders_told": told,
        "groups": posted,
        "directors_alerted": directors,
        "failed": failed,
    }


def failure_item(*, kind: str, period: str, scope: SummaryScope) -> str:
    """The failure record's item of one scope's summary of a period."""
    return f"{kind}:{period}:{scope.key}"


async def _name_of(scope: SummaryScope) -> str:
    try:
        return await scope_name(scope)
    except Exception:  # the scope itself may be what broke
        return scope.key


async def failed_summaries() -> list[dict]:
    """Summaries that could not be made (and not made since): scope, kind, period, reason."""
    rows = []
    for failure in await failures.failing(job=SUMMARY_JOB):
        kind, period, scope = failure["item"].split(":", 2)
        rows.append(
            {
                "kind": kind,
                "period": period,
                "scope": SummaryScope.parse(scope),
                "reason": failure["reason"],
                "attempts": failure["attempts"],
            }
        )
    return rows


def default_period(kind: str, at: datetime, calendar: SemesterCalendar | None = None) -> str:
    """The newest period of `kind` that is over at `at`: last week, or the last semester."""
    if kind == "weekly":
        return last_week(at).label
    first, _ = semester_range(semester_of(at, calendar), calendar)
    return semester_of(first - timedelta(days=1), calendar)


async def run_now(
    *,
    kind: str,
    period: str | None = None,
    calendar: SemesterCalendar | None = None,
    at: datetime | None = None,
) -> dict:
    """Make and push the summaries of one period now, as the cron job would (an admin's
    「立即生成」 or `songjiao summary`): safe to run again, each leader is told once.

    Only a period that is over: a summary is stored once and counted as of its period's
    end, so one made mid-period would stand in for the real one.
    """
    if kind not in KINDS:
        raise DomainError("invalid_input", "简报类型只能是 weekly（周报）或 semester（学期总结）")
    at = at or now()
    period = (period or "").strip() or default_period(kind, at, calendar)
    window, _ = periods_of(kind, period, calendar)
    if at < window.until:
        raise DomainError("period_not_over", f"{period} 尚未结束，结束后才能生成{KINDS[kind]}")
    result = await make_and_push(kind=kind, period=period, calendar=calendar)
    return {**result, "kind": kind, "kind_label": KINDS[kind]}
