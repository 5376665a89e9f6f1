"""`songjiao import-roster` prints bad rows or counts; exits 0 ok, 1 bad rows, 2 bad file."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from server.orgs.models import Child, Kindergarten, Teacher
from server.orgs.roster_cli import import_roster_file
from tests.orgs.test_roster import GOOD_CHILDREN, GOOD_TEACHERS, workbook
from tests.support.factories import make_kindergarten

ROOT = Path(__file__).resolve().parents[2]


async def run(api, path: Path, kg_id: int, *, dry_run: bool) -> tuple[int, str]:
    out = io.StringIO()
    code = await import_roster_file(
        api.app.ctx.runtime.settings, path=path, kindergarten_id=kg_id, dry_run=dry_run, out=out
    )
    return code, out.getvalue()


async def test_cli_dry_run_prints_counts_and_writes_nothing(client, api, tmp_path):
    kg = await make_kindergarten(name="阳光幼儿园")
    path = tmp_path / "花名册.xlsx"
    path.write_bytes(workbook(GOOD_TEACHERS, GOOD_CHILDREN))
    code, text = await run(api, path, kg.id, dry_run=True)
    assert code == 0
    assert "阳光幼儿园：检查通过（未写入）" in text
    assert "教师：新增 3、更新 0、未变 0" in text
    assert not await Teacher.exists()


async def test_cli_import_writes_and_a_second_run_only_confirms(client, api, tmp_path):
    kg = await make_kindergarten()
    path = tmp_path / "roster.xlsx"
    path.write_bytes(workbook(GOOD_TEACHERS, GOOD_CHILDREN))
    code, text = await run(api, path, kg.id, dry_run=False)
    assert code == 0 and "导入完成" in text
    assert await Teacher.filter(kindergarten_id=kg.id).count() == 3
    assert await Child.all().count() == 2
    code, text = await run(api, path, kg.id, dry_run=False)
    assert code == 0 and "教师：新增 0、更新 0、未变 3" in text
    assert await Teacher.filter(kindergarten_id=kg.id).count() == 3


async def test_cli_bad_rows_are_listed_with_exit_code_1(client, api, tmp_path):
    kg = await make_kindergarten()
    path = tmp_path / "roster.xlsx"
    path.write_bytes(workbook([["张丽", "12345"], [None, "13812345678"]]))
    code, text = await run(api, path, kg.id, dry_run=False)
    assert code == 1
    assert "花名册有 2 处问题" in text
    assert "「教师」第 2 行 手机号：手机号格式不正确" in text
    assert "「教师」第 3 行 姓名：姓名不能为空" in text
    assert not await Teacher.exists()


async def test_cli_bad_file_or_kindergarten_gives_exit_code_2(client, api, tmp_path):
    kg = await make_kindergarten()
    text_file = tmp_path / "roster.xlsx"
    text_file.write_text("姓名,手机号\n")
    assert await run(api, text_file, kg.id, dry_run=True) == (
        2,
        "文件不是有效的 Excel（.xlsx）文件\n",
    )
    code, text = await run(api, tmp_path / "missing.xlsx", kg.id, dry_run=True)
    assert code == 2 and "找不到文件" in text
    good = tmp_path / "good.xlsx"
    good.write_bytes(workbook(GOOD_TEACHERS))
    code, text = await run(api, good, 999_999, dry_run=True)
    assert code == 2 and "幼儿园 999999 不存在" in text


def _songjiao(*args: str, data_dir: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SONGJIAO_")}
    env.update(SONGJIAO_DATA_DIR=str(data_dir), SONGJIAO_ENV="development")
    script = Path(sys.executable).with_name("songjiao")
    return subprocess.run(
        [str(script), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=180
    )


def test_songjiao_command_checks_and_imports_into_the_demo_county(tmp_path):
    """The console script end to end, on its own SQLite under a temporary data dir."""
    demo = _songjiao("demo", data_dir=tmp_path)
    assert demo.returncode == 0, demo.stderr
    assert "演示数据已就绪" in demo.stdout
    again = _songjiao("demo", data_dir=tmp_path)
    assert again.returncode == 0, again.stderr
    # The first line reports migrations; the summary after it is the same on a rerun.
    assert again.stdout.split("\n", 1)[1] == demo.stdout.split("\n", 1)[1]
    roster = tmp_path / "roster.xlsx"
    roster.write_bytes(workbook(GOOD_TEACHERS, GOOD_CHILDREN))
    dry = _songjiao(
        "import-roster", str(roster), "--kindergarten", "1", "--dry-run", data_dir=tmp_path
    )
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "检查通过（未写入）" in dry.stdout
    done = _songjiao("import-roster", str(roster), "--kindergarten", "1", data_dir=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "导入完成" in done.stdout and "教师：新增 3" in done.stdout
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook([["张丽", "12345"]]))
    refused = _songjiao("import-roster", str(bad), "--kindergarten", "1", data_dir=tmp_path)
    assert refused.returncode == 1 and "第 2 行" in refused.stdout


async def test_unknown_kindergarten_is_not_created_by_the_cli(client, api, tmp_path):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(workbook(GOOD_TEACHERS))
    await run(api, path, 12345, dry_run=False)
    assert not await Kindergarten.exists(id=12345)
