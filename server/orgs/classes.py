"""Classes (班级) of a kindergarten."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count

from server.common.auth import Principal
from server.common.errors import DomainError, NotFound
from server.orgs.models import Child, Grade, SchoolClass
from server.orgs.scope import ensure_can_see_staff, ensure_directs_kindergarten
from server.orgs.validation import clean_name, paginate

GRADES = [g.value for g in Grade]


def class_view(c: SchoolClass, children_count: int | None = None) -> dict:
    """A class as the clients show it: a count of children, never their names."""
    data = {
        "id": c.id,
        "kindergarten_id": c.kindergarten_id,
        "name": c.name,
        "grade": c.grade.value,
    }
    if children_count is not None:
        data["children_count"] = children_count
    return data


def parse_grade(value: str | None) -> Grade:
    """A grade from its Chinese name, or a refusal listing the valid ones."""
    try:
        return Grade(value)
    except ValueError as exc:
        raise DomainError("invalid_grade", f"年级只能是：{'、'.join(GRADES)}") from exc


async def get_class_row(class_id: int) -> SchoolClass:
    """A class or NotFound."""
    c = await SchoolClass.get_or_none(id=class_id)
    if c is None:
        raise NotFound("班级")
    return c


async def _ensure_unique(kindergarten_id: int, name: str, exclude_id: int | None = None) -> None:
    query = SchoolClass.filter(kindergarten_id=kindergarten_id, name=name)
    if exclude_id is not None:
        query = query.exclude(id=exclude_id)
    if await query.exists():
        raise DomainError("duplicate", f"本园已有名为“{name}”的班级")


async def list_classes(
    *, principal: Principal, kindergarten_id: int, limit: int, offset: int
) -> dict:
    """Classes of a kindergarten with the number of children in each."""
    await ensure_can_see_staff(principal=principal, kindergarten_id=kindergarten_id)
    query = SchoolClass.filter(kindergarten_id=kindergarten_id).order_by("id")
    page = await paginate(query, limit=limit, offset=offset, view=lambda c: c)
    counts = dict(
        await Child.filter(school_class_id__in=[c.id for c in page["items"]])
        .annotate(n=Count("id"))
        .group_by("school_class_id")
        .values_list("school_class_id", "n")
    )
    page["items"] = [class_view(c, counts.get(c.id, 0)) for c in page["items"]]
    return page


async def get_class(*, principal: Principal, class_id: int) -> dict:
    """One class with its number of children."""
    c = await get_class_row(class_id)
    await ensure_can_see_staff(
        principal=principal, kindergarten_id=c.kindergarten_id, missing="班级"
    )
    return class_view(c, await Child.filter(school_class_id=c.id).count())


async def create_class(
    *, principal: Principal, kindergarten_id: int, name: str, grade: str
) -> dict:
    """Open a class (the kindergarten's director or an admin)."""
    await ensure_directs_kindergarten(principal=principal, kindergarten_id=kindergarten_id)
    name = clean_name(name, what="班级名称", max_length=32)
    parsed = parse_grade(grade)
    await _ensure_unique(kindergarten_id, name)
    try:
        c = await SchoolClass.create(kindergarten_id=kindergarten_id, name=name, grade=parsed)
    except IntegrityError as exc:
        raise DomainError("duplicate", f"本园已有名为“{name}”的班级") from exc
    return class_view(c, 0)


async def update_class(*, principal: Principal, class_id: int, changes: dict) -> dict:
    """Rename a class or change its grade."""
    c = await get_class_row(class_id)
    await ensure_directs_kindergarten(
        principal=principal, kindergarten_id=c.kindergarten_id, missing="班级"
    )
    if "name" in changes:
        c.name = clean_name(changes["name"], what="班级名称", max_length=32)
        await _ensure_unique(c.kindergarten_id, c.name, exclude_id=c.id)
    if "grade" in changes:
        c.grade = parse_grade(changes["grade"])
    try:
        await c.save()
    except IntegrityError as exc:
        raise DomainError("duplicate", f"本园已有名为“{c.name}”的班级") from exc
    return class_view(c, await Child.filter(school_class_id=c.id).count())


async def delete_class(*, principal: Principal, class_id: int) -> None:
    """Close an empty class."""
    c = await get_class_row(class_id)
    await ensure_directs_kindergarten(
        principal=principal, kindergarten_id=c.kindergarten_id, missing="班级"
    )
    children = await Child.filter(school_class_id=c.id).count()
    if children:
        raise DomainError(
            "class_not_empty",
            f"该班还有 {children} 名幼儿，请先将幼儿转到其他班级或删除后再删除班级",
            status=409,
        )
    await c.delete()
