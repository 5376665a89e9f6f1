"""The sign-in sheet (.xlsx): who came, when, with flags; then who did not."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from server.activities import access
from server.checkin.organizer import attendance
from server.common.auth import Principal
from server.common.sheets import append_row
from server.common.time import china

METHODS = {"static": "海报码", "dynamic": "投影码", "manual": "补签"}
HEADERS = ["序号", "姓名", "签到时间", "方式", "迟到", "离线同步", "位置异常", "签退时间", "备注"]
WIDTHS = [6, 12, 20, 8, 6, 9, 9, 20, 30]


def _time(iso: str | None) -> str:
    if not iso:
        return ""
    from datetime import datetime

    return china(datetime.fromisoformat(iso)).strftime("%Y-%m-%d %H:%M:%S")


def _flag(row: dict) -> str:
    if row["no_location"]:
        return "无定位"
    return "超出范围" if row["outside_geofence"] else ""


async def signin_sheet(*, principal: Principal, activity_id: int) -> tuple[bytes, str]:
    """The workbook's bytes and a Chinese file name."""
    activity = await access.get_managed_activity(principal=principal, activity_id=activity_id)
    data = await attendance(principal=principal, activity_id=activity_id)
    wb = Workbook()
    ws = wb.active
    ws.title = "签到表"
    start = china(activity.starts_at).strftime("%Y年%m月%d日 %H:%M")
    append_row(ws, [f"{activity.title} 签到表"])
    ws["A1"].font = Font(bold=True, size=14)
    append_row(ws, [f"时间：{start}　地点：{activity.address or '—'}"])
    counts = data["counts"]
    append_row(
        ws,
        [
            f"应到 {counts['expected']} 人，实到 {counts['checked_in']} 人，"
            f"迟到 {counts['late']} 人，未到 {counts['absent']} 人"
        ],
    )
    append_row(ws)
    append_row(ws, HEADERS)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    present = [r for r in data["checkins"] if not r["annulled"]]
    for n, row in enumerate(present, start=1):
        note = f"补签：{row['manual_reason']}" if row["method"] == "manual" else ""
        append_row(
            ws,
            [
                n,
                row["name"],
                _time(row["scanned_at"]),
                METHODS[row["method"]],
                "是" if row["late"] else "",
                "是" if row["offline"] else "",
                _flag(row),
                _time(row["checkout_at"]),
                note,
            ],
        )
    append_row(ws)
    append_row(ws, [f"未签到（{len(data['absent'])} 人）"])
    ws[ws.max_row][0].font = Font(bold=True)
    for n, person in enumerate(data["absent"], start=1):
        append_row(ws, [n, person["name"]])
    annulled = [r for r in data["checkins"] if r["annulled"]]
    if annulled:
        append_row(ws)
        append_row(ws, [f"已作废（{len(annulled)} 条）"])
        ws[ws.max_row][0].font = Font(bold=True)
        for n, row in enumerate(annulled, start=1):
            append_row(
                ws,
                [
                    n,
                    row["name"],
                    _time(row["scanned_at"]),
                    "",
                    "",
                    "",
                    "",
                    "",
                    f"作废原因：{row['annul_reason']}",
                ],
            )
    for i, width in enumerate(WIDTHS):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    ws["A1"].alignment = Alignment(horizontal="left")
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue(), f"{activity.title}-签到表.xlsx"
