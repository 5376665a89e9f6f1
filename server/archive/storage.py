"""Where archive files live on disk: data_dir/archive/<activity_id>/<uuid>.<ext>.

Paths are made here from ids and random names only; a client's file name never
reaches the file system.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path

from server.common.errors import NotFound

ARCHIVE_DIR = "archive"


def new_stored_path(activity_id: int, ext: str) -> str:
    """A fresh relative path for an activity's file."""
    return f"{int(activity_id)}/{uuid.uuid4().hex}.{ext}"


def absolute_path(data_dir: Path, stored_path: str) -> Path:
    """The file's place on disk, refusing anything that would leave the archive folder."""
    root = (Path(data_dir) / ARCHIVE_DIR).resolve()
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
    path = absolute_path(data_dir, stored_path)
    await asyncio.to_thread(path.unlink, True)
