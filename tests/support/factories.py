"""Small async factories for test data, and logins through the sandbox."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import httpx

from server.accounts.models import Account, RoleGrant
from server.orgs.models import (
    Alliance,
    Child,
    Grade,
    Guardian,
    Kindergarten,
    KindergartenLevel,
    Person,
    Region,
    SchoolClass,
    Teacher,
)
from server.wechat.sandbox import openid_for

_seq = itertools.count(1)


def unique(prefix: str) -> str:
    """A name that no other test data uses."""
    return f"{prefix}{next(_seq)}"


async def make_region(name: str | None = None) -> Region:
    """A region (教育局)."""
    return await Region.create(name=name or unique("测试县"), bureau_name="测试县教育局")


async def make_alliance(region: Region, name: str | None = None) -> Alliance:
    """An alliance in `region`."""
    return await Alliance.create(region=region, name=name or unique("测试联盟"))


async def make_kindergarten(
    region: Region | None = None,
    *,
    alliance: Alliance | None = None,
    level: KindergartenLevel = KindergartenLevel.VILLAGE,
    name: str | None = None,
) -> Kindergarten:
    """A kindergarten, in a new region unless one is given."""
    region = region or await make_region()
    return await Kindergarten.create(
        name=name or unique("测试幼儿园"),
        level=level,
        region=region,
        alliance=alliance,
        lat=28.2,
        lng=112.9,
    )


async def make_class(kindergarten: Kindergarten, name: str | None = None) -> SchoolClass:
    """A class of `kindergarten`."""
    return await SchoolClass.create(
        kindergarten=kindergarten, name=name or unique("小一班"), grade=Grade.SMALL
    )


async def make_child(school_class: SchoolClass, *, guardian: Person | None = None) -> Child:
    """A child, optionally with a guardian."""
    child = await Child.create(school_class=school_class, name=unique("小朋友"))
    if guardian:
        await Guardian.create(person=guardian, child=child, relation="母亲")
    return child


@dataclass
class LoggedIn:
    """A person logged in through the sandbox, with her tokens."""

    person: Person | None
    code: str
    tokens: dict

    @property
    def headers(self) -> dict:
        """Authorization header for the api."""
        return {"Authorization": f"Bearer {self.tokens['access_token']}"}


async def make_person(
    name: str | None = None,
    *,
    grants: tuple = (),
    phone: str | None = None,
    teacher_of: Kindergarten | None = None,
) -> Person:
    """A person with grants given as (role, scope_kind, scope_id) tuples."""
    person = await Person.create(name=name or unique("测试人员"), phone=phone)
    if teacher_of:
        await Teacher.create(person=person, kindergarten=teacher_of)
    for role, kind, scope_id in grants:
        await RoleGrant.create(person=person, role=role, scope_kind=kind, scope_id=scope_id)
    return person


async def login(client: httpx.AsyncClient, code: str, *, person: Person | None = None) -> LoggedIn:
    """Log in with a sandbox code; binds the code's openid to `person` first."""
    if person is not None:
        name = code.split(":")[0]
        account, _ = await Account.get_or_create(openid=openid_for(name))
        account.person = person
        await account.save()
    resp = await client.post("/api/v1/auth/login", json={"code": code})
    assert resp.status_code == 200, resp.text
    return LoggedIn(person=person, code=code, tokens=resp.json())


async def login_as(
    client: httpx.AsyncClient,
    role: str,
    *,
    scope_kind: str = "kindergarten",
    scope_id: int = 0,
    teacher_of: Kindergarten | None = None,
) -> LoggedIn:
    """A fresh person holding `role` in a scope, logged in."""
    if role == "admin":
        scope_kind, scope_id = "global", 0
    person = await make_person(grants=((role, scope_kind, scope_id),), teacher_of=teacher_of)
    return await login(client, unique(f"{role}-"), person=person)


async def make_activity(host: Kindergarten, **overrides):
    """A published activity at `host` happening now, open to host staff by default."""
    from datetime import timedelta

    from server.activities.codes import new_activity_code, new_activity_secret
    from server.activities.models import (
        Activity,
        ActivityAudience,
        ActivityKind,
        ActivityStatus,
        AudienceMode,
    )
    from server.common.time import now

    start = overrides.pop("starts_at", now() - timedelta(minutes=5))
    audience = overrides.pop("audience", [host])
    fields = dict(
        title=unique("送教下乡示范课"),
        kind=ActivityKind.SEND_TO_COUNTRYSIDE,
        host=host,
        address="青山镇石桥村幼儿园",
        lat=28.2,
        lng=112.9,
        radius_m=300,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        checkin_opens_at=start - timedelta(minutes=30),
        late_after=start + timedelta(minutes=10),
        checkin_closes_at=start + timedelta(hours=2),
        audience_mode=AudienceMode.KINDERGARTENS,
        status=ActivityStatus.PUBLISHED,
        attendee_hours=2,
        code=new_activity_code(),
        secret=new_activity_secret(),
    )
    fields.update(overrides)
    activity = await Activity.create(**fields)
    for kg in audience:
        await ActivityAudience.create(activity=activity, kindergarten=kg)
    return activity
