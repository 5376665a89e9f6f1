"""Roster (花名册) import from .xlsx: the template, reading, checking and idempotent apply.

Reading is synchronous (openpyxl) and runs in a thread; everything that touches the
database is async. Personal data from the file is never logged.
"""

from __future__ import annotations

import asyncio
import io
import logging
import unicodedata
import zipfile
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from tortoise import connections
from tortoise.transactions import in_transaction

from server.common.auth import Principal
from server.common.errors import DomainError
from server.orgs.grant_links import give_grant
from server.orgs.models import Child, Grade, Guardian, Kindergarten, Person, SchoolClass, Teacher
from server.orgs.scope import ensure_directs_kindergarten
from server.orgs.validation import normalise_phone

log = logging.getLogger("songjiao.orgs.roster")

TEACHER_SHEET = "教师"
CHILD_SHEET = "幼儿"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Data rows accepted per sheet; a county's biggest kindergarten has a few hundred children.
MAX_ROWS = 5000
#: Rows read per sheet, empty ones included, before giving up on a padded sheet.
MAX_SCANNED_ROWS = 50_000
#: Columns read per row; the template has six.
MAX_COLUMNS = 40
#: Uncompressed size of all parts of the workbook: anything bigger is not a roster (zip bomb).
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024
MAX_ZIP_ENTRIES = 1000
NAME_MAX, TITLE_MAX, RELATION_MAX = 32, 16, 8
PROGRESS_EVERY = 50
#: Issues kept in a failed job's result (the check endpoint answers all of them).
MAX_ISSUES_IN_JOB = 1000
GRADES = "、".join(g.value for g in Grade)
IMPORT_JOB = "orgs.import_roster"


@dataclass(frozen=True)
class Column:
    """One column of a roster sheet."""

    key: str
    header: str
    required: bool
    width: int
    note: str
    aliases: tuple[str, ...] = ()


TEACHER_COLUMNS = (
    Column("name", "姓名", True, 12, "必填，最多 32 个字"),
    Column("phone", "手机号", True, 16, "必填，11 位大陆手机号；同一园内按手机号识别教师"),
    Column("title", "职务", False, 12, "选填：教师、保教主任、教研组长、保育员……默认“教师”"),
    Column(
        "key_teacher",
        "骨干教师(是/否)",
        False,
        16,
        "选填：是 或 否，默认“否”",
        ("骨干教师", "是否骨干教师"),
    ),
)
CHILD_COLUMNS = (
    Column("class_name", "班级", True, 12, "必填；本园没有的班级会按“年级”新建"),
    Column("grade", "年级", False, 10, f"新建班级时必填：{GRADES}"),
    Column("child_name", "幼儿姓名", True, 12, "必填，最多 32 个字"),
    Column("parent_name", "家长姓名", True, 12, "必填；一位幼儿有多位家长时，每位家长一行"),
    Column(
        "phone",
        "家长手机号",
        True,
        16,
        "必填，11 位大陆手机号；家长凭此手机号对应的邀请码绑定",
        ("家长手机", "家长电话", "家长手机号码"),
    ),
    Column("relation", "关系", False, 10, "选填：父亲、母亲、祖父母……默认“家长”"),
)
SHEETS = {TEACHER_SHEET: TEACHER_COLUMNS, CHILD_SHEET: CHILD_COLUMNS}
#: The template's example rows; left in a filled template they are skipped, not imported.
EXAMPLES = {
    TEACHER_SHEET: ("王丽", "13800000000", "保教主任", "是"),
    CHILD_SHEET: ("小一班", "小班", "李小米", "李强", "13900000000", "父亲"),
}


# --------------------------------------------------------------------------- template


def build_template() -> bytes:
    """The roster template workbook: 教师 and 幼儿 sheets with headers, an example and lists."""
    wb = Workbook()
    wb.remove(wb.active)
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="2F6F4E")
    example_font = Font(italic=True, color="808080")
    for sheet, columns in SHEETS.items():
        ws = wb.create_sheet(sheet)
        ws.append([c.header for c in columns])
        ws.append(list(EXAMPLES[sheet]))
        for index, column in enumerate(columns, start=1):
            letter = ws.cell(row=1, column=index).column_letter
            head = ws.cell(row=1, column=index)
            head.font, head.fill = header_font, header_fill
            head.alignment = Alignment(horizontal="center")
            head.comment = Comment(column.note, "送教通")
            ws.cell(row=2, column=index).font = example_font
            ws.column_dimensions[letter].width = column.width
            if column.key == "phone":
                # Text cells, or Excel shows long numbers as 1.38E+10.
                for row in range(2, 502):
                    ws.cell(row=row, column=index).number_format = "@"
        ws.freeze_panes = "A2"
    _add_list(wb[TEACHER_SHEET], "D", ("是", "否"), "骨干教师", "请选择“是”或“否”")
    _add_list(wb[CHILD_SHEET], "B", tuple(g.value for g in Grade), "年级", "请从列表中选择年级")
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _add_list(ws, letter: str, values: tuple[str, ...], title: str, prompt: str) -> None:
    dv = DataValidation(
        type="list", formula1='"' + ",".join(values) + '"', allow_blank=True, showDropDown=False
    )
    dv.error, dv.errorTitle = f"只能填写：{'、'.join(values)}", f"{title}无效"
    dv.prompt, dv.promptTitle = prompt, title
    dv.showErrorMessage = True
    dv.showInputMessage = True
    ws.add_data_validation(dv)
    dv.add(f"{letter}2:{letter}{MAX_ROWS + 1}")


def template_filename(kindergarten_name: str) -> str:
    """The download name of a kindergarten's template."""
    return f"{kindergarten_name}花名册导入模板.xlsx"


async def template_for(*, principal: Principal, kindergarten_id: int) -> tuple[bytes, str]:
    """The template workbook and its Chinese file name, for a director of the kindergarten."""
    await ensure_directs_kindergarten(principal=principal, kindergarten_id=kindergarten_id)
    kg = await Kindergarten.get(id=kindergarten_id)
    return await asyncio.to_thread(build_template), template_filename(kg.name)


# --------------------------------------------------------------------------- reading


@dataclass
class Issue:
    """A bad row: where and why, in Chinese."""

    sheet: str
    row: int
    column: str | None
    reason: str

    def to_dict(self) -> dict:
        """The issue as clients show it."""
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "reason": self.reason}

    def describe(self) -> str:
        """One line: 「幼儿」第 5 行 家长手机号：原因."""
        where = f"「{self.sheet}」第 {self.row} 行" + (f" {self.column}" if self.column else "")
        return f"{where}：{self.reason}"


@dataclass
class TeacherRow:
    """A teacher as the file gives her; None means the cell was left empty."""

    row: int
    name: str
    phone: str
    title: str | None
    is_key: bool | None
    ok: bool = True


@dataclass
class ChildRow:
    """One child with one of her guardians."""

    row: int
    class_name: str
    grade: Grade | None
    child_name: str
    parent_name: str
    phone: str
    relation: str | None
    ok: bool = True


@dataclass
class Roster:
    """What a roster file says, with every problem found without the database."""

    teachers: list[TeacherRow] = field(default_factory=list)
    children: list[ChildRow] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    sheets: list[str] = field(default_factory=list)
    #: Class name -> grade given by some row of the file (creates the class if new).
    class_grades: dict[str, Grade] = field(default_factory=dict)

    @property
    def row_count(self) -> int:
        """Data rows read from both sheets."""
        return len(self.teachers) + len(self.children)

    def sorted_issues(self) -> list[Issue]:
        """Issues by sheet (教师 first) and row."""
        order = {TEACHER_SHEET: 0, CHILD_SHEET: 1}
        return sorted(self.issues, key=lambda i: (order.get(i.sheet, 2), i.row))


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
            f"文件解压后超过 {MAX_UNZIPPED_BYTES // (1024 * 1024)} MB，不像是花名册，"
            "请使用导入模板重新填写",
        )


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


# --------------------------------------------------------------------------- checking


async def _check_classes(*, kindergarten_id: int, roster: Roster) -> None:
    """Mark rows naming a class that neither exists nor is created by the file."""
    known = set(
        await SchoolClass.filter(kindergarten_id=kindergarten_id).values_list("name", flat=True)
    ) | set(roster.class_grades)
    for row in roster.children:
        if row.class_name and row.class_name not in known:
            row.ok = False
            roster.issues.append(
                Issue(
                    CHILD_SHEET,
                    row.row,
                    "班级",
                    f"未知班级“{row.class_name}”：本园没有该班级，表中也没有为它填写有效的年级",
                )
            )


def _empty_counts() -> dict[str, dict[str, int]]:
    return {
        what: {"created": 0, "updated": 0, "unchanged": 0}
        for what in ("teachers", "classes", "children", "guardians")
    }


LABELS = {"teachers": "教师", "classes": "班级", "children": "幼儿", "guardians": "家长"}


def describe_counts(counts: dict[str, dict[str, int]]) -> str:
    """教师：新增 3、更新 1、未变 0；班级：…."""
    return "；".join(
        f"{LABELS[what]}：新增 {c['created']}、更新 {c['updated']}、未变 {c['unchanged']}"
        for what, c in counts.items()
    )


async def inspect_roster(*, kindergarten_id: int, data: bytes, max_bytes: int) -> Roster:
    """Read a file and check it against the kindergarten's classes (no writes)."""
    roster = await asyncio.to_thread(read_roster, data, max_bytes=max_bytes)
    await _check_classes(kindergarten_id=kindergarten_id, roster=roster)
    return roster


async def plan_roster(*, kindergarten_id: int, roster: Roster) -> dict[str, dict[str, int]]:
    """What importing the good rows would create, update or leave (no writes)."""
    return await _sync(await _State.load(kindergarten_id), roster, write=False)


async def check_roster(
    *, principal: Principal, kindergarten_id: int, data: bytes, max_bytes: int
) -> dict:
    """Dry run: every bad row with its reason, and what an import would change."""
    await ensure_directs_kindergarten(principal=principal, kindergarten_id=kindergarten_id)
    roster = await inspect_roster(kindergarten_id=kindergarten_id, data=data, max_bytes=max_bytes)
    counts = await plan_roster(kindergarten_id=kindergarten_id, roster=roster)
    issues = roster.sorted_issues()
    if issues:
        summary = f"发现 {len(issues)} 处问题，请修改后重新上传；修改前不会导入任何数据"
    else:
        summary = "检查通过，导入后将：" + describe_counts(counts)
    return {
        "ok": not issues,
        "sheets": roster.sheets,
        "rows": {"teachers": len(roster.teachers), "children": len(roster.children)},
        "issue_count": len(issues),
        "issues": [i.to_dict() for i in issues],
        "counts": counts,
        "summary": summary,
    }


# --------------------------------------------------------------------------- applying


async def ensure_may_import(*, principal: Principal, kindergarten_id: int) -> None:
    """Only the kindergarten's director or an admin reads or writes its roster."""
    await ensure_directs_kindergarten(principal=principal, kindergarten_id=kindergarten_id)


def _key(obj: Any) -> Any:
    """Identity of a row, saved or (in a dry run) not."""
    return obj.id if obj.id is not None else ("new", id(obj))


@dataclass
class _Draft:
    """A child or guardian link that a dry run would create (never saved)."""

    name: str = ""
    relation: str = ""
    id: None = None


@dataclass
class _State:
    """The kindergarten's current staff, classes, children and guardians, indexed."""

    kindergarten_id: int
    teachers_by_phone: dict[str, Teacher]
    phoneless_teachers: dict[str, list[Teacher]]
    teacher_grants: set[int]
    classes: dict[str, SchoolClass]
    children: dict[str, list[Child | _Draft]]
    #: child key -> class key, and child key -> phones of its guardians
    child_class: dict[Any, Any]
    child_phones: dict[Any, set[str]]
    parents: dict[str, Person]
    links: dict[tuple[Any, Any], Guardian | _Draft]

    @classmethod
    async def load(cls, kindergarten_id: int) -> _State:
        """Read everything the import matches against, in a few queries."""
        # Read-only look at the accounts domain's grants; writes go through grant_links.
        from server.accounts.models import RoleGrant

        teachers = await Teacher.filter(kindergarten_id=kindergarten_id).prefetch_related("person")
        by_phone: dict[str, Teacher] = {}
        phoneless: dict[str, list[Teacher]] = {}
        for t in sorted(teachers, key=lambda t: t.id):
            if t.person.phone:
                by_phone.setdefault(t.person.phone, t)
            else:
                phoneless.setdefault(t.person.name, []).append(t)
        grants = await RoleGrant.filter(
            role="teacher", scope_kind="kindergarten", scope_id=kindergarten_id
        ).values_list("person_id", flat=True)
        classes = await SchoolClass.filter(kindergarten_id=kindergarten_id)
        children = await Child.filter(school_class__kindergarten_id=kindergarten_id).order_by("id")
        guardians = (
            await Guardian.filter(child__school_class__kindergarten_id=kindergarten_id)
            .order_by("id")
            .prefetch_related("person")
        )
        child_phones: dict[Any, set[str]] = {c.id: set() for c in children}
        parents: dict[str, Person] = {}
        links: dict[tuple[Any, Any], Guardian | _Draft] = {}
        for g in guardians:
            links[(g.person_id, g.child_id)] = g
            if g.person.phone:
                child_phones[g.child_id].add(g.person.phone)
                parents.setdefault(g.person.phone, g.person)
        return cls(
            kindergarten_id=kindergarten_id,
            teachers_by_phone=by_phone,
            phoneless_teachers=phoneless,
            teacher_grants=set(grants),
            classes={c.name: c for c in classes},
            children=_by_name(children),
            child_class={c.id: c.school_class_id for c in children},
            child_phones=child_phones,
            parents=parents,
            links=links,
        )


def _by_name(children: list[Child]) -> dict[str, list[Child | _Draft]]:
    named: dict[str, list[Child | _Draft]] = {}
    for child in children:
        named.setdefault(child.name, []).append(child)
    return named


Progress = Callable[[int, int], Awaitable[None]]


async def _sync(
    state: _State, roster: Roster, *, write: bool, progress: Progress | None = None
) -> dict[str, dict[str, int]]:
    """Match every good row against `state`; with write=True, create and update rows."""
    counts = _empty_counts()
    teachers = [r for r in roster.teachers if r.ok]
    children = [r for r in roster.children if r.ok]
    total, done = len(teachers) + len(children), 0

    async def tick(n: int = 1) -> None:
        nonlocal done
        before, done = done, done + n
        if progress and (done // PROGRESS_EVERY > before // PROGRESS_EVERY or done == total):
            await progress(done, total)

    for row in teachers:
        await _sync_teacher(state, row, counts["teachers"], write=write)
        await tick()
    await _sync_classes(state, roster, children, counts["classes"], write=write)
    groups: dict[tuple[str, str], list[ChildRow]] = {}
    for row in children:
        groups.setdefault((row.class_name, row.child_name), []).append(row)
    claimed: set[Any] = set()
    for (class_name, child_name), rows in groups.items():
        child = await _sync_child(
            state, class_name, child_name, rows, claimed, counts["children"], write=write
        )
        for row in rows:
            await _sync_guardian(state, child, row, counts["guardians"], write=write)
        await tick(len(rows))
    return counts


async def _ensure_teacher_grant(state: _State, person_id: int) -> None:
    if person_id not in state.teacher_grants:
        await give_grant(
            person_id=person_id,
            role="teacher",
            scope_kind="kindergarten",
            scope_id=state.kindergarten_id,
        )
        state.teacher_grants.add(person_id)


async def _sync_teacher(state: _State, row: TeacherRow, count: dict, *, write: bool) -> None:
    teacher = state.teachers_by_phone.get(row.phone)
    if teacher is None:
        # A phone-less teacher (e.g. joined by invitation) is the same person only when
        # her name is unique in the kindergarten: two 张丽 must never merge.
        same_name = state.phoneless_teachers.get(row.name, [])
        if len(same_name) == 1:
            teacher = same_name.pop()
    if teacher is None:
        count["created"] += 1
        if write:
            person = await Person.create(name=row.name, phone=row.phone)
            await Teacher.create(
                person=person,
                kindergarten_id=state.kindergarten_id,
                title=row.title or "教师",
                is_key_teacher=bool(row.is_key),
            )
            await _ensure_teacher_grant(state, person.id)
        return
    person = teacher.person
    person_changes = {
        k: v for k, v in (("name", row.name), ("phone", row.phone)) if getattr(person, k) != v
    }
    teacher_changes = {
        k: v
        for k, v in (("title", row.title), ("is_key_teacher", row.is_key), ("active", True))
        if v is not None and getattr(teacher, k) != v
    }
    count["updated" if person_changes or teacher_changes else "unchanged"] += 1
    if write:
        if person_changes:
            await Person.filter(id=person.id).update(**person_changes)
        if teacher_changes:
            await Teacher.filter(id=teacher.id).update(**teacher_changes)
        await _ensure_teacher_grant(state, person.id)


async def _sync_classes(
    state: _State, roster: Roster, rows: list[ChildRow], count: dict, *, write: bool
) -> None:
    for name in dict.fromkeys(r.class_name for r in rows):
        grade = roster.class_grades.get(name)
        existing = state.classes.get(name)
        if existing is None:
            count["created"] += 1
            new = SchoolClass(name=name, grade=grade, kindergarten_id=state.kindergarten_id)
            if write:
                await new.save()
            state.classes[name] = new
        elif grade is not None and existing.grade != grade:
            count["updated"] += 1
            if write:
                await SchoolClass.filter(id=existing.id).update(grade=grade)
            existing.grade = grade
        else:
            count["unchanged"] += 1


async def _sync_child(
    state: _State,
    class_name: str,
    child_name: str,
    rows: list[ChildRow],
    claimed: set,
    count: dict,
    *,
    write: bool,
) -> Child | _Draft:
    school_class = state.classes[class_name]
    class_key = _key(school_class)
    phones = {r.phone for r in rows}
    named = [c for c in state.children.get(child_name, []) if _key(c) not in claimed]
    in_class = [c for c in named if state.child_class[_key(c)] == class_key]

    def shares_phone(c: Child | _Draft) -> bool:
        return bool(state.child_phones[_key(c)] & phones)

    child = next((c for c in in_class if shares_phone(c)), None)
    if child is None:
        # Moved up a class (升班): same name and a guardian's phone elsewhere in the kindergarten.
        child = next((c for c in named if shares_phone(c)), None)
    if child is None:
        # Entered without guardians before: the only such child of that name in the class.
        bare = [c for c in in_class if not state.child_phones[_key(c)]]
        child = bare[0] if len(bare) == 1 else None
    if child is None:
        count["created"] += 1
        child = (
            await Child.create(name=child_name, school_class_id=school_class.id)
            if write
            else _Draft(name=child_name)
        )
        state.children.setdefault(child_name, []).append(child)
        state.child_phones[_key(child)] = set()
    elif state.child_class[_key(child)] != class_key:
        count["updated"] += 1
        if write:
            await Child.filter(id=child.id).update(school_class_id=school_class.id)
    else:
        count["unchanged"] += 1
    state.child_class[_key(child)] = class_key
    claimed.add(_key(child))
    return child


async def _sync_guardian(
    state: _State, child: Child | _Draft, row: ChildRow, count: dict, *, write: bool
) -> None:
    person = state.parents.get(row.phone)
    renamed = person is not None and person.name != row.parent_name
    if person is None:
        person = Person(name=row.parent_name, phone=row.phone)
        if write:
            await person.save()
        state.parents[row.phone] = person
    elif renamed:
        if write:
            await Person.filter(id=person.id).update(name=row.parent_name)
        person.name = row.parent_name
    key = (_key(person), _key(child))
    link = state.links.get(key)
    relation_changed = link is not None and bool(row.relation) and link.relation != row.relation
    if link is None:
        count["created"] += 1
        relation = row.relation or "家长"
        state.links[key] = (
            await Guardian.create(person_id=person.id, child_id=child.id, relation=relation)
            if write
            else _Draft(relation=relation)
        )
        state.child_phones[_key(child)].add(row.phone)
    elif renamed or relation_changed:
        count["updated"] += 1
        if write and relation_changed:
            await Guardian.filter(id=link.id).update(relation=row.relation)
        link.relation = row.relation or link.relation
    else:
        count["unchanged"] += 1


@contextmanager
def _connection(conn) -> Iterator[None]:
    token = connections.set("default", conn)
    try:
        yield
    finally:
        connections.reset(token)


async def apply_roster(
    *, kindergarten_id: int, roster: Roster, progress: Progress | None = None
) -> dict[str, dict[str, int]]:
    """Create and update everything the (checked) roster says, in one transaction."""
    base = connections.get("default")
    live = base.capabilities.dialect != "sqlite"

    async def report(done: int, total: int) -> None:
        if progress is None:
            return
        if live:
            # Through the pool, outside the transaction, so pollers see it as it happens.
            # SQLite has one connection, locked by the transaction: there it lands at commit.
            with _connection(base):
                await progress(done, total)
        else:
            await progress(done, total)

    async with in_transaction():
        # One import per kindergarten at a time (a no-op on SQLite, which serialises anyway).
        await Kindergarten.filter(id=kindergarten_id).select_for_update().first()
        state = await _State.load(kindergarten_id)
        return await _sync(state, roster, write=True, progress=report)


# --------------------------------------------------------------------------- import job glue


def upload_path(data_dir: Path, job_id: str) -> Path:
    """Where an uploaded roster waits for its import job."""
    return data_dir / "uploads" / f"roster-{job_id}.xlsx"


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_bytes(data)


async def start_import(
    *,
    principal: Principal,
    kindergarten_id: int,
    data: bytes,
    max_bytes: int,
    data_dir: Path,
    broker,
) -> dict:
    """Check the file, keep it for the job, and queue the import; answers the job id."""
    from server.jobs.broker import enqueue
    from server.jobs.service import create_job_record, finish_job

    await ensure_directs_kindergarten(principal=principal, kindergarten_id=kindergarten_id)
    roster = await inspect_roster(kindergarten_id=kindergarten_id, data=data, max_bytes=max_bytes)
    issues = roster.sorted_issues()
    if issues:
        raise DomainError(
            "roster_invalid",
            f"花名册有 {len(issues)} 处问题，未开始导入；请先用“检查”修正后再导入",
            details={"issues": [i.to_dict() for i in issues]},
        )
    record = await create_job_record(
        kind=IMPORT_JOB,
        account_id=principal.account_id,
        params={"kindergarten_id": kindergarten_id, "rows": roster.row_count},
    )
    job_id = str(record.id)
    path = upload_path(data_dir, job_id)
    await asyncio.to_thread(_write_private, path, data)
    try:
        await enqueue(broker, IMPORT_JOB, job_id=job_id, kindergarten_id=kindergarten_id)
    except Exception as exc:
        log.error("roster import could not be queued: %s", type(exc).__name__)
        path.unlink(missing_ok=True)
        await finish_job(job_id=job_id, error="任务排队失败，请稍后重试")
        raise DomainError("service_unavailable", "后台任务暂时无法排队，请稍后重试") from exc
    return {"job_id": job_id, "status": "queued", "rows": roster.row_count}
