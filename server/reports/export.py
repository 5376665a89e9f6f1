"""The whole targets table as .xlsx: one sheet per level (结对, 联盟, 幼儿园, 教育局)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from server.common.semester import SemesterCalendar
from server.common.sheets import append_row
from server.reports import ledger_figures
from server.reports.builders import (
    alliance_reports,
    kindergarten_reports,
    pairing_reports,
)
from server.reports.periods import Period
from server.reports.rankings import rank
from server.reports.regions import region_reports
from server.reports.scope import ReportScope

PERCENT = "0.0%"
HOURS = "0.0"
Column = tuple[str, int, Callable[[dict], object], str | None]


def _done(key: str) -> Callable[[dict], object]:
    return lambda i: (i["targets"].get(key) or {}).get("done")


def _goal(key: str) -> Callable[[dict], object]:
    return lambda i: (i["targets"].get(key) or {}).get("target")


def _rate(key: str) -> Callable[[dict], object]:
    return lambda i: (i["targets"].get(key) or {}).get("rate")


def _fig(key: str) -> Callable[[dict], object]:
    return lambda i: i["figures"].get(key)


def _family(key: str) -> Callable[[dict], object]:
    return lambda i: (i["figures"].get("families") or {}).get(key)


def _ledger(key: str) -> Callable[[dict], object]:
    # Decimal text to the fen ("1280.50"): written as a text cell like every string here.
    return lambda i: (i.get("ledger") or {}).get(key)


LEDGER_COLUMNS: list[Column] = [
    (title, 16, _ledger(key), None) for key, title in ledger_figures.COLUMNS
]


def _behind(item: dict) -> str:
    return "、".join(item["targets"][k]["label"] for k in item["behind"])


def _pair(key: str, label: str, fmt: str | None = None) -> list[Column]:
    return [(f"{label}（完成）", 12, _done(key), fmt), (f"{label}（目标）", 12, _goal(key), fmt)]


COMMON_TAIL: list[Column] = [
    ("受益教师（人）", 14, _fig("teachers_reached"), None),
    ("签到人次", 10, _fig("checked_in"), None),
    ("应到人次", 10, _fig("expected"), None),
    ("出勤率", 10, _fig("attendance_rate"), PERCENT),
    ("完成度", 10, lambda i: i["score"], PERCENT),
    ("落后或未达标指标", 30, _behind, None),
]

PAIRING_COLUMNS: list[Column] = [
    ("排名", 6, lambda i: i.get("rank"), None),
    ("帮扶园", 24, lambda i: i["supporting"]["name"], None),
    ("被帮扶园", 24, lambda i: i["supported"]["name"], None),
    *_pair("send_hours", "送教课时", HOURS),
    *_pair("lectures", "专题讲座"),
    *_pair("monthly_visits", "到园月数"),
    *_pair("shadow_teachers", "跟岗学习教师"),
    *_pair("trainings", "集中培训（全年）"),
    ("需手工填报的指标", 24, lambda i: "、".join(m["label"] for m in i.get("manual", [])), None),
    *COMMON_TAIL,
    *LEDGER_COLUMNS,
]
ALLIANCE_COLUMNS: list[Column] = [
    ("排名", 6, lambda i: i.get("rank"), None),
    ("联盟", 24, lambda i: i["name"], None),
    ("成员园数", 10, _fig("members"), None),
    *_pair("alliance_activities", "全年活动"),
    *_pair("lead_open_days", "总园半日开放"),
    *_pair("inspection_coverage", "视导覆盖园数"),
    ("视导覆盖率", 12, _rate("inspection_coverage"), PERCENT),
    *_pair("key_teachers_sending", "骨干教师送教人数"),
    ("骨干教师送教比例", 16, _rate("key_teachers_sending"), PERCENT),
    ("结对数", 8, _fig("pairings"), None),
    ("进度正常的结对", 14, _fig("pairings_on_track"), None),
    *COMMON_TAIL,
    *LEDGER_COLUMNS,
]
KINDERGARTEN_COLUMNS: list[Column] = [
    ("幼儿园", 24, lambda i: i["name"], None),
    ("级别", 14, lambda i: i["level"], None),
    *_pair("send_hours", "送教课时", HOURS),
    *_pair("lectures", "专题讲座"),
    *_pair("send_hours_received", "接受送教课时", HOURS),
    *_pair("key_teachers_sending", "骨干教师送教人数"),
    ("本年视导次数", 12, _fig("inspections"), None),
    ("家长满意度", 12, _family("satisfaction"), "0.00"),
    *COMMON_TAIL,
]
REGION_COLUMNS: list[Column] = [
    ("教育局", 16, lambda i: i["name"], None),
    ("幼儿园数", 10, _fig("kindergartens"), None),
    ("联盟数", 8, _fig("alliances"), None),
    ("结对数", 8, _fig("pairings"), None),
    *_pair("send_hours", "送教课时", HOURS),
    *_pair("lectures", "专题讲座"),
    *_pair("monthly_visits", "到园月数"),
    *_pair("alliance_activities", "联盟活动"),
    *_pair("inspection_coverage", "视导覆盖园数"),
    *_pair("key_teachers_sending", "骨干教师送教人数"),
    ("家长满意度", 12, _family("satisfaction"), "0.00"),
    *COMMON_TAIL,
    *LEDGER_COLUMNS,
]


def _sheet(wb: Workbook, title: str, columns: list[Column], items: list[dict]) -> None:
    ws = wb.create_sheet(title)
    append_row(ws, [c[0] for c in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for item in items:
        append_row(ws, [c[2](item) for c in columns])
        for cell, column in zip(ws[ws.max_row], columns, strict=True):
            if column[3] and cell.value is not None:
                cell.number_format = column[3]
    for n, column in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(n)].width = column[1]
    ws.freeze_panes = "A2"


def _ranked(items: list[dict], id_key: str) -> list[dict]:
    ranks = {r["id"]: r["rank"] for r in rank(items, id_key)}
    ordered = sorted(items, key=lambda i: (ranks[i[id_key]] is None, ranks[i[id_key]] or 0))
    return [{**i, "rank": ranks[i[id_key]]} for i in ordered]


async def targets_workbook(
    *, period: Period, scope: ReportScope, calendar: SemesterCalendar | None = None
) -> tuple[bytes, str]:
    """The workbook's bytes and a Chinese file name."""
    pairings, alliances, kindergartens, regions = await asyncio.gather(
        pairing_reports(period=period, scope=scope),
        alliance_reports(period=period, scope=scope, calendar=calendar),
        kindergarten_reports(period=period, scope=scope, calendar=calendar),
        region_reports(period=period, scope=scope, calendar=calendar),
    )
    await ledger_figures.with_pairings(pairings, period)
    await ledger_figures.with_alliances(alliances, period)
    await ledger_figures.with_regions(regions, period)
    region_rows = regions["items"] + ([regions["total"]] if len(regions["items"]) > 1 else [])
    sheets = [
        ("结对", PAIRING_COLUMNS, _ranked(pairings, "pairing_id")),
        ("联盟", ALLIANCE_COLUMNS, _ranked(alliances, "alliance_id")),
        ("幼儿园", KINDERGARTEN_COLUMNS, kindergartens),
        ("教育局", REGION_COLUMNS, region_rows),
    ]
    # A city's table is a few thousand rows: written off the event loop.
    content = await asyncio.to_thread(_workbook, sheets)
    return content, f"帮扶工作目标统计_{period.label}.xlsx"


def _workbook(sheets: list[tuple[str, list[Column], list[dict]]]) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for title, columns, items in sheets:
        _sheet(wb, title, columns, items)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
