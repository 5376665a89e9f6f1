"""Export one semester's 帮扶档案 of a pairing: index.xlsx and every activity's record, zipped.

The database is read first (async); the zip is then written in a thread into a temp
file under data_dir, streamed to the client and deleted.
"""

from __future__ import annotations

import asyncio
import io
import uuid
import zipfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from server.activities import service as activities_service
from server.archive import card as cards
from server.archive import storage
from server.archive.files import safe_filename
from server.archive.models import ArchiveFile, FileKind
from server.checkin import facts as checkin_facts
from server.checkin.figures import counts_line, figures_of
from server.common.auth import Principal
from server.common.errors import DomainError, Forbidden, NotFound
from server.common.runtime import configured_calendar
from server.common.semester import semester_of, semester_range
from server.common.sheets import append_row
from server.common.time import CHINA, china, now
from server.orgs import service as orgs

EXPORTERS = ("director", "organizer")
STAFF = ("teacher", "organizer", "director")
INDEX_HEADERS = (
    ("日期", 12),
    ("活动名称", 30),
    ("类型", 12),
    ("承办园", 24),
    ("状态", 10),
    ("签到人数", 10),
    ("课时", 8),
    ("照片数", 8),
    ("附件数", 8),
    ("记录卡状态", 24),
)
RECORD_NAME = "记录.txt"
CHUNK = 256 * 1024
#: Already compressed formats are stored, not deflated again.
STORED_EXTS = {"jpg", "png", "webp", "docx", "xlsx", "pptx"}


@dataclass
class FileEntry:
    """One archive file to copy into the zip."""

    filename: str
    stored_path: str
    kind: str
    caption: str
    consent: bool


@dataclass
class ActivityEntry:
    """What the zip says about one activity."""

    date: str
    title: str
    kind: str
    host: str
    status: str
    checked_in: int
    hours: float
    card_label: str
    record_text: str
    #: 应到/实到/未到 as figures.py words them.
    counts: str = ""
    files: list[FileEntry] = field(default_factory=list)

    @property
    def photos(self) -> int:
        """Number of photos."""
        return sum(1 for f in self.files if f.kind == FileKind.PHOTO)

    @property
    def attachments(self) -> int:
        """Number of attachments."""
        return sum(1 for f in self.files if f.kind == FileKind.ATTACHMENT)


@dataclass(frozen=True)
class ArchiveExport:
    """A finished zip on disk and the name to download it as."""

    path: Path
    filename: str
    size: int


def _semester(semester: str | None) -> tuple[str, datetime, datetime]:
    name = (semester or "").strip() or semester_of(now(), configured_calendar())
    try:
        first, last = semester_range(name, configured_calendar())
    except ValueError as exc:
        raise DomainError("invalid_semester", "学期格式应为 2026春 或 2026秋") from exc
    start = datetime.combine(first, time.min, tzinfo=CHINA)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=CHINA)
    return name, start, end


async def _ensure_may_export(principal: Principal, pairing_id: int) -> tuple[int, int]:
    sides = await orgs.pairing_sides(pairing_id=pairing_id)
    if not sides:
        raise NotFound("结对")
    if principal.is_admin:
        return sides
    if set(sides) & principal.scope_ids("kindergarten", EXPORTERS):
        return sides
    if set(sides) & await orgs.kindergarten_ids_led(principal):
        return sides
    if set(sides) & principal.scope_ids("kindergarten", STAFF):
        raise Forbidden("只有结对双方的园长、组织者或负责的领导可以导出帮扶档案")
    raise NotFound("结对")


async def _kindergarten_name(principal: Principal, kindergarten_id: int, cache: dict) -> str:
    if kindergarten_id not in cache:
        try:
            kg = await orgs.get_kindergarten(principal=principal, kindergarten_id=kindergarten_id)
            cache[kindergarten_id] = kg["name"]
        except NotFound:
            cache[kindergarten_id] = ""
    return cache[kindergarten_id]


def _kind_value(value: object) -> str:
    return getattr(value, "value", value)


def _fmt(moment: datetime | None) -> str:
    return china(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


async def _entry(
    principal: Principal, activity: activities_service.Activity, names: dict
) -> ActivityEntry:
    rows = await ArchiveFile.filter(activity_id=activity.id).order_by("created_at", "id")
    checked_in = await checkin_facts.checked_in_count(activity_id=activity.id)
    presenters = await activities_service.presenters_of(activity_id=activity.id)
    hours = sum(p["hours"] for p in presenters)
    state = await cards.card_state(activity)
    view = await cards.card_view(activity, state)
    host = await _kindergarten_name(principal, activity.host_id, names)
    status = activities_service.STATUS_LABELS.get(
        activities_service.ActivityStatus(activity.status), str(activity.status)
    )
    files = [
        FileEntry(r.filename, r.stored_path, _kind_value(r.kind), r.caption, bool(r.consent))
        for r in rows
    ]
    entry = ActivityEntry(
        date=china(activity.starts_at).strftime("%Y-%m-%d"),
        title=activity.title,
        kind=_kind_value(activity.kind),
        host=host,
        status=status,
        checked_in=checked_in,
        counts=counts_line(await figures_of(activity)),
        hours=float(hours or 0),
        card_label=state.label,
        record_text="",
        files=files,
    )
    side_names = {
        side: await _kindergarten_name(principal, info["kindergarten_id"], names)
        for side, info in view["sides"].items()
    }
    entry.record_text = _record_text(activity, entry, view, side_names)
    return entry


def _record_text(
    activity: activities_service.Activity, entry: ActivityEntry, view: dict, side_names: dict
) -> str:
    lines = [
        f"活动名称：{activity.title}",
        f"活动类型：{entry.kind}",
        f"时间：{_fmt(activity.starts_at)} 至 {_fmt(activity.ends_at)}",
        f"承办园：{entry.host}",
        f"地点：{activity.address}",
        f"状态：{entry.status}",
        f"签到人数：{entry.checked_in}",
        f"出勤：{entry.counts}",
        f"课时：{entry.hours:g}",
        "",
    ]
    for title, text in (
        ("活动计划", activity.plan),
        ("活动措施", activity.measures),
        ("活动总结", activity.summary),
        ("反思", activity.reflection),
    ):
        lines += [f"【{title}】", (text or "").strip() or "（未填写）", ""]
    lines.append("【帮扶记录卡确认】")
    states = {"confirmed": "已确认", "stale": "确认已失效（内容已修改，需重新确认）"}
    for side, info in view["sides"].items():
        who = info["confirmed_by"]
        label = f"{info['label']}（{side_names.get(side) or '—'}）"
        if info["state"] == "pending":
            lines.append(f"{label}：未确认")
        else:
            name = (who or {}).get("name") or "—"
            at = _fmt(datetime.fromisoformat(info["confirmed_at"]))
            lines.append(f"{label}：{states[info['state']]}，确认人 {name}，时间 {at}")
    lines.append(f"记录卡状态：{entry.card_label}")
    for w in view.get("consent_withdrawals", []):
        # Withdrawals stand beside the confirmed content; they never change it.
        at = _fmt(datetime.fromisoformat(w["at"]))
        who = "、".join(x for x in (w["role"], w["by"]) if x) or "—"
        why = f"，原因：{w['reason']}" if w["reason"] else ""
        lines.append(f"撤回公开同意：照片 {w['file_id']}，{who}，{at}{why}")
    lines += ["", "【照片与附件】"]
    if not entry.files:
        lines.append("（无）")
    for f in entry.files:
        kind = "照片" if f.kind == FileKind.PHOTO else "附件"
        extra = (
            ("，已同意公开" if f.consent else "，未同意公开") if f.kind == FileKind.PHOTO else ""
        )
        caption = f"，说明：{f.caption}" if f.caption else ""
        lines.append(f"- {f.filename}（{kind}{extra}{caption}）")
    return "\r\n".join(lines) + "\r\n"


def _unique(name: str, taken: set[str]) -> str:
    """`name`, or `name(2)`, `name(3)` … before the extension, whichever is free."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    candidate, n = name, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{stem}({n}){dot}{ext}"
    taken.add(candidate.lower())
    return candidate


def _index_xlsx(pairing_title: str, semester: str, entries: list[ActivityEntry]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "帮扶档案索引"
    append_row(ws, [h for h, _ in INDEX_HEADERS])
    bold = Font(bold=True)
    for index, (_, width) in enumerate(INDEX_HEADERS, start=1):
        cell = ws.cell(row=1, column=index)
        cell.font = bold
        cell.alignment = Alignment(horizontal="center")
        ws.column_dimensions[cell.column_letter].width = width
    ws.freeze_panes = "A2"
    for e in entries:
        append_row(
            ws,
            [
                e.date,
                e.title,
                e.kind,
                e.host,
                e.status,
                e.checked_in,
                e.hours,
                e.photos,
                e.attachments,
                e.card_label,
            ],
        )
    if not entries:
        append_row(ws, ["无活动", f"{pairing_title} {semester}学期没有帮扶活动"])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _write_zip(
    target: Path,
    data_dir: Path,
    pairing_title: str,
    semester: str,
    entries: list[ActivityEntry],
) -> int:
    target.parent.mkdir(parents=True, exist_ok=True)
    folders: set[str] = set()
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("index.xlsx", _index_xlsx(pairing_title, semester, entries))
        for entry in entries:
            title = safe_filename(entry.title, fallback="活动")
            folder = _unique(f"{entry.date}_{title}", folders)
            taken = {RECORD_NAME.lower()}
            record = entry.record_text
            for f in entry.files:
                source = storage.absolute_path(data_dir, f.stored_path)
                name = _unique(safe_filename(f.filename, fallback="文件"), taken)
                if not source.is_file():
                    record += f"（文件缺失：{f.filename}）\r\n"
                    continue
                ext = name.rpartition(".")[2].lower()
                method = zipfile.ZIP_STORED if ext in STORED_EXTS else zipfile.ZIP_DEFLATED
                zf.write(source, f"{folder}/{name}", compress_type=method)
            zf.writestr(f"{folder}/{RECORD_NAME}", record.encode("utf-8-sig"))
    return target.stat().st_size


async def export_pairing_archive(
    *, principal: Principal, pairing_id: int, semester: str | None, data_dir: Path
) -> ArchiveExport:
    """Build the semester's archive zip of a pairing (directors/organizers of a side, leaders)."""
    name, start, end = _semester(semester)
    await _ensure_may_export(principal, pairing_id)
    pairing = await orgs.get_pairing(principal=principal, pairing_id=pairing_id)
    pairing_title = f"{pairing['supporting_name']}—{pairing['supported_name']}"
    activities = await activities_service.published_activities_of_pairing(
        pairing_id=pairing_id, since=start, until=end
    )
    names: dict[int, str] = {}
    entries = [await _entry(principal, a, names) for a in activities]
    target = Path(data_dir) / "tmp" / f"archive-export-{uuid.uuid4().hex}.zip"
    try:
        size = await asyncio.to_thread(_write_zip, target, data_dir, pairing_title, name, entries)
    except BaseException:
        await asyncio.to_thread(target.unlink, True)
        raise
    filename = safe_filename(f"{pairing_title}帮扶档案_{name}.zip", fallback="帮扶档案.zip")
    return ArchiveExport(path=target, filename=filename, size=size)


async def send_file(path: Path, send: Callable[[bytes], Awaitable[object]]) -> None:
    """Pass the file's bytes to `send` in chunks, read in a thread."""
    handle = await asyncio.to_thread(open, path, "rb")
    try:
        while chunk := await asyncio.to_thread(handle.read, CHUNK):
            await send(chunk)
    finally:
        await asyncio.to_thread(handle.close)


async def discard(path: Path) -> None:
    """Delete a finished export (also after a client went away mid-download)."""
    await asyncio.to_thread(path.unlink, True)
