"""A notice's audience: checked when chosen, resolved to people when published.

The audience is the union of its parts: the whole kindergarten's families, grades,
classes, named parents and named teachers, all of the sending kindergarten. Guardians of
one child answer together (one family); a guardian of several children counts under her
first matching child's class in the roll-ups.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.common.errors import DomainError
from server.orgs import service as orgs

EMPTY = "请选择通知对象：全园家长、年级、班级，或指定的家长、教师"
PARTS = ("kindergarten", "grades", "class_ids", "parent_ids", "teacher_ids")


@dataclass(frozen=True)
class Recipient:
    """One person the notice goes to."""

    person_id: int
    role: str  #: parent or staff
    family: str
    class_id: int | None


def _refuse(message: str, **details) -> DomainError:
    return DomainError("invalid_audience", message, details=details or None)


def normalise(audience: dict | None) -> dict:
    """Every part present, lists sorted without repeats (so two specs compare equal)."""
    audience = audience or {}
    return {
        "kindergarten": bool(audience.get("kindergarten")),
        "grades": sorted(set(audience.get("grades") or [])),
        "class_ids": sorted(set(audience.get("class_ids") or [])),
        "parent_ids": sorted(set(audience.get("parent_ids") or [])),
        "teacher_ids": sorted(set(audience.get("teacher_ids") or [])),
    }


async def clean_audience(*, kindergarten_id: int, audience: dict | None) -> dict:
    """The audience with every part checked against the kindergarten; empty refused."""
    spec = normalise(audience)
    if not any(spec[p] for p in PARTS):
        raise DomainError("empty_audience", EMPTY)
    bad_grades = [g for g in spec["grades"] if g not in orgs.grade_names()]
    if bad_grades:
        choices = "、".join(orgs.grade_names())
        raise _refuse(f"年级“{bad_grades[0]}”不存在，可选：{choices}", grades=bad_grades)
    if spec["class_ids"]:
        classes = await orgs.classes_of_kindergarten(kindergarten_id=kindergarten_id)
        foreign = [c for c in spec["class_ids"] if c not in classes]
        if foreign:
            raise _refuse(f"班级（编号 {foreign[0]}）不存在或不属于本园", class_ids=foreign)
    if spec["parent_ids"]:
        links = await orgs.guardian_links(
            kindergarten_id=kindergarten_id, person_ids=set(spec["parent_ids"])
        )
        found = {person for person, _, _ in links}
        foreign = [p for p in spec["parent_ids"] if p not in found]
        if foreign:
            raise _refuse(f"人员（编号 {foreign[0]}）不是本园幼儿的家长", parent_ids=foreign)
    if spec["teacher_ids"]:
        staff = await orgs.staff_person_ids(kindergarten_ids={kindergarten_id})
        foreign = [p for p in spec["teacher_ids"] if p not in staff]
        if foreign:
            raise _refuse(f"人员（编号 {foreign[0]}）不是本园在职教职工", teacher_ids=foreign)
    return spec


async def resolve(*, kindergarten_id: int, audience: dict) -> list[Recipient]:
    """Everyone the audience names today, each once; empty refused."""
    links = await orgs.guardian_links(
        kindergarten_id=kindergarten_id,
        whole=bool(audience.get("kindergarten")),
        grades=set(audience.get("grades") or []),
        class_ids=set(audience.get("class_ids") or []),
        person_ids=set(audience.get("parent_ids") or []),
    )
    first_child: dict[int, tuple[int, int]] = {}
    for person_id, child_id, class_id in links:
        known = first_child.get(person_id)
        if known is None or child_id < known[0]:
            first_child[person_id] = (child_id, class_id)
    people = [
        Recipient(person_id, "parent", f"c{child_id}", class_id)
        for person_id, (child_id, class_id) in sorted(first_child.items())
    ]
    teachers = set(audience.get("teacher_ids") or [])
    if teachers:
        # Still staff today (someone may have left since the draft was written).
        teachers &= await orgs.staff_person_ids(kindergarten_ids={kindergarten_id})
    people += [
        Recipient(person_id, "staff", f"p{person_id}", None)
        for person_id in sorted(teachers - set(first_child))
    ]
    if not people:
        raise DomainError("empty_audience", "所选通知对象中目前没有可接收的人，请调整通知对象")
    return people


def label(audience: dict, class_names: dict[int, str]) -> str:
    """The audience in words, e.g. 大班家长、小一班家长、指定教师 2 人."""
    parts = []
    if audience.get("kindergarten"):
        parts.append("全园家长")
    parts += [f"{g}家长" for g in audience.get("grades") or []]
    parts += [f"{class_names.get(c, f'班级{c}')}家长" for c in audience.get("class_ids") or []]
    if audience.get("parent_ids"):
        parts.append(f"指定家长 {len(audience['parent_ids'])} 人")
    if audience.get("teacher_ids"):
        parts.append(f"指定教职工 {len(audience['teacher_ids'])} 人")
    return "、".join(parts)
