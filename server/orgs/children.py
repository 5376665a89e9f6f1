"""Children (幼儿) and their guardians: the least we need, shown to the fewest people.

Children's names are seen by the staff of their kindergarten and admins only; a
parent sees her own child's record; leaders see class sizes, never names.
"""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from server.common.auth import Principal
from server.common.errors import DomainError, NotFound
from server.orgs.classes import get_class_row
from server.orgs.grant_links import drop_scope_grants, take_grants
from server.orgs.models import Child, Guardian, SchoolClass
from server.orgs.people import find_or_create_person, sees_full_phones, shown_phone
from server.orgs.scope import ensure_can_see_children, ensure_directs_kindergarten
from server.orgs.validation import clean_name, normalise_phone, paginate


def child_view(child: Child, kindergarten_id: int) -> dict:
    """A child: name and class."""
    return {
        "id": child.id,
        "name": child.name,
        "class_id": child.school_class_id,
        "kindergarten_id": kindergarten_id,
    }


def guardian_view(g: Guardian, *, full_phone: bool) -> dict:
    """A guardian; the phone masked unless the caller may see it whole."""
    return {
        "id": g.id,
        "person_id": g.person_id,
        "child_id": g.child_id,
        "name": g.person.name,
        "phone": shown_phone(g.person.phone, full=full_phone),
        "relation": g.relation,
    }


async def _child(child_id: int) -> Child:
    child = await Child.get_or_none(id=child_id).prefetch_related("school_class")
    if child is None:
        raise NotFound("幼儿")
    return child


async def _ensure_can_read_child(principal: Principal, child: Child) -> None:
    """Staff of the kindergarten, admins, and the child's own parents."""
    if child.id in principal.scope_ids("child", ["parent"]):
        return
    if principal.has("teacher", "organizer", "director"):
        await ensure_can_see_children(
            principal=principal, kindergarten_id=child.school_class.kindergarten_id, missing="幼儿"
        )
        return
    # Another family's child is answered as one that does not exist (no probing of ids).
    raise NotFound("幼儿")


async def list_children(*, principal: Principal, class_id: int, limit: int, offset: int) -> dict:
    """Children of a class, by name (staff of the kindergarten and admins only)."""
    c = await get_class_row(class_id)
    await ensure_can_see_children(
        principal=principal, kindergarten_id=c.kindergarten_id, missing="班级"
    )
    query = Child.filter(school_class_id=c.id).order_by("id")
    return await paginate(
        query, limit=limit, offset=offset, view=lambda ch: child_view(ch, c.kindergarten_id)
    )


async def get_child(*, principal: Principal, child_id: int) -> dict:
    """One child with her class and guardians."""
    child = await _child(child_id)
    await _ensure_can_read_child(principal, child)
    kid = child.school_class.kindergarten_id
    data = child_view(child, kid)
    data["class_name"] = child.school_class.name
    data["guardians"] = await _guardians(child, full_phone=sees_full_phones(principal, kid))
    return data


async def create_child(*, principal: Principal, class_id: int, name: str) -> dict:
    """Enrol a child in a class."""
    c = await get_class_row(class_id)
    await ensure_directs_kindergarten(
        principal=principal, kindergarten_id=c.kindergarten_id, missing="班级"
    )
    child = await Child.create(
        school_class_id=c.id, name=clean_name(name, what="幼儿姓名", max_length=32)
    )
    return child_view(child, c.kindergarten_id)


async def update_child(*, principal: Principal, child_id: int, changes: dict) -> dict:
    """Correct a child's name or move her to another class of the same kindergarten."""
    child = await _child(child_id)
    kid = child.school_class.kindergarten_id
    await ensure_directs_kindergarten(principal=principal, kindergarten_id=kid, missing="幼儿")
    if "name" in changes:
        child.name = clean_name(changes["name"], what="幼儿姓名", max_length=32)
    if changes.get("class_id") is not None:
        target = await SchoolClass.get_or_none(id=changes["class_id"])
        # Another kindergarten's class and an unknown id get the same answer.
        if target is None or target.kindergarten_id != kid:
            raise DomainError("class_other_kindergarten", "只能转到本园的其他班级")
        child.school_class_id = target.id
    await child.save()
    return child_view(child, kid)


async def delete_child(*, principal: Principal, child_id: int) -> None:
    """Remove a child, her guardian links and her parents' access to her record."""
    child = await _child(child_id)
    await ensure_directs_kindergarten(
        principal=principal, kindergarten_id=child.school_class.kindergarten_id, missing="幼儿"
    )
    async with in_transaction():
        await drop_scope_grants(scope_kind="child", scope_id=child.id)
        await Guardian.filter(child_id=child.id).delete()
        await child.delete()


async def _guardians(child: Child, *, full_phone: bool) -> list[dict]:
    rows = await Guardian.filter(child_id=child.id).order_by("id").prefetch_related("person")
    return [guardian_view(g, full_phone=full_phone) for g in rows]


async def list_guardians(*, principal: Principal, child_id: int, limit: int, offset: int) -> dict:
    """Guardians of a child (her kindergarten's staff, admins, her own parents)."""
    child = await _child(child_id)
    await _ensure_can_read_child(principal, child)
    full = sees_full_phones(principal, child.school_class.kindergarten_id)
    query = Guardian.filter(child_id=child.id).order_by("id").prefetch_related("person")
    return await paginate(
        query, limit=limit, offset=offset, view=lambda g: guardian_view(g, full_phone=full)
    )


async def add_guardian(
    *,
    principal: Principal,
    child_id: int,
    name: str,
    phone: str | None = None,
    relation: str = "家长",
) -> dict:
    """Record a guardian of a child (she binds her WeChat later with an invitation)."""
    child = await _child(child_id)
    await ensure_directs_kindergarten(
        principal=principal, kindergarten_id=child.school_class.kindergarten_id, missing="幼儿"
    )
    name = clean_name(name, what="家长姓名", max_length=32)
    phone = normalise_phone(phone)
    relation = clean_name(relation, what="与幼儿关系", max_length=8)
    duplicate = DomainError("duplicate", "此人已是该幼儿的家长")
    async with in_transaction():
        person = await find_or_create_person(principal=principal, name=name, phone=phone)
        if await Guardian.exists(person_id=person.id, child_id=child.id):
            raise duplicate
        try:
            guardian = await Guardian.create(person=person, child_id=child.id, relation=relation)
        except IntegrityError as exc:
            raise duplicate from exc
    guardian.person = person
    return guardian_view(guardian, full_phone=True)


async def remove_guardian(*, principal: Principal, child_id: int, guardian_id: int) -> None:
    """Unlink a guardian from a child and end her parent access to this child."""
    child = await _child(child_id)
    await ensure_directs_kindergarten(
        principal=principal, kindergarten_id=child.school_class.kindergarten_id, missing="幼儿"
    )
    guardian = await Guardian.get_or_none(id=guardian_id, child_id=child.id)
    if guardian is None:
        raise NotFound("家长")
    async with in_transaction():
        await take_grants(
            person_id=guardian.person_id, roles=("parent",), scope_kind="child", scope_id=child.id
        )
        await guardian.delete()
