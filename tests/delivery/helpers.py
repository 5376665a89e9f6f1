"""Helpers for delivery tests: parents with subscriptions, waiting for sends, sandbox views."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx

from server.accounts.models import Account
from server.common.runtime import current
from server.delivery.models import Delivery, DeliveryStatus, SubscriptionQuota
from server.delivery.templates import template_for
from server.orgs.models import Person
from server.wechat.sandbox import openid_for
from tests.support.factories import LoggedIn, login, make_person, unique
from tests.support.sandbox import read_outbox

UNSETTLED = (DeliveryStatus.QUEUED, DeliveryStatus.SENDING)


@dataclass
class Parent:
    """A logged-in person with her mini-program openid."""

    who: LoggedIn
    openid: str

    @property
    def person_id(self) -> int:
        """Her person id."""
        return self.who.person.id

    @property
    def headers(self) -> dict:
        """Authorization header for the api."""
        return self.who.headers


def template_id(kind: str = "notice") -> str:
    """The configured subscribe template of `kind`."""
    return template_for(current().settings, kind).subscribe_id


async def make_parent(client: httpx.AsyncClient) -> Parent:
    """A parent who logged in through the sandbox (so she has an openid)."""
    name = unique("parent")
    person = await make_person(grants=(("parent", "kindergarten", 0),))
    who = await login(client, name, person=person)
    return Parent(who=who, openid=openid_for(name))


async def subscribe(
    client: httpx.AsyncClient,
    sandbox_client: httpx.AsyncClient,
    parent: Parent,
    *,
    kind: str = "notice",
    times: int = 1,
    in_sandbox: int | None = None,
) -> None:
    """She accepts `times` subscriptions (reported to us) and WeChat grants `in_sandbox`."""
    tid = template_id(kind)
    for _ in range(times):
        resp = await client.post(
            "/api/v1/subscriptions", json={"results": {tid: "accept"}}, headers=parent.headers
        )
        assert resp.status_code == 200, resp.text
    granted = times if in_sandbox is None else in_sandbox
    grant = {"openid": parent.openid, "template_id": tid, "count": granted}
    resp = await sandbox_client.post("/sandbox/subscriptions", json=grant)
    assert resp.status_code == 200, resp.text


async def subscribed_parent(client, sandbox_client, *, kind: str = "notice", **kw) -> Parent:
    """A parent with one subscription for `kind`, both here and in the sandbox."""
    parent = await make_parent(client)
    await subscribe(client, sandbox_client, parent, kind=kind, **kw)
    return parent


async def settle(*, key: str | None = None, ids: list[int] | None = None, within: float = 30):
    """Wait until the deliveries of `key` (or `ids`) are neither queued nor being sent."""
    query = Delivery.filter(key=key) if key is not None else Delivery.filter(id__in=ids or [])
    deadline = asyncio.get_running_loop().time() + within
    while await query.filter(status__in=UNSETTLED).exists():
        if asyncio.get_running_loop().time() > deadline:
            rows = await query.filter(status__in=UNSETTLED).values("id", "status")
            raise AssertionError(f"deliveries still unsettled: {rows}")
        await asyncio.sleep(0.05)
    return await query.order_by("id")


async def delivered(sandbox_client, openid: str, kind: str = "subscribe_send") -> int:
    """How many messages of `kind` the sandbox delivered to `openid`."""
    return len(await read_outbox(sandbox_client, kind=kind, touser=openid, delivered="true"))


async def fault(sandbox_client, **body) -> None:
    """Inject a sandbox fault."""
    resp = await sandbox_client.post("/sandbox/faults", json=body)
    assert resp.status_code == 200, resp.text


async def seed_parents(sandbox: httpx.AsyncClient, n: int, tag: str) -> tuple[list[int], list]:
    """`n` parents who each accepted one subscription, here and in the sandbox."""
    await Person.bulk_create([Person(name=f"家长{tag}{i}") for i in range(n)])
    people = list(
        await Person.filter(name__startswith=f"家长{tag}")
        .order_by("id")
        .values_list("id", flat=True)
    )
    openids = [f"o{tag}{pid:07d}" for pid in people]
    await Account.bulk_create(
        [Account(openid=o, person_id=p) for p, o in zip(people, openids, strict=True)]
    )
    tid = template_id("notice")
    await SubscriptionQuota.bulk_create(
        [SubscriptionQuota(person_id=p, template_id=tid, remaining=1) for p in people]
    )
    resp = await sandbox.post(
        "/sandbox/subscriptions/bulk", json={"openids": openids, "template_id": tid, "count": 1}
    )
    assert resp.status_code == 200, resp.text
    return people, openids
