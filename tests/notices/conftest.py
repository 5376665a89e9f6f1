"""Notice fixtures: a kindergarten with classes and families, a director, a message log."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from server.notices import outbox as outbox_module
from server.orgs.models import Child, Grade, Guardian, Kindergarten, Person, SchoolClass
from tests.support.factories import (
    LoggedIn,
    login,
    login_as,
    make_kindergarten,
    make_person,
    unique,
)


@dataclass
class Message:
    """One call to the delivery engine."""

    kind: str
    key: str
    person_ids: list[int]
    title: str
    body: str
    fields: dict
    page: str | None


@dataclass
class Outbox:
    """Every message the notices domain handed to the delivery engine in this test."""

    messages: list[Message] = field(default_factory=list)

    def of(self, kind: str) -> list[Message]:
        """Messages of one kind, in order."""
        return [m for m in self.messages if m.kind == kind]

    def people(self, kind: str) -> list[int]:
        """Everyone a kind of message went to (with repeats, to catch doubles)."""
        return [p for m in self.of(kind) for p in m.person_ids]


@pytest.fixture(autouse=True)
def outbox(monkeypatch) -> Outbox:
    """Record each message, then hand it to the real delivery engine (never faked)."""
    log = Outbox()
    real = outbox_module.notify

    async def record(**message):
        ids = sorted(set(message["person_ids"]))
        log.messages.append(
            Message(
                kind=message["kind"],
                key=message["key"],
                person_ids=ids,
                title=message["title"],
                body=message["body"],
                fields=message.get("fields") or {},
                page=message.get("page"),
            )
        )
        return await real(**message)

    monkeypatch.setattr(outbox_module, "notify", record)
    return log


@dataclass
class Family:
    """A guardian logged in, with her child."""

    who: LoggedIn
    child: Child

    @property
    def person(self) -> Person:
        return self.who.person

    @property
    def headers(self) -> dict:
        return self.who.headers


async def make_grade_class(kg: Kindergarten, grade: Grade, name: str | None = None) -> SchoolClass:
    """A class of `grade`."""
    return await SchoolClass.create(kindergarten=kg, name=name or unique("班级"), grade=grade)


async def family_in(client, school_class: SchoolClass, *, child: Child | None = None) -> Family:
    """A parent (with the parent grant) of a new child of `school_class`, logged in."""
    child = child or await Child.create(school_class=school_class, name=unique("小朋友"))
    person = await make_person(grants=(("parent", "child", child.id),))
    await Guardian.create(person=person, child=child, relation="母亲")
    return Family(await login(client, unique("parent-"), person=person), child)


@dataclass
class School:
    """A kindergarten with a 小班 (two families, one with two guardians) and a 大班."""

    kg: Kindergarten
    small: SchoolClass
    large: SchoolClass
    director: LoggedIn
    organizer: LoggedIn
    a1: Family
    a1_partner: Family
    a2: Family
    b1: Family
    teacher: LoggedIn


@pytest.fixture
async def school(client) -> School:
    kg = await make_kindergarten()
    small = await make_grade_class(kg, Grade.SMALL, unique("小一班"))
    large = await make_grade_class(kg, Grade.LARGE, unique("大一班"))
    director = await login_as(client, "director", scope_id=kg.id, teacher_of=kg)
    organizer = await login_as(client, "organizer", scope_id=kg.id, teacher_of=kg)
    a1 = await family_in(client, small)
    a1_partner = await family_in(client, small, child=a1.child)
    a2 = await family_in(client, small)
    b1 = await family_in(client, large)
    teacher = await login_as(client, "teacher", scope_id=kg.id, teacher_of=kg)
    return School(kg, small, large, director, organizer, a1, a1_partner, a2, b1, teacher)


def later(hours: float) -> str:
    """An ISO moment `hours` from now."""
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


def draft(school: School, **extra) -> dict:
    """A valid notice body to the whole kindergarten."""
    body = {
        "kindergarten_id": school.kg.id,
        "title": "家长开放日邀请",
        "body": "欢迎各位家长走进幼儿园，观摩半日活动。",
        "audience": {"kindergarten": True},
    }
    body.update(extra)
    return body


async def create(client, who, body: dict) -> dict:
    """POST a notice, asserting it was created."""
    resp = await client.post("/api/v1/notices", json=body, headers=who.headers)
    assert resp.status_code == 201, resp.text
    return resp.json()


async def publish(client, who, notice_id: int, **body) -> dict:
    """Publish a notice now (or at publish_at), asserting success."""
    resp = await client.post(
        f"/api/v1/notices/{notice_id}/publish", json=body or None, headers=who.headers
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


async def published(client, school: School, **extra) -> dict:
    """A notice created and published by the school's director."""
    notice = await create(client, school.director, draft(school, **extra))
    return await publish(client, school.director, notice["id"])
