"""The sign-in sheet (.xlsx): who came (with their 单位), when, with flags; the presenters
as presenters; others who checked in apart; then who did not. Counts from figures.py."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from server.activities import service as activities
from server.checkin.figures import counts_line, figures_of
from server.checkin.organizer import attendance
from server.common.auth import Principal
from server.common.sheets import append_row
from server.common.time import china
from server.orgs import service as orgs

METHODS = {"static": "海报码", "dynamic": "投影码", "manual": "补签"}
HEADERS = [
    "序号",
    "姓名",
    "单位",
    "签到时间",
    "方式",
    "迟到",
    "离线同步",
    "位置异常",
    "签退时间",
    "备注",
]
WIDTHS = [6, 12, 22, 20, 8, 6, 9, 9, 20, 30]


def _time(iso: str | None) -> str:
    if not iso:
        return ""
    from datetime import datetime

    return china(datetime.fromisoformat(iso)).strftime("%Y-%m-%d %H:%M:%S")


def _flag(row: dict) -> str:
    if row["no_location"]:
        return "无定位"
    return "超出范围" if row["outside_geofence"] else ""


def _bold_title(ws, text: str) -> None:
    append_row(ws)
    append_row(ws, [text])
    ws[ws.max_row][0].font = Font(bold=True)


def _checkin_row(n: int, row: dict, unit: str, note: str = "") -> list:
    manual = f"补签：{row['manual_reason']}" if row["method"] == "manual" else ""
    return [
        n,
        row["name"],
        unit,
        _time(row["scanned_at"]),
        METHODS[row["method"]],
        "是" if row["late"] else "",
        "是" if row["offline"] else "",
        _flag(row),
        _time(row["checkout_at"]),
        "；".join(x for x in (manual, note) if x),
    ]


async def signin_sheet(*, principal: Principal, activity_id: int) -> tuple[bytes, str]:
    """The workbook's bytes and a Chinese file name."""
    activity = await activities.get_managed_activity(principal=principal, activity_id=activity_id)
    data = await attendance(principal=principal, activity_id=activity_id)
    figures = await figures_of(activity)
    presenters = await activities.presenters_of(activity_id=activity.id)
    people = {r["person_id"] for r in data["checkins"]} | set(figures.expected_ids)
    people |= {p["person_id"] for p in presenters}
    names = await orgs.person_names(person_ids=list(people))
    units = await orgs.workplace_names(person_ids=people)
    family_unit = "家长" if figures.family else ""
    wb = Workbook()
    ws = wb.active
    ws.title = "签到表"
    start = china(activity.starts_at).strftime("%Y年%m月%d日 %H:%M")
    append_row(ws, [f"{activity.title} 签到表"])
    ws["A1"].font = Font(bold=True, size=14)
    append_row(ws, [f"时间：{start}　地点：{activity.address or '—'}"])
    append_row(ws, [counts_line(figures)])
    append_row(ws)
    append_row(ws, HEADERS)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    valid = [r for r in data["checkins"] if not r["annulled"]]
    attended = [r for r in valid if r["person_id"] in figures.attended_ids]
    for n, row in enumerate(attended, start=1):
        append_row(ws, _checkin_row(n, row, units.get(row["person_id"], family_unit)))
    if presenters:
        _bold_title(ws, f"授课教师（{len(presenters)} 人）")
        came = {r["person_id"]: r for r in valid}
        for n, p in enumerate(presenters, start=1):
            topic = "、".join(
                x for x in (p["topic"], f"{p['hours']:g} 课时" if p["hours"] else "") if x
            )
            row = came.get(p["person_id"])
            scanned = _time(row["scanned_at"]) if row else ""
            append_row(
                ws,
                [n, names.get(p["person_id"], ""), units.get(p["person_id"], ""), scanned]
                + [""] * 5
                + [f"授课：{topic}" if topic else "授课"],
            )
    others = [r for r in valid if r["person_id"] in figures.other_ids]
    if others:
        _bold_title(ws, f"其他签到人员（{len(others)} 人，非应到人员，不计入实到）")
        for n, row in enumerate(others, start=1):
            append_row(ws, _checkin_row(n, row, units.get(row["person_id"], "")))
    _bold_title(ws, f"未签到（{figures.absent} 人）")
    absent = sorted(figures.expected_ids - figures.present_ids, key=lambda pid: names.get(pid, ""))
    for n, pid in enumerate(absent, start=1):
        append_row(ws, [n, names.get(pid, ""), units.get(pid, family_unit)])
    annulled = [r for r in data["checkins"] if r["annulled"]]
    if annulled:
        _bold_title(ws, f"已作废（{len(annulled)} 条）")
        for n, row in enumerate(annulled, start=1):
            append_row(
                ws,
                [n, row["name"], units.get(row["person_id"], ""), _time(row["scanned_at"])]
                + [""] * 5
                + [f"作废原因：{row['annul_reason']}"],
            )
    for i, width in enumerate(WIDTHS):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    ws["A1"].alignment = Alignment(horizontal="left")
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue(), f"{activity.title}-签到表.xlsx"
