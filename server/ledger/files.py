"""Donation photos and fund receipts: checked as the archive checks uploads, stored under
data_dir/ledger/<uuid>.<ext>.

The checks are the archive's pure functions on bytes (server/archive/files.py): a photo is
decoded and re-encoded without EXIF or GPS (children may be in it), a receipt is a photo or
a PDF whose bytes say so. Paths are made from random names only.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from pathlib import Path

from server.archive.files import (
    IMAGE_SIGNATURES,
    CheckedFile,
    check_attachment,
    check_photo,
    served_content_type,
    stored_content_type,
)
from server.common.errors import DomainError, NotFound

LEDGER_DIR = "ledger"


def check_upload(data: bytes, filename: str | None, *, kind: str, max_bytes: int) -> CheckedFile:
    """A photo (donations), or a photo or PDF (receipts); refused in Chinese otherwise."""
    if kind == "photo":
        return check_photo(data, filename)
    if data.startswith(IMAGE_SIGNATURES) or data[8:12] == b"WEBP":
        return check_photo(data, filename)
    if not data[:1024].lstrip().startswith(b"%PDF-"):
        raise DomainError("unsupported_file_type", "票据请上传照片（JPG、PNG、WebP）或 PDF 扫描件")
    return check_attachment(data, filename, max_bytes=max_bytes)


def sha256(data: bytes) -> str:
    """The stored bytes' digest (part of the line's content hash)."""
    return hashlib.sha256(data).hexdigest()


def new_stored_path(ext: str) -> str:
    """A fresh relative path."""
    return f"{uuid.uuid4().hex[:2]}/{uuid.uuid4().hex}.{ext}"


def absolute_path(data_dir: Path, stored_path: str) -> Path:
    """The file's place on disk, refusing anything that would leave the ledger folder."""
    root = (Path(data_dir) / LEDGER_DIR).resolve()
    path = (root / stored_path).resolve()
    if not path.is_relative_to(root):
        raise NotFound("文件")
    return path


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, path)


async def write_file(data_dir: Path, stored_path: str, data: bytes) -> None:
    """Write the bytes durably (temp file, fsync, rename)."""
    await asyncio.to_thread(_write, absolute_path(data_dir, stored_path), data)


async def remove_file(data_dir: Path, stored_path: str) -> None:
    """Delete a stored file; a file already gone is fine."""
    await asyncio.to_thread(absolute_path(data_dir, stored_path).unlink, True)


async def store_ledger_file(
    *,
    model,
    owner: dict[str, int],
    kind,
    checked: CheckedFile,
    data_dir: Path,
    uploader_id: int | None,
    limit: int,
    too_many: DomainError,
):
    """Store a checked photo or receipt of one ledger line (`owner`, e.g. {"donation_id": 3}).

    Answers the new file row, or None when the same bytes are already attached (a retried
    upload). `too_many` is raised when the line already holds `limit` files; the bytes are
    written before the row and removed again if the row cannot be made.
    """
    if await model.filter(**owner).count() >= limit:
        raise too_many
    digest = sha256(checked.data)
    if await model.exists(**owner, sha256=digest):
        return None
    stored = new_stored_path(checked.ext)
    await write_file(data_dir, stored, checked.data)
    try:
        return await model.create(
            kind=kind,
            **owner,
            filename=checked.filename,
            stored_path=stored,
            content_type=stored_content_type(checked.content_type),
            size=len(checked.data),
            sha256=digest,
            uploaded_by_id=uploader_id,
        )
    except BaseException:
        await remove_file(data_dir, stored)
        raise


__all__ = [
    "CheckedFile",
    "absolute_path",
    "check_upload",
    "new_stored_path",
    "remove_file",
    "served_content_type",
    "sha256",
    "store_ledger_file",
    "stored_content_type",
    "write_file",
]
