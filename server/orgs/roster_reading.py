"""Reading an uploaded roster: upload limits, opening the .xlsx safely, rows into issues.

Reading is synchronous (openpyxl); callers run it in a thread. Nothing here touches the
database, and personal data from the file is never logged.
"""

from __future__ import annotations

import io
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from openpyxl import load_workbook

from server.common.errors import DomainError
from server.orgs.models import Grade
from server.orgs.roster_sheets import (
    CHILD_SHEET,
    EXAMPLES,
    GRADES,
    MAX_ROWS,
    SHEETS,
    TEACHER_SHEET,
    ChildRow,
    Issue,
    Roster,
    TeacherRow,
)
from server.orgs.validation import normalise_phone

#: Rows read per sheet, empty ones included, before giving up on a padded sheet.
MAX_SCANNED_ROWS = 50_000
#: Columns read per row; the template has six.
MAX_COLUMNS = 40
MB = 1024 * 1024
#: Uncompressed size of all parts of the workbook: anything bigger is not a roster (zip bomb).
#: A 5000-row roster is about 4 MB (with 50 000 padded rows); openpyxl parses some 5 MB a
#: second, so this bounds the time one upload can take.
MAX_UNZIPPED_BYTES = 32 * MB
MAX_ZIP_ENTRIES = 1000
#: openpyxl streams worksheets in read-only mode but reads every other part whole (shared
#: strings, styles, the workbook, relationships): a few MB of tiny strings cost a minute and
#: gigabytes. A real roster's shared strings are about 1 MB.
MAX_WHOLE_PART_BYTES = 4 * MB
#: Real workbooks expand 5–15 times; a part above 1 MB expanding more is a bomb.
MAX_RATIO = 100
WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_CONTENT_TYPES_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
NAME_MAX, TITLE_MAX, RELATION_MAX = 32, 16, 8


def _not_xlsx(hint: str = "") -> DomainError:
    return DomainError("not_xlsx", "文件不是有效的 Excel（.xlsx）文件" + hint)


def too_large(max_bytes: int) -> DomainError:
    """The refusal of an upload over the size limit."""
    return DomainError(
        "payload_too_large",
        f"文件超过 {max_bytes // (1024 * 1024)} MB 上限，请删除多余内容或拆分后分批导入",
    )


def check_upload_size(size: int, *, max_bytes: int) -> None:
    """Refuse an empty or oversized upload."""
    if size <= 0:
        raise DomainError("empty_file", "上传的文件是空的，请选择填好的花名册")
    if size > max_bytes:
        raise too_large(max_bytes)


def _check_container(data: bytes) -> None:
    """Refuse what is not a zip with a workbook inside, and zip bombs, before openpyxl."""
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise _not_xlsx("；旧版 .xls 或加密的文件请在 Excel 中另存为 .xlsx 后再上传")
    if data[:4] != b"PK\x03\x04":
        raise _not_xlsx()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise _not_xlsx() from exc
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise _not_xlsx()
    if len(infos) > MAX_ZIP_ENTRIES or sum(i.file_size for i in infos) > MAX_UNZIPPED_BYTES:
        raise DomainError(
            "workbook_too_large",
            f"文件解压后超过 {MAX_UNZIPPED_BYTES // MB} MB，不像是花名册，请使用导入模板重新填写",
        )
    streamed = _worksheet_parts(data, infos)
    for info in infos:
        expands = info.file_size > MB and info.file_size > MAX_RATIO * max(info.compress_size, 1)
        whole = info.filename not in streamed and info.file_size > MAX_WHOLE_PART_BYTES
        if expands or whole:
            raise DomainError(
                "workbook_too_large",
                "文件中有异常庞大的内容（解压后过大），不像是花名册，请使用导入模板重新填写",
            )


def _worksheet_parts(data: bytes, infos: list[zipfile.ZipInfo]) -> set[str]:
    """Parts [Content_Types].xml declares as worksheets only (openpyxl streams just those)."""
    manifest = next((i for i in infos if i.filename == "[Content_Types].xml"), None)
    if manifest is None or manifest.file_size > MAX_WHOLE_PART_BYTES:
        raise _not_xlsx()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            root = fromstring(zf.read(manifest), forbid_dtd=True)
    except (zipfile.BadZipFile, DefusedXmlException, ValueError, OSError, SyntaxError) as exc:
        raise _not_xlsx() from exc
    kinds: dict[str, set[str]] = {}
    for override in root.iter(f"{_CONTENT_TYPES_NS}Override"):
        name = (override.get("PartName") or "").lstrip("/")
        kinds.setdefault(name, set()).add(override.get("ContentType") or "")
    return {name for name, types in kinds.items() if types == {WORKSHEET_TYPE}}


def read_roster(data: bytes, *, max_bytes: int) -> Roster:
    """Parse a roster workbook, collecting row problems; refuse unreadable files."""
    check_upload_size(len(data), max_bytes=max_bytes)
    _check_container(data)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise _not_xlsx() from exc
    try:
        by_name = {name.strip(): name for name in wb.sheetnames}
        found = [s for s in SHEETS if s in by_name]
        if not found:
            raise DomainError(
                "missing_sheets",
                f"工作簿中没有“{TEACHER_SHEET}”或“{CHILD_SHEET}”工作表，请使用导入模板",
                details={"expected_sheets": list(SHEETS)},
            )
        roster = Roster(sheets=found)
        for sheet in found:
            rows = _sheet_rows(wb[by_name[sheet]], sheet)
            if sheet == TEACHER_SHEET:
                _read_teachers(rows, roster)
            else:
                _read_children(rows, roster)
        if not roster.row_count and not roster.issues:
            raise DomainError(
                "empty_roster",
                "花名册中没有可导入的数据行（模板里的示例行会被忽略），请填写后再上传",
            )
        return roster
    except DomainError:
        raise
    except Exception as exc:  # malformed sheet XML surfaces while iterating
        raise _not_xlsx() from exc
    finally:
        wb.close()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).replace("\u200b", "").replace("\ufeff", "").replace("\u00a0", " ")
    return " ".join(text.split())


def _header_key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace(" ", "").replace("*", "")


def _sheet_rows(ws, sheet: str) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (row number, cells by column key) for each non-empty data row."""
    columns = SHEETS[sheet]
    rows = ws.iter_rows(values_only=True, max_col=MAX_COLUMNS)
    header = next(rows, None)
    if header is None or not any(_text(v) for v in header):
        return
    wanted = {_header_key(alias): c for c in columns for alias in (c.header, *c.aliases)}
    positions: dict[str, int] = {}
    for index, value in enumerate(header):
        column = wanted.get(_header_key(_text(value)))
        if column is not None and column.key not in positions:
            positions[column.key] = index
    missing = [c for c in columns if c.required and c.key not in positions]
    if missing:
        raise _HeaderProblem(
            [Issue(sheet, 1, c.header, f"缺少必填列“{c.header}”") for c in missing]
        )
    data_rows = 0
    for number, values in enumerate(rows, start=2):
        if number > MAX_SCANNED_ROWS:
            raise _too_many_rows(sheet)
        cells = {key: _text(values[i]) if i < len(values) else "" for key, i in positions.items()}
        if not any(cells.values()):
            continue
        if tuple(cells.get(c.key, "") for c in columns) == EXAMPLES[sheet]:
            continue
        data_rows += 1
        if data_rows > MAX_ROWS:
            raise _too_many_rows(sheet)
        yield number, cells


class _HeaderProblem(Exception):
    """Required columns are missing: the sheet's rows cannot be read."""

    def __init__(self, issues: list[Issue]):
        super().__init__("header")
        self.issues = issues


def _too_many_rows(sheet: str) -> DomainError:
    return DomainError(
        "too_many_rows",
        f"工作表“{sheet}”超过 {MAX_ROWS} 行数据（或空行过多），请删除多余的行或拆分后分批导入",
    )


def _phone(cells: dict, add, column: str) -> str:
    raw = cells.get("phone", "")
    if not raw:
        add(column, "手机号不能为空" if column == "手机号" else "家长手机号不能为空")
        return ""
    text = unicodedata.normalize("NFKC", raw)
    try:
        phone = normalise_phone(text)
    except DomainError:
        phone = None
    if not phone or not phone.isascii():
        add(column, "手机号格式不正确，应为 11 位中国大陆手机号（如 13812345678）")
        return ""
    return phone


def _name(cells: dict, key: str, column: str, add, *, limit: int = NAME_MAX) -> str:
    value = cells.get(key, "")
    if not value:
        add(column, f"{column}不能为空")
    elif len(value) > limit:
        add(column, f"{column}过长（最多 {limit} 个字）")
    return value


def _optional(cells: dict, key: str, column: str, add, *, limit: int) -> str | None:
    value = cells.get(key, "")
    if len(value) > limit:
        add(column, f"{column}过长（最多 {limit} 个字）")
    return value or None


def _collect(roster: Roster, sheet: str, rows) -> Iterator[tuple[int, dict, Callable, list]]:
    """Yield each row with an `add(column, reason)` that records issues for it."""
    try:
        for number, cells in rows:
            found: list[Issue] = []

            def add(column: str | None, reason: str, _n=number, _found=found) -> None:
                _found.append(Issue(sheet, _n, column, reason))

            yield number, cells, add, found
            roster.issues.extend(found)
    except _HeaderProblem as problem:
        roster.issues.extend(problem.issues)


KEY_TEACHER = {"是": True, "否": False, "": None}


def _read_teachers(rows, roster: Roster) -> None:
    seen_phones: dict[str, int] = {}
    for number, cells, add, found in _collect(roster, TEACHER_SHEET, rows):
        name = _name(cells, "name", "姓名", add)
        phone = _phone(cells, add, "手机号")
        title = _optional(cells, "title", "职务", add, limit=TITLE_MAX)
        key_text = cells.get("key_teacher", "")
        if key_text not in KEY_TEACHER:
            add("骨干教师(是/否)", "“骨干教师”一栏只能填写“是”或“否”")
        if phone and phone in seen_phones:
            add("手机号", f"与第 {seen_phones[phone]} 行的手机号重复（同一位教师只填一行）")
        elif phone:
            seen_phones[phone] = number
        is_key = KEY_TEACHER.get(key_text)
        roster.teachers.append(TeacherRow(number, name, phone, title, is_key, ok=not found))


def _read_children(rows, roster: Roster) -> None:
    seen: dict[tuple[str, str, str], int] = {}
    parent_names: dict[str, tuple[str, int]] = {}
    child_class: dict[tuple[str, str], tuple[str, int]] = {}
    grade_rows: dict[str, int] = {}
    for number, cells, add, found in _collect(roster, CHILD_SHEET, rows):
        class_name = _name(cells, "class_name", "班级", add)
        grade: Grade | None = None
        grade_text = cells.get("grade", "")
        if grade_text:
            try:
                grade = Grade(grade_text)
            except ValueError:
                add("年级", f"年级无效，应为 {GRADES} 之一")
        child_name = _name(cells, "child_name", "幼儿姓名", add)
        parent_name = _name(cells, "parent_name", "家长姓名", add)
        phone = _phone(cells, add, "家长手机号")
        relation = _optional(cells, "relation", "关系", add, limit=RELATION_MAX)
        if grade and class_name:
            known = roster.class_grades.get(class_name)
            if known is None:
                roster.class_grades[class_name], grade_rows[class_name] = grade, number
            elif known != grade:
                add("年级", f"与第 {grade_rows[class_name]} 行填写的“{class_name}”年级不一致")
        if phone and child_name and class_name:
            key = (class_name, child_name, phone)
            if key in seen:
                add("幼儿姓名", f"与第 {seen[key]} 行重复（同一班级、同一幼儿、同一家长手机号）")
            else:
                seen[key] = number
            other = child_class.setdefault((child_name, phone), (class_name, number))
            if other[0] != class_name:
                add("班级", f"该幼儿（姓名与家长手机号相同）在第 {other[1]} 行属于另一个班级")
        if phone and parent_name:
            first = parent_names.setdefault(phone, (parent_name, number))
            if first[0] != parent_name:
                add("家长姓名", f"同一手机号在第 {first[1]} 行对应的家长姓名不同")
        roster.children.append(
            ChildRow(
                number,
                class_name,
                grade,
                child_name,
                parent_name,
                phone,
                relation,
                ok=not found,
            )
        )
