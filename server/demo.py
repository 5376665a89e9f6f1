"""`songjiao demo`: load the invented county 湘江县 so every screen has something to show.

Idempotent: every row is found by its natural key before it is created, so a second run
changes nothing. The demo login codes work with the WeChat sandbox (the code decides the
openid), see docs/demo-logins.md.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tortoise import Tortoise
from tortoise.transactions import in_transaction

from server import demo_data as d
from server.accounts.models import Account, RoleGrant, WebCredential
from server.accounts.web_login import set_password
from server.activities.models import Activity
from server.db import tortoise_config
from server.demo_history import load_history
from server.orgs.models import (
    DEFAULT_PAIRING_TARGETS,
    Alliance,
    Child,
    Grade,
    Guardian,
    Kindergarten,
    KindergartenLevel,
    LeadingGroup,
    LeadingGroupMember,
    Pairing,
    Person,
    Region,
    SchoolClass,
    Teacher,
)
from server.settings import Settings
from server.wiring import connect

#: Roles that come with a staff title, besides teacher.
TITLE_ROLES = {"园长": "director", "保教主任": "organizer"}
DEMO_ALLIANCE = "湘江县实验幼儿园发展联盟"


@asynccontextmanager
async def _database(settings: Settings) -> AsyncIterator[None]:
    # Inside the api (or tests) the ORM is already open and must stay open.
    if Tortoise.is_inited():
        yield
        return
    connect()  # demo data goes through domains' services, which call each other's hooks
    await Tortoise.init(config=tortoise_config(settings, with_aerich=False))
    try:
        yield
    finally:
        await Tortoise.close_connections()


async def load_demo(settings: Settings, *, history: bool = True) -> str:
    """Load (or refresh) the demo county; answers a Chinese summary with the login codes.

    Without `history` the county starts empty of activities, check-ins and posts: its first
    week of use (the end-to-end week test acts one out on it).
    """
    if settings.env == "production":
        raise SystemExit("拒绝在生产环境（SONGJIAO_ENV=production）载入演示数据。")
    async with _database(settings):
        async with in_transaction():
            region = await _load(settings, history=history)
        counts = await _counts(region)
    return summary_text(counts)


async def _person(name: str, phone: str) -> Person:
    person = await Person.filter(phone=phone).order_by("id").first()
    if person is None:
        return await Person.create(name=name, phone=phone)
    if person.name != name:
        person.name = name
        await person.save(update_fields=["name"])
    return person


async def _grant(person: Person, role: str, scope_kind: str, scope_id: int) -> None:
    await RoleGrant.get_or_create(
        person=person, role=role, scope_kind=scope_kind, scope_id=scope_id
    )


async def _load(settings: Settings, *, history: bool) -> Region:
    region, _ = await Region.update_or_create(
        name=d.REGION["name"], defaults={"bureau_name": d.REGION["bureau_name"]}
    )
    kgs: dict[str, Kindergarten] = {}
    for key, (name, level, address, lat, lng) in d.KINDERGARTENS.items():
        kgs[key], _ = await Kindergarten.update_or_create(
            region=region,
            name=name,
            defaults={
                "level": KindergartenLevel(level),
                "address": address,
                "lat": lat,
                "lng": lng,
            },
        )
    alliances = await _alliances(region, kgs)
    alliance_of = {m: alliances[name] for name, (_, ms) in d.ALLIANCES.items() for m in ms}
    for supporting, supported in d.PAIRINGS:
        await Pairing.get_or_create(
            supporting=kgs[supporting],
            supported=kgs[supported],
            cycle_start=d.CYCLE_START,
            defaults={
                "cycle_end": d.CYCLE_END,
                "agreement_date": d.AGREEMENT,
                "targets": dict(DEFAULT_PAIRING_TARGETS),
                "alliance": alliance_of.get(supporting),
                "note": "结对周期两年，签订帮扶协议",
            },
        )
    staff = await _staff(kgs)
    guardians = await _classes(kgs)
    await _leading_groups(alliances, staff)
    await _demo_logins(region, alliances, staff, guardians)
    if history:
        await load_history(kgs, staff, settings)
    return region


async def _alliances(region: Region, kgs: dict[str, Kindergarten]) -> dict[str, Alliance]:
    alliances = {}
    for name, (lead, members) in d.ALLIANCES.items():
        alliance, _ = await Alliance.get_or_create(region=region, name=name)
        if alliance.lead_id != kgs[lead].id:
            alliance.lead_id = kgs[lead].id
            await alliance.save(update_fields=["lead_id"])
        await Kindergarten.filter(id__in=[kgs[m].id for m in members]).update(
            alliance_id=alliance.id
        )
        alliances[name] = alliance
    return alliances


async def _staff(kgs: dict[str, Kindergarten]) -> dict[tuple[str, int], Person]:
    staff = {}
    for k, (key, kg) in enumerate(kgs.items()):
        for i, (title, key_teacher) in enumerate(d.STAFF):
            n = k * len(d.STAFF) + i
            person = await _person(d.teacher_name(n), d.teacher_phone(n))
            await Teacher.update_or_create(
                person=person,
                kindergarten=kg,
                defaults={
                    "title": title,
                    "is_key_teacher": key_teacher and kg.level.value in d.MODEL_LEVELS,
                    "active": True,
                },
            )
            await _grant(person, "teacher", "kindergarten", kg.id)
            if title in TITLE_ROLES:
                await _grant(person, TITLE_ROLES[title], "kindergarten", kg.id)
            staff[(key, i)] = person
    return staff


async def _classes(kgs: dict[str, Kindergarten]) -> dict[tuple[str, str, int], tuple]:
    guardians = {}
    n = 0
    for key, kg in kgs.items():
        for class_name, grade in d.CLASSES:
            school_class, _ = await SchoolClass.update_or_create(
                kindergarten=kg, name=class_name, defaults={"grade": Grade(grade)}
            )
            for j in range(d.CHILDREN_PER_CLASS):
                child, _ = await Child.get_or_create(
                    school_class=school_class, name=d.child_name(n)
                )
                name, phone, relation = d.parent_of(n)
                parent = await _person(name, phone)
                await Guardian.update_or_create(
                    person=parent, child=child, defaults={"relation": relation}
                )
                guardians[(key, class_name, j)] = (parent, child)
                n += 1
    return guardians


async def _leading_groups(alliances: dict[str, Alliance], staff: dict) -> None:
    for name, (lead, members) in d.ALLIANCES.items():
        group, _ = await LeadingGroup.get_or_create(
            name=f"{name}领导小组", alliance=alliances[name], pairing=None
        )
        seats = [(staff[(lead, 0)], "组长", d.DUTIES[0])]
        seats.append((staff[(members[1], 0)], "副组长", d.DUTIES[1]))
        for k, member in enumerate(members):
            seats.append((staff[(member, 1)], "成员", d.DUTIES[2 + k % (len(d.DUTIES) - 2)]))
        for person, position, duty in seats:
            await LeadingGroupMember.update_or_create(
                group=group, person=person, defaults={"position": position, "duty": duty}
            )


async def _demo_logins(region: Region, alliances: dict, staff: dict, guardians: dict) -> None:
    from server.wechat.sandbox import openid_for

    for code, _, spec in d.DEMO_LOGINS:
        kind, *rest = spec.split(":")
        if kind == "staff":
            person = staff[(rest[0], int(rest[1]))]
        elif kind == "child":
            person, child = guardians[(rest[0], rest[1], int(rest[2]))]
            await _grant(person, "parent", "child", child.id)
        else:
            person = await _person(rest[1], rest[0])
        if code == "demo-admin":
            await _grant(person, "admin", "global", 0)
        elif code == "demo-leader":
            await _grant(person, "leader", "region", region.id)
        elif code == "demo-alliance-leader":
            await _grant(person, "leader", "alliance", alliances[DEMO_ALLIANCE].id)
        account, _ = await Account.get_or_create(openid=openid_for(code))
        if account.person_id != person.id:
            account.person_id = person.id
            await account.save(update_fields=["person_id"])
        if code in d.CONSOLE_LOGINS and not await WebCredential.exists(account=account):
            await set_password(account_id=account.id, login=code, password=d.CONSOLE_PASSWORD)


async def _counts(region: Region) -> dict[str, int]:
    return {
        "kindergartens": await Kindergarten.filter(region=region).count(),
        "alliances": await Alliance.filter(region=region).count(),
        "pairings": await Pairing.filter(supporting__region=region).count(),
        "teachers": await Teacher.filter(kindergarten__region=region).count(),
        "classes": await SchoolClass.filter(kindergarten__region=region).count(),
        "children": await Child.filter(school_class__kindergarten__region=region).count(),
        "guardians": await Guardian.filter(
            child__school_class__kindergarten__region=region
        ).count(),
        "activities": await Activity.filter(host__region=region).count(),
    }


def login_person_name(spec: str) -> str:
    """The name behind a DEMO_LOGINS spec, computed without the database."""
    kind, *rest = spec.split(":")
    keys = list(d.KINDERGARTENS)
    if kind == "staff":
        return d.teacher_name(keys.index(rest[0]) * len(d.STAFF) + int(rest[1]))
    if kind == "child":
        class_index = [c for c, _ in d.CLASSES].index(rest[1])
        n = (keys.index(rest[0]) * len(d.CLASSES) + class_index) * d.CHILDREN_PER_CLASS
        return d.parent_of(n + int(rest[2]))[0]
    return rest[1]


def demo_logins_markdown() -> str:
    """The table of demo login codes (also in docs/demo-logins.md)."""
    lines = ["| 登录码 | 身份 | 姓名 |", "|---|---|---|"]
    for code, label, spec in d.DEMO_LOGINS:
        lines.append(f"| `{code}` | {label} | {login_person_name(spec)} |")
    return "\n".join(lines)


def demo_logins_banner() -> str:
    """The demo login codes and roles as printed at start-up: no person's name.

    What a process prints ends up in its logs; names stay in docs/demo-logins.md.
    """
    lines = ["| 登录码 | 身份 |", "|---|---|"]
    lines += [f"| `{code}` | {label} |" for code, label, _ in d.DEMO_LOGINS]
    return "\n".join(lines)


def summary_text(counts: dict[str, int]) -> str:
    """The Chinese summary printed by `songjiao demo`."""
    return (
        f"演示数据已就绪：{d.REGION['name']}（{d.REGION['bureau_name']}），"
        f"{counts['alliances']} 个联盟，{counts['kindergartens']} 所幼儿园，"
        f"{counts['pairings']} 个结对，{counts['teachers']} 名教职工，"
        f"{counts['classes']} 个班级，{counts['children']} 名幼儿，"
        f"{counts['guardians']} 位家长，本学期 {counts.get('activities', 0)} 场帮扶活动。\n"
        '演示登录码（小程序登录时的 code，或 POST /api/v1/auth/login {"code": "…"}）：\n'
        + demo_logins_banner()
        + "\n姓名见 docs/demo-logins.md。\n"
        + demo_console_text()
    )


def demo_console_text() -> str:
    """How to log in to the web console with the demo (also in docs/demo-logins.md)."""
    names = "、".join(f"`{c}`" for c in d.CONSOLE_LOGINS)
    return (
        f"管理后台 /console 密码登录：登录名 {names}（同上表登录码），"
        f"密码均为 `{d.CONSOLE_PASSWORD}`。"
    )
