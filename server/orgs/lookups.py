"""Small read-only lookups other domains need (ids only, no personal data)."""

from __future__ import annotations

from collections.abc import Iterable

from server.orgs.models import (
    Alliance,
    Child,
    Grade,
    Guardian,
    Kindergarten,
    Pairing,
    Person,
    Region,
    SchoolClass,
    Teacher,
)


async def pairing_sides(*, pairing_id: int) -> tuple[int, int]:
    """(supporting, supported) kindergarten ids of a pairing; () if it is gone."""
    row = await Pairing.filter(id=pairing_id).values_list("supporting_id", "supported_id")
    return tuple(row[0]) if row else ()


async def alliance_lead_id(*, alliance_id: int) -> int | None:
    """The lead kindergarten of an alliance, if set."""
    row = await Alliance.filter(id=alliance_id).values_list("lead_id", flat=True)
    return row[0] if row else None


async def alliance_name(*, alliance_id: int) -> str | None:
    """An alliance's name; None when there is no such alliance."""
    row = await Alliance.filter(id=alliance_id).values_list("name", flat=True)
    return row[0] if row else None


async def pairing_ids_of_alliance(*, alliance_id: int) -> set[int]:
    """Pairings that belong to an alliance."""
    return set(await Pairing.filter(alliance_id=alliance_id).values_list("id", flat=True))


async def alliance_member_ids(*, alliance_id: int) -> set[int]:
    """Kindergartens of an alliance."""
    return set(await Kindergarten.filter(alliance_id=alliance_id).values_list("id", flat=True))


async def kindergartens_of_children(*, child_ids: set[int]) -> set[int]:
    """Kindergartens the given children attend."""
    return set(
        await Child.filter(id__in=list(child_ids)).values_list(
            "school_class__kindergarten_id", flat=True
        )
    )


async def pairing_ids_of_kindergartens(*, kindergarten_ids: set[int]) -> set[int]:
    """Pairings in which any of the kindergartens takes part."""
    ids = list(kindergarten_ids)
    given = await Pairing.filter(supporting_id__in=ids).values_list("id", flat=True)
    received = await Pairing.filter(supported_id__in=ids).values_list("id", flat=True)
    return set(given) | set(received)


async def staff_kindergarten_ids_of(*, person_id: int) -> set[int]:
    """Kindergartens where the person is active staff."""
    return set(
        await Teacher.filter(person_id=person_id, active=True).values_list(
            "kindergarten_id", flat=True
        )
    )


async def child_kindergarten_ids_of_guardian(*, person_id: int) -> set[int]:
    """Kindergartens of the children a person is guardian of."""
    return set(
        await Guardian.filter(person_id=person_id).values_list(
            "child__school_class__kindergarten_id", flat=True
        )
    )


async def existing_person_ids(*, person_ids: list[int]) -> set[int]:
    """Which of the given person ids exist."""
    return set(await Person.filter(id__in=person_ids).values_list("id", flat=True))


async def person_names(*, person_ids: list[int]) -> dict[int, str]:
    """Names of the given people, for the organizer's own views."""
    rows = await Person.filter(id__in=person_ids).values_list("id", "name")
    return dict(rows)


async def staff_person_ids(*, kindergarten_ids: set[int]) -> set[int]:
    """Active staff of the given kindergartens."""
    if not kindergarten_ids:
        return set()
    return set(
        await Teacher.filter(kindergarten_id__in=list(kindergarten_ids), active=True).values_list(
            "person_id", flat=True
        )
    )


async def staff_among(*, person_ids: Iterable[int], kindergarten_ids: Iterable[int]) -> set[int]:
    """Which of the given people are active staff of any of the given kindergartens."""
    people, kindergartens = list(set(person_ids)), list(set(kindergarten_ids))
    if not people or not kindergartens:
        return set()
    return set(
        await Teacher.filter(
            person_id__in=people, kindergarten_id__in=kindergartens, active=True
        ).values_list("person_id", flat=True)
    )


async def guardian_person_ids(*, kindergarten_ids: set[int]) -> set[int]:
    """Guardians of children of the given kindergartens."""
    if not kindergarten_ids:
        return set()
    return set(
        await Guardian.filter(
            child__school_class__kindergarten_id__in=list(kindergarten_ids)
        ).values_list("person_id", flat=True)
    )


async def guardian_links(
    *,
    kindergarten_id: int,
    whole: bool = False,
    grades: set[str] | frozenset[str] = frozenset(),
    class_ids: set[int] | frozenset[int] = frozenset(),
    person_ids: set[int] | frozenset[int] = frozenset(),
) -> list[tuple[int, int, int]]:
    """(guardian person, child, class) of a kindergarten's children: all of them when
    `whole`, else those in the grades, in the classes or among the named guardians."""
    from tortoise.expressions import Q

    query = Q(child__school_class__kindergarten_id=kindergarten_id)
    if not whole:
        wanted = []
        if grades:
            wanted.append(Q(child__school_class__grade__in=list(grades)))
        if class_ids:
            wanted.append(Q(child__school_class_id__in=list(class_ids)))
        if person_ids:
            wanted.append(Q(person_id__in=list(person_ids)))
        if not wanted:
            return []
        query &= Q(*wanted, join_type="OR")
    rows = await Guardian.filter(query).values_list(
        "person_id", "child_id", "child__school_class_id"
    )
    return [tuple(row) for row in rows]


async def classes_of_kindergarten(*, kindergarten_id: int) -> dict[int, tuple[str, str]]:
    """A kindergarten's classes: id -> (name, grade)."""
    rows = await SchoolClass.filter(kindergarten_id=kindergarten_id).values_list(
        "id", "name", "grade"
    )
    return {cid: (name, str(grade)) for cid, name, grade in rows}


async def kindergarten_names(*, kindergarten_ids: set[int]) -> dict[int, str]:
    """Names of the given kindergartens."""
    rows = await Kindergarten.filter(id__in=list(kindergarten_ids)).values_list("id", "name")
    return dict(rows)


def grade_names() -> tuple[str, ...]:
    """The class grades a kindergarten may have (托班, 小班 …)."""
    return tuple(g.value for g in Grade)


async def workplace_names(*, person_ids: Iterable[int]) -> dict[int, str]:
    """The kindergarten(s) each person works at (active staff), names joined by 、."""
    people = list(set(person_ids))
    if not people:
        return {}
    rows = (
        await Teacher.filter(person_id__in=people, active=True)
        .order_by("kindergarten_id")
        .values_list("person_id", "kindergarten__name")
    )
    out: dict[int, list[str]] = {}
    for person_id, name in rows:
        out.setdefault(person_id, []).append(name)
    return {pid: "、".join(dict.fromkeys(names)) for pid, names in out.items()}


async def issuing_bodies(*, kindergarten_id: int) -> dict | None:
    """A kindergarten's name and who may issue papers for it: its region's education bureau
    (the bureau's name, else the region's name + 教育局) and its alliance (None when it has
    none). None when there is no such kindergarten."""
    kg = await Kindergarten.get_or_none(id=kindergarten_id).prefetch_related("region", "alliance")
    if kg is None:
        return None
    region = kg.region
    return {
        "kindergarten": kg.name,
        "region": region.bureau_name or f"{region.name}教育局",
        "alliance": kg.alliance.name if kg.alliance else None,
    }


async def staff_in_list_order(*, kindergarten_id: int) -> list[int]:
    """A kindergarten's active staff, in the order of its staff list (the roster's order)."""
    rows = await Teacher.filter(kindergarten_id=kindergarten_id, active=True).order_by("id")
    return list(dict.fromkeys(row.person_id for row in rows))


async def child_kindergarten_id(*, child_id: int) -> int | None:
    """The kindergarten of a child's class, or None when there is no such child."""
    row = await Child.filter(id=child_id).values_list("school_class__kindergarten_id", flat=True)
    return row[0] if row else None


async def is_guardian(*, person_id: int, child_id: int) -> bool:
    """True when the person is a guardian of the child."""
    return await Guardian.exists(person_id=person_id, child_id=child_id)


async def is_staff_on_record(*, person_id: int, kindergarten_id: int) -> bool:
    """True when the person is on the kindergarten's staff list (active or not)."""
    return await Teacher.exists(person_id=person_id, kindergarten_id=kindergarten_id)


async def scope_exists(*, scope_kind: str, scope_id: int) -> bool:
    """True when the region, alliance or kindergarten with this id exists."""
    model = {"region": Region, "alliance": Alliance, "kindergarten": Kindergarten}[scope_kind]
    return await model.exists(id=scope_id)
