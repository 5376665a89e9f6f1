"""Staff (教职工) of a kindergarten, and the persons behind staff and guardians."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from server.audit.service import record_action
from server.common.auth import Principal
from server.common.errors import DomainError, NotFound
from server.orgs.grant_links import give_grant, take_grants
from server.orgs.models import Person, Teacher
from server.orgs.person_scope import ensure_may_change_person, footprints
from server.orgs.scope import ensure_can_see_staff_names, ensure_directs_kindergarten
from server.orgs.validation import clean_name, mask_phone, normalise_phone, paginate

#: Grants a deactivated teacher loses; a director's own grant is a leader's to take.
STAFF_GRANTS = ("teacher", "organizer")


def sees_full_phones(principal: Principal, kindergarten_id: int) -> bool:
    """Only the kindergarten's director and admins see whole phone numbers."""
    return principal.is_admin or kindergarten_id in principal.scope_ids(
        "kindergarten", ["director"]
    )


def shown_phone(phone: str | None, *, full: bool) -> str | None:
    """The phone as this caller may see it."""
    return phone if full else mask_phone(phone)


#: Adding staff who is on record elsewhere: she joins by her own invitation, or an admin adds her.
NEEDS_CONFIRMATION = (
    "此人已在其他幼儿园登记。为保护她的个人信息，需由她本人确认后才能加入本园："
    "请在本园“邀请码”中生成教师邀请码交给她，她在小程序中输入后即加入本园"
    "（课时记录仍为同一份）；也可请管理员添加"
)


async def matching_people(
    *, principal: Principal, name: str, phone: str | None
) -> tuple[Person | None, bool]:
    """(the same-named, same-phoned person the caller may link, whether one exists elsewhere).

    A person is linkable when all her kindergartens are ones the caller directs (admins:
    any); a match outside them is never linked silently (docs/decisions.md).
    """
    if not phone:
        return None, False
    found = await Person.filter(name=name, phone=phone).order_by("id")
    if not found:
        return None, False
    if principal.is_admin:
        return found[0], False
    mine = principal.scope_ids("kindergarten", ["director"])
    prints = await footprints(p.id for p in found)
    for person in found:
        if prints[person.id].within(mine):
            return person, False
    return None, True


async def find_or_create_person(*, principal: Principal, name: str, phone: str | None) -> Person:
    """The same person inside the caller's kindergartens, or a new record (never one elsewhere)."""
    existing, _ = await matching_people(principal=principal, name=name, phone=phone)
    return existing or await Person.create(name=name, phone=phone)


def teacher_view(t: Teacher, *, full_phone: bool) -> dict:
    """A staff member; the phone masked unless the caller may see it whole."""
    return {
        "id": t.id,
        "person_id": t.person_id,
        "kindergarten_id": t.kindergarten_id,
        "name": t.person.name,
        "phone": shown_phone(t.person.phone, full=full_phone),
        "title": t.title,
        "is_key_teacher": t.is_key_teacher,
        "active": t.active,
    }


async def _teacher(teacher_id: int) -> Teacher:
    t = await Teacher.get_or_none(id=teacher_id).prefetch_related("person")
    if t is None:
        raise NotFound("教师")
    return t


async def list_teachers(
    *,
    principal: Principal,
    kindergarten_id: int,
    key_teacher: bool | None = None,
    active: bool | None = None,
    limit: int,
    offset: int,
) -> dict:
    """Staff of a kindergarten, optionally only key teachers or only active ones."""
    await ensure_can_see_staff_names(principal=principal, kindergarten_id=kindergarten_id)
    query = Teacher.filter(kindergarten_id=kindergarten_id).order_by("id")
    if key_teacher is not None:
        query = query.filter(is_key_teacher=key_teacher)
    if active is not None:
        query = query.filter(active=active)
    full = sees_full_phones(principal, kindergarten_id)
    return await paginate(
        query.prefetch_related("person"),
        limit=limit,
        offset=offset,
        view=lambda t: teacher_view(t, full_phone=full),
    )


async def get_teacher(*, principal: Principal, teacher_id: int) -> dict:
    """One staff member."""
    t = await _teacher(teacher_id)
    await ensure_can_see_staff_names(
        principal=principal, kindergarten_id=t.kindergarten_id, missing="教师"
    )
    return teacher_view(t, full_phone=sees_full_phones(principal, t.kindergarten_id))


async def create_teacher(
    *,
    principal: Principal,
    kindergarten_id: int,
    name: str,
    phone: str | None = None,
    title: str = "教师",
    is_key_teacher: bool = False,
) -> dict:
    """Add a staff member: a person, her membership and her teacher role."""
    await ensure_directs_kindergarten(principal=principal, kindergarten_id=kindergarten_id)
    name = clean_name(name, what="姓名", max_length=32)
    phone = normalise_phone(phone)
    title = clean_name(title, what="职务", max_length=16)
    async with in_transaction():
        person, elsewhere = await matching_people(principal=principal, name=name, phone=phone)
        if elsewhere:
            raise DomainError("needs_confirmation", NEEDS_CONFIRMATION, status=409)
        if person is None:
            person = await Person.create(name=name, phone=phone)
        elif not (await footprints([person.id]))[person.id].within({kindergarten_id}):
            # An admin, or a director of all her kindergartens, links her: on record.
            await record_action(
                actor_id=principal.person_id,
                action="staff.link",
                target_type="person",
                target_id=person.id,
                detail={"kindergarten_id": kindergarten_id},
            )
        teacher = await Teacher.get_or_none(person_id=person.id, kindergarten_id=kindergarten_id)
        if teacher is not None and teacher.active:
            raise DomainError("duplicate", "该教师已在本园教职工名单中")
        if teacher is None:
            teacher = await Teacher.create(
                person_id=person.id,
                kindergarten_id=kindergarten_id,
                title=title,
                is_key_teacher=is_key_teacher,
            )
        else:  # a returning teacher: re-admit her
            teacher.title, teacher.is_key_teacher, teacher.active = title, is_key_teacher, True
            await teacher.save()
        await give_grant(
            person_id=person.id, role="teacher", scope_kind="kindergarten", scope_id=kindergarten_id
        )
    teacher.person = person
    return teacher_view(teacher, full_phone=True)


async def update_teacher(*, principal: Principal, teacher_id: int, changes: dict) -> dict:
    """Edit a staff member's name, phone, title or key-teacher flag, or re-admit her."""
    t = await _teacher(teacher_id)
    await ensure_directs_kindergarten(
        principal=principal, kindergarten_id=t.kindergarten_id, missing="教师"
    )
    person = t.person
    before = {"name": person.name, "phone": person.phone}
    if "name" in changes:
        person.name = clean_name(changes["name"], what="姓名", max_length=32)
    if "phone" in changes:
        person.phone = normalise_phone(changes["phone"])
    # Name and phone are the person's, shared by every kindergarten she belongs to.
    edited = [k for k, v in before.items() if getattr(person, k) != v]
    if edited:
        await ensure_may_change_person(principal=principal, person_id=person.id)
    if "title" in changes:
        t.title = clean_name(changes["title"], what="职务", max_length=16)
    if changes.get("is_key_teacher") is not None:
        t.is_key_teacher = changes["is_key_teacher"]
    async with in_transaction():
        if edited:
            await person.save(update_fields=edited)
            await record_action(
                actor_id=principal.person_id,
                action="person.edit",
                target_type="person",
                target_id=person.id,
                detail={"fields": edited, "teacher_id": t.id},
            )
        if changes.get("active") is False:
            await _deactivate(t)
        elif changes.get("active") is True and not t.active:
            t.active = True
            await give_grant(
                person_id=t.person_id,
                role="teacher",
                scope_kind="kindergarten",
                scope_id=t.kindergarten_id,
            )
        await t.save()
    return teacher_view(t, full_phone=True)


async def _deactivate(t: Teacher) -> None:
    t.active = False
    await take_grants(
        person_id=t.person_id,
        roles=STAFF_GRANTS,
        scope_kind="kindergarten",
        scope_id=t.kindergarten_id,
    )


async def deactivate_teacher(*, principal: Principal, teacher_id: int) -> dict:
    """Mark a staff member as gone and take her teacher role away (records stay)."""
    t = await _teacher(teacher_id)
    await ensure_directs_kindergarten(
        principal=principal, kindergarten_id=t.kindergarten_id, missing="教师"
    )
    async with in_transaction():
        await _deactivate(t)
        await t.save(update_fields=["active"])
    return teacher_view(t, full_phone=True)
