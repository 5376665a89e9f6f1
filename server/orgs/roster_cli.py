"""`songjiao import-roster FILE --kindergarten ID [--dry-run]`: the roster import in a terminal.

Exit codes: 0 imported (or, with --dry-run, would import cleanly), 1 bad rows, 2 bad file
or unknown kindergarten.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TextIO

from tortoise import Tortoise

from server.common.errors import DomainError
from server.db import tortoise_config
from server.orgs import roster
from server.orgs.models import Kindergarten
from server.settings import Settings

OK, BAD_ROWS, BAD_FILE = 0, 1, 2
#: Bad rows printed before "…and N more".
SHOWN_ISSUES = 200


@asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[None]:
    """Use the open database of this process, or open (and later close) one."""
    if Tortoise.is_inited():
        yield
        return
    await Tortoise.init(config=tortoise_config(settings, with_aerich=False))
    try:
        yield
    finally:
        await Tortoise.close_connections()


def _read_file(path: Path, max_bytes: int) -> bytes:
    roster.check_upload_size(path.stat().st_size, max_bytes=max_bytes)
    return path.read_bytes()


async def import_roster_file(
    settings: Settings,
    *,
    path: Path,
    kindergarten_id: int,
    dry_run: bool = False,
    out: TextIO | None = None,
) -> int:
    """Check (and unless dry_run, import) a roster; prints in Chinese, returns the exit code."""
    out = out or sys.stdout
    max_bytes = settings.max_upload_mb * 1024 * 1024
    try:
        data = await asyncio.to_thread(_read_file, path, max_bytes)
    except FileNotFoundError:
        print(f"找不到文件：{path}", file=out)
        return BAD_FILE
    except IsADirectoryError:
        print(f"不是文件：{path}", file=out)
        return BAD_FILE
    except DomainError as exc:
        print(exc.message, file=out)
        return BAD_FILE
    async with database(settings):
        kg = await Kindergarten.get_or_none(id=kindergarten_id)
        if kg is None:
            print(f"幼儿园 {kindergarten_id} 不存在", file=out)
            return BAD_FILE
        try:
            checked = await roster.inspect_roster(
                kindergarten_id=kindergarten_id, data=data, max_bytes=max_bytes
            )
        except DomainError as exc:
            print(exc.message, file=out)
            return BAD_FILE
        issues = checked.sorted_issues()
        if issues:
            print(f"{kg.name}：花名册有 {len(issues)} 处问题，未导入任何数据。", file=out)
            for issue in issues[:SHOWN_ISSUES]:
                print("  " + issue.describe(), file=out)
            if len(issues) > SHOWN_ISSUES:
                print(f"  ……另有 {len(issues) - SHOWN_ISSUES} 处问题未列出", file=out)
            return BAD_ROWS
        if dry_run:
            counts = await roster.plan_roster(kindergarten_id=kindergarten_id, roster=checked)
            print(f"{kg.name}：检查通过（未写入）。导入后将：", file=out)
        else:
            counts = await roster.apply_roster(kindergarten_id=kindergarten_id, roster=checked)
            print(f"{kg.name}：导入完成。", file=out)
        print("  " + roster.describe_counts(counts), file=out)
        return OK
