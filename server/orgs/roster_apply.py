"""Applying a checked roster: match rows to the kindergarten's people, create and update.

Idempotent: importing the same file twice changes nothing the second time. The same
matching runs without writes for a dry run (`plan_roster`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from tortoise import connections
from tortoise.transactions import in_transaction

from server.orgs.grant_links import give_grant, holders
from server.orgs.models import Child, Guardian, Kindergarten, Person, SchoolClass, Teacher
from server.orgs.person_scope import footprints
from server.orgs.roster_sheets import (
    CHILD_SHEET,
    TEACHER_SHEET,
    ChildRow,
    Issue,
    Roster,
    TeacherRow,
)

PROGRESS_EVERY = 50
#: Rows that would touch a person who also belongs to another kindergarten (or holds a
#: wider role): the import never links her nor changes her name or phone.
SHARED_TEACHER = (
    "该教师同时在其他幼儿园任职或另有身份，本园不能通过花名册修改她的姓名和手机号；"
    "请按系统中现有的信息填写，如需更正请联系管理员"
)
TEACHER_ELSEWHERE = (
    "此人已在其他幼儿园登记，不能通过花名册加入本园：请删除此行，在本园“邀请码”中"
    "生成教师邀请码交给她，她在小程序中输入后即加入本园（课时记录仍为同一份）；"
    "也可请管理员添加"
)
SHARED_PARENT = (
    "该家长同时是其他幼儿园的家长或另有身份，本园不能通过花名册修改她的姓名；"
    "请按系统中现有的姓名填写，如需更正请联系管理员"
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


async def plan_roster(*, kindergarten_id: int, roster: Roster) -> dict[str, dict[str, int]]:
    """What importing the good rows would create, update or leave (no writes)."""
    return await _sync(await _State.load(kindergarten_id), roster, write=False)


async def check_shared_people(*, kindergarten_id: int, roster: Roster) -> None:
    """Mark rows that would link, rename or re-phone a person of another kindergarten."""
    state = await _State.load(kindergarten_id)
    state.issues = []
    await _sync(state, roster, write=False)
    roster.issues.extend(state.issues)


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
    #: Persons of this kindergarten who also belong elsewhere: their name and phone stay.
    shared: set[int]
    #: (name, phone) of people on record only elsewhere, for the rows naming them.
    elsewhere: set[tuple[str, str]] = dataclass_field(default_factory=set)
    #: Collected in a check (None while planning or writing).
    issues: list[Issue] | None = None

    @classmethod
    async def load(cls, kindergarten_id: int) -> _State:
        """Read everything the import matches against, in a few queries."""
        teachers = await Teacher.filter(kindergarten_id=kindergarten_id).prefetch_related("person")
        by_phone: dict[str, Teacher] = {}
        phoneless: dict[str, list[Teacher]] = {}
        for t in sorted(teachers, key=lambda t: t.id):
            if t.person.phone:
                by_phone.setdefault(t.person.phone, t)
            else:
                phoneless.setdefault(t.person.name, []).append(t)
        # The accounts domain's grants, read through grant_links.
        grants = await holders(role="teacher", scope_kind="kindergarten", scope_id=kindergarten_id)
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
        people = {t.person_id for t in teachers} | {g.person_id for g in guardians}
        prints = await footprints(people)
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
            shared={pid for pid, fp in prints.items() if not fp.within({kindergarten_id})},
        )

    async def note_people_elsewhere(self, rows: list[TeacherRow]) -> None:
        """Remember which new rows name a person on record only outside this kindergarten."""
        known = set(self.teachers_by_phone)
        phones = sorted({r.phone for r in rows if r.phone and r.phone not in known})
        if not phones:
            return
        found = await Person.filter(phone__in=phones).values_list("id", "name", "phone")
        prints = await footprints(pid for pid, _, _ in found)
        for pid, name, phone in found:
            if not prints[pid].within({self.kindergarten_id}):
                self.elsewhere.add((name, phone))

    def refuse(self, row: TeacherRow | ChildRow, sheet: str, column: str | None, why: str) -> None:
        """Record a refused row when checking (writing, the caller just leaves the person be)."""
        if self.issues is not None:
            row.ok = False
            self.issues.append(Issue(sheet, row.row, column, why))


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

    await state.note_people_elsewhere(teachers)
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
        if (row.name, row.phone) in state.elsewhere:
            # Never a silent link, never a second record of her: she confirms by invitation.
            state.refuse(row, TEACHER_SHEET, None, TEACHER_ELSEWHERE)
            return
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
    if person_changes and person.id in state.shared:
        column = "姓名" if "name" in person_changes else "手机号"
        state.refuse(row, TEACHER_SHEET, column, SHARED_TEACHER)
        person_changes = {}
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
    if renamed and person.id in state.shared:
        state.refuse(row, CHILD_SHEET, "家长姓名", SHARED_PARENT)
        renamed = False
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
