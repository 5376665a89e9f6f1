"""What a roster (花名册) workbook holds: its two sheets, their columns, and the rows read."""

from __future__ import annotations

from dataclasses import dataclass, field

from server.orgs.models import Grade

TEACHER_SHEET = "教师"
CHILD_SHEET = "幼儿"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Data rows accepted per sheet; a county's biggest kindergarten has a few hundred children.
MAX_ROWS = 5000
GRADES = "、".join(g.value for g in Grade)


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
