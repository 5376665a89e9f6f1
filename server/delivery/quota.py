"""One-time subscription quotas: granted by the mini-program's reports, spent atomically on send."""

from __future__ import annotations

from datetime import datetime

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from server.common.time import now
from server.delivery.models import Delivery, SubscriptionQuota
from server.delivery.statements import Params

_UPDATED_AT = SubscriptionQuota._meta.fields_map["updated_at"]
_STARTED_AT = Delivery._meta.fields_map["push_started_at"]

#: Only placeholders are formatted into these; every value is a bound parameter.
_RESERVE_SQL = (
    'UPDATE "subscription_quota" SET "remaining" = "remaining" - 1, "updated_at" = {stamp} '
    'WHERE "template_id" = {template} AND "banned" = FALSE AND "remaining" > 0 '
    'AND "person_id" {persons} RETURNING "person_id", "remaining"'
)
_MARK_SQL = (
    'UPDATE "delivery" SET "quota_template" = {template}, '
    '"push_started_at" = COALESCE("push_started_at", {started}) WHERE "id" {ids}'
)
#: PostgreSQL: both in one statement, so a unit is never spent without its delivery holding it.
_RESERVE_AND_MARK_SQL = (
    'WITH "spent" AS ({reserve}) UPDATE "delivery" AS d SET "quota_template" = {template}, '
    '"push_started_at" = COALESCE(d."push_started_at", {started}) '
    'FROM "spent" AS s, unnest({ids}::bigint[], {persons}::int[]) AS w(id, person_id) '
    'WHERE d."id" = w.id AND w.person_id = s."person_id" RETURNING d."id", s."remaining"'
)


async def reserve(
    *, template_id: str, deliveries: dict[int, int], started_at: datetime
) -> dict[int, int]:
    """Spend one subscription for each {delivery_id: person_id} whose person has one left.

    Persons must be distinct. The spent unit is written on the delivery, with the moment
    its push starts (`push_started_at`, kept if set), in the same statement (SQLite: the
    same transaction), so a crash never loses it: a re-send after a crash reuses it.
    Returns {delivery_id: subscriptions she has left} for those that got one.
    """
    if not deliveries:
        return {}
    conn = connections.get("default")
    spent_at = _UPDATED_AT.to_db_value(now(), SubscriptionQuota)
    started = _STARTED_AT.to_db_value(started_at, Delivery)
    if conn.capabilities.dialect == "postgres":
        p = Params(conn)
        reserve_sql = _RESERVE_SQL.format(
            stamp=p(spent_at), template=p(template_id), persons=p.ids(deliveries.values(), "int")
        )
        sql = _RESERVE_AND_MARK_SQL.format(
            reserve=reserve_sql,
            template=p(template_id),
            started=p(started),
            ids=p(list(deliveries)),
            persons=p(list(deliveries.values())),
        )
        rows = await conn.execute_query_dict(sql, p.values)
        return {row["id"]: row["remaining"] for row in rows}
    async with in_transaction() as tx:
        p = Params(tx)
        sql = _RESERVE_SQL.format(
            stamp=p(spent_at), template=p(template_id), persons=p.ids(deliveries.values(), "int")
        )
        left = {
            row["person_id"]: row["remaining"] for row in await tx.execute_query_dict(sql, p.values)
        }
        got = {d: left[person] for d, person in deliveries.items() if person in left}
        if got:
            p = Params(tx)
            sql = _MARK_SQL.format(
                template=p(template_id), started=p(started), ids=p.ids(list(got))
            )
            await tx.execute_query(sql, p.values)
        return got


async def give_back(*, delivery_id: int, person_id: int, template_id: str) -> None:
    """Return the unit a delivery held: WeChat refused the send without spending it."""
    async with in_transaction() as conn:
        released = (
            await Delivery.filter(id=delivery_id, quota_template=template_id)
            .using_db(conn)
            .update(quota_template=None)
        )
        if released:
            await (
                SubscriptionQuota.filter(person_id=person_id, template_id=template_id)
                .using_db(conn)
                .update(remaining=F("remaining") + 1, updated_at=now())
            )


async def spent_out(*, delivery_id: int, person_id: int, template_id: str) -> None:
    """WeChat said 43101: the person has no subscription left for the template."""
    async with in_transaction() as conn:
        await Delivery.filter(id=delivery_id).using_db(conn).update(quota_template=None)
        await (
            SubscriptionQuota.filter(person_id=person_id, template_id=template_id)
            .using_db(conn)
            .update(remaining=0, updated_at=now())
        )


async def _row(person_id: int, template_id: str) -> SubscriptionQuota:
    try:
        row, _ = await SubscriptionQuota.get_or_create(person_id=person_id, template_id=template_id)
    except IntegrityError:
        row = await SubscriptionQuota.get(person_id=person_id, template_id=template_id)
    return row


async def accept(*, person_id: int, template_id: str) -> None:
    """The person accepted once more: one more message may be sent."""
    row = await _row(person_id, template_id)
    await SubscriptionQuota.filter(id=row.id).update(
        remaining=F("remaining") + 1, banned=False, updated_at=now()
    )


async def ban(*, person_id: int, template_id: str) -> None:
    """The person chose to always refuse: never used until she accepts again."""
    row = await _row(person_id, template_id)
    await SubscriptionQuota.filter(id=row.id).update(banned=True, updated_at=now())


async def quotas_of(*, person_id: int) -> dict[str, SubscriptionQuota]:
    """The person's quotas by template id."""
    rows = await SubscriptionQuota.filter(person_id=person_id)
    return {row.template_id: row for row in rows}


async def remaining(*, person_id: int, template_id: str) -> int:
    """Subscriptions she has left for the template (0 when none was ever granted)."""
    row = await SubscriptionQuota.get_or_none(person_id=person_id, template_id=template_id)
    return row.remaining if row is not None else 0
