"""The one world builder of the tests: a region with a supporting and a supported kindergarten,
paired, and whatever else a package's tests need, said by a `Setting`.

Each package names its usual setting once (tests/activities/helpers.py `ACTIVITIES`,
tests/archive/helpers.py `ARCHIVE`, tests/ledger/helpers.py `LEDGER` …) and its tests call
``await make_world(client, ARCHIVE)``. The people of a setting are reached by their names,
``world.organizer``, as attributes of the world.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import date

import httpx

from server.orgs.models import (
    Alliance,
    Kindergarten,
    KindergartenLevel,
    Pairing,
    Person,
    Region,
    Teacher,
)
from tests.support.factories import (
    LoggedIn,
    login,
    login_as,
    make_alliance,
    make_kindergarten,
    make_person,
    make_region,
    unique,
)

#: The pairing cycle most tests use (2026-03 – 2028-03).
CYCLE = (date(2026, 3, 1), date(2028, 3, 1))


async def make_pairing(
    supporting: Kindergarten,
    supported: Kindergarten,
    *,
    alliance: Alliance | None = None,
    targets: dict | None = None,
    cycle: tuple[date, date] = CYCLE,
) -> Pairing:
    """A pairing of `supporting` with `supported` over `cycle`, default targets unless given."""
    return await Pairing.create(
        supporting=supporting,
        supported=supported,
        alliance=alliance,
        cycle_start=cycle[0],
        cycle_end=cycle[1],
        targets=targets or {},
    )


@dataclass(frozen=True)
class Who:
    """A person of the world holding `role` on one side ("supporting", "supported" or "region").

    Without a `name` she is a fresh person holding the grant only (as `login_as` makes her);
    with one she is named, and a teacher of her kindergarten when `teacher`.
    """

    role: str
    side: str
    name: str | None = None
    teacher: bool = False


@dataclass(frozen=True)
class Setting:
    """What a world holds beyond the region, the two kindergartens and their pairing."""

    #: Kindergarten names (made unique with a number when `unique_names`), default fresh ones.
    supporting_name: str | None = None
    supported_name: str | None = None
    unique_names: bool = False
    supporting_level: KindergartenLevel = KindergartenLevel.VILLAGE
    #: Both kindergartens in one alliance led by the supporting one, the pairing under it.
    alliance: bool = False
    cycle: tuple[date, date] = CYCLE
    targets: dict | None = None
    #: A teacher of the supporting kindergarten presenting (a 骨干教师 when `key_presenter`).
    presenter: bool = False
    key_presenter: bool = False
    #: Makes the world's activity, once kindergartens and pairing exist.
    activity: Callable[[World], Awaitable[object]] | None = None
    #: The people, logged in, by the name the tests reach them with.
    people: dict[str, Who] = field(default_factory=dict)


@dataclass
class World:
    """A region's pairing and what its setting asked for; people as attributes by name."""

    region: Region
    supporting: Kindergarten
    supported: Kindergarten
    pairing: Pairing
    alliance: Alliance | None = None
    presenter: Person | None = None
    activity: object | None = None
    people: dict[str, LoggedIn] = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    def __getattr__(self, name: str) -> LoggedIn:
        people = self.__dict__.get("people") or {}
        if name in people:
            return people[name]
        raise AttributeError(f"this world has no {name!r} (its people: {sorted(people)})")


def _name(setting: Setting, name: str | None) -> str | None:
    return unique(name) if name and setting.unique_names else name


async def _person(client: httpx.AsyncClient, world: World, who: Who) -> LoggedIn:
    if who.side == "region":
        kind, scope = "region", world.region
    else:
        kind, scope = "kindergarten", getattr(world, who.side)
    if who.name is None and not who.teacher:
        return await login_as(client, who.role, scope_kind=kind, scope_id=scope.id)
    person = await make_person(
        who.name,
        grants=((who.role, kind, scope.id),),
        teacher_of=scope if who.teacher else None,
    )
    return await login(client, unique(f"{who.role}-"), person=person)


async def make_world(
    client: httpx.AsyncClient | None, setting: Setting = Setting(), **changes
) -> World:
    """A world as `setting` says (with `changes` to its fields); people log in through `client`."""
    setting = replace(setting, **changes) if changes else setting
    region = await make_region()
    alliance = await make_alliance(region) if setting.alliance else None
    supporting = await make_kindergarten(
        region,
        alliance=alliance,
        level=setting.supporting_level,
        name=_name(setting, setting.supporting_name),
    )
    supported = await make_kindergarten(
        region, alliance=alliance, name=_name(setting, setting.supported_name)
    )
    if alliance is not None:
        alliance.lead_id = supporting.id
        await alliance.save()
    pairing = await make_pairing(
        supporting, supported, alliance=alliance, targets=setting.targets, cycle=setting.cycle
    )
    world = World(region, supporting, supported, pairing, alliance=alliance)
    if setting.activity is not None:
        world.activity = await setting.activity(world)
    if setting.presenter or setting.key_presenter:
        world.presenter = await make_person()
        await Teacher.create(
            person=world.presenter, kindergarten=supporting, is_key_teacher=setting.key_presenter
        )
    if setting.people and client is None:
        raise ValueError("a world with people needs the api client to log them in")
    for name, who in setting.people.items():
        world.people[name] = await _person(client, world, who)
    return world
