"""One-time subscription quotas: granted by the mini-program's reports, spent atomically on send."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from server.common.time import now
from server.delivery.models import Delivery, SubscriptionQuota

#: Only placeholders are formatted into it; every value is a bound parameter.
_RESERVE_SQL = (
    'UPDATE "subscription_quota" SET "remaining" = "remaining" - 1, "updated_at" = {stamp} '
    'WHERE "template_id" = {template} AND "banned" = FALSE AND "remaining" > 0 '
    'AND "person_id" IN ({persons}) RETURNING "person_id", "remaining"'
)


def _placeholders(dialect: str, start: int, count: int) -> list[str]:
    if dialect == "postgres":
        return [f"${i}" for i in range(start, start + count)]
    return ["?"] * count


async def reserve(*, template_id: str, deliveries: dict[int, int]) -> dict[int, int]:
    """Spend one subscription for each {delivery_id: person_id} whose person has one left.

    Persons must be distinct. The spent unit is written on the delivery in the same
    transaction, so a crash never loses it: a re-send after a crash reuses it.
    Returns {delivery_id: subscriptions she has left} for those that got one.
    """
    if not deliveries:
        return {}
    async with in_transaction() as conn:
        return await reserve_within(conn, template_id=template_id, deliveries=deliveries)


async def reserve_within(conn, *, template_id: str, deliveries: dict[int, int]) -> dict[int, int]:
    """`reserve` inside the caller's transaction `conn` (a send batch's first step)."""
    if not deliveries:
        return {}
    person_ids = list(deliveries.values())
    dialect = conn.capabilities.dialect
    stamp = SubscriptionQuota._meta.fields_map["updated_at"].to_db_value(now(), SubscriptionQuota)
    marks = _placeholders(dialect, 3, len(person_ids))
    first, second = _placeholders(dialect, 1, 2)
    # One statement decides every row: no two senders can spend the same unit.
    sql = _RESERVE_SQL.format(stamp=first, template=second, persons=", ".join(marks))
    rows = await conn.execute_query_dict(sql, [stamp, template_id, *person_ids])
    left = {row["person_id"]: row["remaining"] for row in rows}
    got = {d: left[p] for d, p in deliveries.items() if p in left}
    if got:
        await Delivery.filter(id__in=list(got)).using_db(conn).update(quota_template=template_id)
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
