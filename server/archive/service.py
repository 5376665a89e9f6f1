"""The activity archive (帮扶档案): files, record texts and the 帮扶记录卡.

Scope comes from server.activities.access: managers change the record, viewers read
it. Parents who see an activity only as parents see its consented photos and nothing
else of its files.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from pathlib import Path

from server.activities import service as activities
from server.archive import card as cards
from server.archive import files as checks
from server.archive import storage
from server.archive.models import ArchiveFile, FileKind
from server.audit.service import record_action
from server.checkin import facts as checkin_facts
from server.common.auth import Principal
from server.common.errors import DomainError, NotFound

TEXT_MAX = 5000
CAPTION_MAX = 100
TEXT_LABELS = {
    "plan": "活动计划",
    "measures": "活动措施",
    "summary": "活动总结",
    "reflection": "反思",
}


# ---- scope ------------------------------------------------------------------------------


async def _sees_as_family_only(principal: Principal, activity: activities.Activity) -> bool:
    """True when the caller sees the activity only through a parent's grant."""
    if principal.is_admin or not principal.scope_ids("child", ["parent"]):
        return False
    as_staff = dataclasses.replace(
        principal, grants=tuple(g for g in principal.grants if g.role != "parent")
    )
    return not await activities.can_view(as_staff, activity)


def _family_may_see(row: ArchiveFile) -> bool:
    return row.kind == FileKind.PHOTO and bool(row.consent)


async def _managed_file(
    principal: Principal, file_id: int
) -> tuple[ArchiveFile, activities.Activity]:
    row = await ArchiveFile.get_or_none(id=file_id)
    if row is None:
        raise NotFound("文件")
    try:
        activity = await activities.get_managed_activity(
            principal=principal, activity_id=row.activity_id
        )
    except NotFound as exc:
        raise NotFound("文件") from exc
    return row, activity


# ---- views ------------------------------------------------------------------------------


def file_view(row: ArchiveFile) -> dict:
    """A file as clients list it (never its place on disk)."""
    return {
        "id": row.id,
        "activity_id": row.activity_id,
        "kind": row.kind.value if isinstance(row.kind, FileKind) else row.kind,
        "filename": row.filename,
        "content_type": checks.served_content_type(row.content_type, row.stored_path),
        "size": row.size,
        "sha256": row.sha256,
        "caption": row.caption,
        "consent": bool(row.consent),
        "uploaded_by_id": row.uploaded_by_id,
        "created_at": row.created_at.isoformat() if row.created_at else None,
        "url": f"/api/v1/files/{row.id}/content",
    }


async def _files_of(activity: activities.Activity, *, family_only: bool) -> list[ArchiveFile]:
    rows = await ArchiveFile.filter(activity_id=activity.id).order_by("created_at", "id")
    return [r for r in rows if _family_may_see(r)] if family_only else rows


# ---- files ------------------------------------------------------------------------------


async def ensure_may_upload(*, principal: Principal, activity_id: int) -> None:
    """Refuse before the upload is read unless the caller manages the activity."""
    await activities.get_managed_activity(principal=principal, activity_id=activity_id)


def _clean_caption(caption: str | None) -> str:
    caption = (caption or "").strip()
    if len(caption) > CAPTION_MAX:
        raise DomainError("text_too_long", f"照片说明不能超过 {CAPTION_MAX} 个字")
    return caption


def _kind(kind: str | None) -> FileKind:
    try:
        return FileKind((kind or "").strip())
    except ValueError as exc:
        raise DomainError(
            "invalid_kind", "请指明文件类型 kind：photo（照片）或 attachment（附件）"
        ) from exc


async def upload_file(
    *,
    principal: Principal,
    activity_id: int,
    kind: str | None,
    data: bytes,
    filename: str | None,
    caption: str | None,
    consent: bool,
    data_dir: Path,
    max_bytes: int,
) -> tuple[dict, bool]:
    """Check and store a photo or attachment; the same file again answers the first record.

    Returns the file and whether it was created now.
    """
    activity = await activities.get_managed_activity(principal=principal, activity_id=activity_id)
    file_kind = _kind(kind)
    caption = _clean_caption(caption)
    if file_kind == FileKind.PHOTO:
        checked = await asyncio.to_thread(checks.check_photo, data, filename)
    else:
        if consent:
            raise DomainError("consent_photo_only", "只有照片需要标记是否同意公开")
        checked = await asyncio.to_thread(
            checks.check_attachment, data, filename, max_bytes=max_bytes
        )
    sha = hashlib.sha256(checked.data).hexdigest()
    existing = await ArchiveFile.filter(activity_id=activity.id, sha256=sha).order_by("id").first()
    if existing is not None:
        return file_view(existing), False
    await cards.ensure_unlocked(activity)
    stored_path = storage.new_stored_path(activity.id, checked.ext)
    await storage.write_file(data_dir, stored_path, checked.data)
    try:
        row = await ArchiveFile.create(
            activity_id=activity.id,
            kind=file_kind,
            filename=checked.filename,
            stored_path=stored_path,
            content_type=checks.stored_content_type(checked.content_type),
            size=len(checked.data),
            sha256=sha,
            caption=caption,
            consent=consent,
            uploaded_by_id=principal.person_id,
        )
    except BaseException:
        await storage.remove_file(data_dir, stored_path)
        raise
    first = await ArchiveFile.filter(activity_id=activity.id, sha256=sha).order_by("id").first()
    if first is not None and first.id != row.id:
        # The same file uploaded twice at the same moment: keep the first record.
        await row.delete()
        await storage.remove_file(data_dir, stored_path)
        return file_view(first), False
    return file_view(row), True


async def list_files(*, principal: Principal, activity_id: int) -> dict:
    """The activity's photos and attachments (parents: consented photos only)."""
    activity = await activities.get_visible_activity(principal=principal, activity_id=activity_id)
    family_only = await _sees_as_family_only(principal, activity)
    rows = await _files_of(activity, family_only=family_only)
    return {"items": [file_view(r) for r in rows]}


async def file_for_download(
    *, principal: Principal, file_id: int, data_dir: Path
) -> tuple[Path, str, str]:
    """(path on disk, download name, content type) of a file the caller may see."""
    row = await ArchiveFile.get_or_none(id=file_id)
    if row is None:
        raise NotFound("文件")
    try:
        activity = await activities.get_visible_activity(
            principal=principal, activity_id=row.activity_id
        )
    except NotFound as exc:
        raise NotFound("文件") from exc
    if await _sees_as_family_only(principal, activity) and not _family_may_see(row):
        raise NotFound("文件")
    path = storage.absolute_path(data_dir, row.stored_path)
    if not await asyncio.to_thread(path.is_file):
        raise DomainError("file_missing", "文件已丢失，请重新上传", status=410)
    return path, row.filename, checks.served_content_type(row.content_type, row.stored_path)


async def update_file(
    *, principal: Principal, file_id: int, caption: str | None = None, consent: bool | None = None
) -> dict:
    """Change a file's caption or a photo's publication consent (consent changes are logged)."""
    row, activity = await _managed_file(principal, file_id)
    changes: dict = {}
    if caption is not None and _clean_caption(caption) != row.caption:
        changes["caption"] = _clean_caption(caption)
    if consent is not None and bool(consent) != bool(row.consent):
        if row.kind != FileKind.PHOTO:
            raise DomainError("consent_photo_only", "只有照片需要标记是否同意公开")
        changes["consent"] = bool(consent)
    if not changes:
        return file_view(row)
    if changes == {"consent": False}:
        # A withdrawal always works, locked card or not; the card records it.
        await _withdraw(principal, row, activity, role=_role_label(principal), reason="")
        return file_view(row)
    await cards.ensure_unlocked(activity)
    previous = bool(row.consent)
    for key, value in changes.items():
        setattr(row, key, value)
    await row.save(update_fields=list(changes))
    if "consent" in changes:
        await record_action(
            actor_id=principal.person_id,
            action="archive.file_consent",
            target_type="archive_file",
            target_id=row.id,
            activity_id=activity.id,
            detail={"consent": changes["consent"], "previous": previous},
        )
    return file_view(row)


def _role_label(principal: Principal, *, family_only: bool = False) -> str:
    """Who withdrew a consent, as the card says it (never a child's or parent's name)."""
    if family_only:
        return "家长"
    for role, label in (
        ("admin", "管理员"),
        ("director", "园长"),
        ("organizer", "组织者"),
        ("leader", "领导"),
        ("teacher", "教师"),
        ("parent", "家长"),
    ):
        if role in principal.roles:
            return label
    return ""


async def _withdraw(
    principal: Principal, row: ArchiveFile, activity: activities.Activity, *, role: str, reason: str
) -> None:
    """Consent off and a line on the card (the audit entry), whatever the card's lock."""
    updated = await ArchiveFile.filter(id=row.id, consent=True).update(consent=False)
    row.consent = False
    if not updated:
        return  # withdrawn already (two taps): one line on the card
    await record_action(
        actor_id=principal.person_id,
        action=cards.CONSENT_WITHDRAWN,
        target_type="archive_file",
        target_id=row.id,
        activity_id=activity.id,
        reason=reason,
        detail={"consent": False, "previous": True, "role": role},
    )


async def withdraw_consent(*, principal: Principal, file_id: int, reason: str = "") -> dict:
    """Anyone who sees a photo (teacher, parent, staff) withdraws its publication consent.

    It always works, even on a locked 帮扶记录卡; posts and previews re-check consent when
    they show a photo, so a withdrawn photo is no longer shown anywhere.
    """
    row = await ArchiveFile.get_or_none(id=file_id)
    if row is None:
        raise NotFound("文件")
    try:
        activity = await activities.get_visible_activity(
            principal=principal, activity_id=row.activity_id
        )
    except NotFound as exc:
        raise NotFound("文件") from exc
    family_only = await _sees_as_family_only(principal, activity)
    if family_only and not _family_may_see(row):
        raise NotFound("文件")
    if row.kind != FileKind.PHOTO:
        raise DomainError("consent_photo_only", "只有照片需要标记是否同意公开")
    reason = (reason or "").strip()
    if len(reason) > CAPTION_MAX:
        raise DomainError("text_too_long", f"撤回原因不能超过 {CAPTION_MAX} 个字")
    role = _role_label(principal, family_only=family_only)
    await _withdraw(principal, row, activity, role=role, reason=reason)
    return file_view(row)


async def delete_file(*, principal: Principal, file_id: int, data_dir: Path) -> None:
    """Remove a file from the record and from disk (logged)."""
    row, activity = await _managed_file(principal, file_id)
    await cards.ensure_unlocked(activity)
    kind = row.kind.value if isinstance(row.kind, FileKind) else row.kind
    detail = {"kind": kind, "sha256": row.sha256, "size": row.size}
    await row.delete()
    await storage.remove_file(data_dir, row.stored_path)
    await record_action(
        actor_id=principal.person_id,
        action="archive.file_delete",
        target_type="archive_file",
        target_id=file_id,
        activity_id=activity.id,
        detail=detail,
    )


# ---- record texts and the 帮扶记录卡 ------------------------------------------------------


async def ensure_record_unlocked(*, activity_id: int) -> None:
    """For other domains: refuse (409 record_locked) when the record card is locked."""
    activity = await activities.find_activity(activity_id=activity_id)
    if activity is not None:
        await cards.ensure_unlocked(activity)


async def update_record(*, principal: Principal, activity_id: int, changes: dict) -> dict:
    """Write the plan, measures, summary or reflection (each ≤ 5000 characters)."""
    activity = await activities.get_managed_activity(principal=principal, activity_id=activity_id)
    clean: dict[str, str] = {}
    for key, label in TEXT_LABELS.items():
        value = changes.get(key)
        if value is None:
            continue
        value = value.strip()
        if len(value) > TEXT_MAX:
            raise DomainError("text_too_long", f"{label}不能超过 {TEXT_MAX} 个字")
        if value != (getattr(activity, key) or ""):
            clean[key] = value
    if clean:
        await cards.ensure_unlocked(activity)
        for key, value in clean.items():
            setattr(activity, key, value)
        await activity.save(update_fields=[*clean, "updated_at"])
    return await _record_card(principal, activity)


async def _attendance(activity_id: int) -> int:
    return await checkin_facts.checked_in_count(activity_id=activity_id)


async def _record_card(principal: Principal, activity: activities.Activity) -> dict:
    family_only = await _sees_as_family_only(principal, activity)
    rows = await _files_of(activity, family_only=family_only)
    state = await cards.card_state(activity)
    return {
        "activity_id": activity.id,
        "title": activity.title,
        "kind": activity.kind.value if hasattr(activity.kind, "value") else activity.kind,
        "starts_at": activity.starts_at.isoformat(),
        "ends_at": activity.ends_at.isoformat(),
        "record": {key: getattr(activity, key) or "" for key in TEXT_LABELS},
        "files": [file_view(r) for r in rows],
        "photo_count": sum(1 for r in rows if r.kind == FileKind.PHOTO),
        "attachment_count": sum(1 for r in rows if r.kind == FileKind.ATTACHMENT),
        "attendance": {"checked_in": await _attendance(activity.id)},
        **await cards.card_view(activity, state),
    }


async def get_record_card(*, principal: Principal, activity_id: int) -> dict:
    """The record with both sides' confirmations and whether it is locked."""
    activity = await activities.get_visible_activity(principal=principal, activity_id=activity_id)
    return await _record_card(principal, activity)


async def confirm_record_card(
    *, principal: Principal, activity_id: int, side: str | None = None
) -> dict:
    """Confirm the record for the caller's side of the activity."""
    activity = await activities.get_visible_activity(principal=principal, activity_id=activity_id)
    await cards.confirm(principal=principal, activity=activity, side=side)
    return await _record_card(principal, activity)


async def reopen_record_card(*, principal: Principal, activity_id: int, reason: str) -> dict:
    """Clear both confirmations, with a reason, so the record may change again."""
    activity = await activities.get_visible_activity(principal=principal, activity_id=activity_id)
    await cards.reopen(principal=principal, activity=activity, reason=reason)
    return await _record_card(principal, activity)


# ---- for other domains (publicity) --------------------------------------------------------


async def publicity_record(*, activity_id: int) -> dict:
    """An activity's record texts, photos and attendance counts for a post (no scope check)."""
    activity = await activities.find_activity(activity_id=activity_id)
    if activity is None:
        raise NotFound("活动")
    photos = await ArchiveFile.filter(activity_id=activity_id, kind=FileKind.PHOTO).order_by(
        "created_at", "id"
    )
    checkins = await checkin_facts.headcounts(activity_id=activity_id)
    return {
        "record": {key: getattr(activity, key) or "" for key in TEXT_LABELS},
        "photos": [
            {
                "id": p.id,
                "caption": p.caption,
                "consent": bool(p.consent),
                "uploaded_by_id": p.uploaded_by_id,
            }
            for p in photos
        ],
        "checked_in": len(checkins),
        "adults": sum(a or 0 for a, _ in checkins),
        "children": sum(c or 0 for _, c in checkins),
    }


async def publicity_photo(*, file_id: int, activity_id: int, data_dir: Path) -> tuple[dict, bytes]:
    """A photo of the activity and its bytes, for a post (no scope check; consent not judged)."""
    row = await ArchiveFile.get_or_none(id=file_id, activity_id=activity_id, kind=FileKind.PHOTO)
    if row is None:
        raise NotFound("照片")
    path = storage.absolute_path(data_dir, row.stored_path)
    if not await asyncio.to_thread(path.is_file):
        raise DomainError("file_missing", "照片文件已丢失，请重新上传", status=410)
    data = await asyncio.to_thread(path.read_bytes)
    return {"id": row.id, "caption": row.caption, "consent": bool(row.consent)}, data
