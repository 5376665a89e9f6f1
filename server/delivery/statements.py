"""A send batch's statements, written as SQL: one statement per step, no object per row.

A fan-out runs these for every few dozen messages, and the ORM's work to build each
statement and a model object per row was a third of a delivery worker's CPU (issue 18,
py-spy). Every value is a bound parameter; only placeholders and column names are
formatted into the text. PostgreSQL takes a list as one array parameter (one prepared
statement whatever its length); SQLite reads it from a JSON text with json_each.
"""

# ruff: noqa: S608 -- every value is a bound parameter (Params); f-strings only splice this
# module's own SQL fragments and the placeholders, never a value.

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from tortoise import connections

from server.delivery.models import Channel, Delivery, DeliveryStatus

_FIELDS = Delivery._meta.fields_map


class Params:
    """Bound parameters of one statement: `$n` for asyncpg, `?n` for SQLite (numbered on both)."""

    def __init__(self, conn) -> None:
        self.postgres = conn.capabilities.dialect == "postgres"
        self.values: list = []

    def __call__(self, value: object) -> str:
        """The placeholder of one more value."""
        self.values.append(value)
        return f"${len(self.values)}" if self.postgres else f"?{len(self.values)}"

    def ids(self, ids: Iterable[int], cast: str = "bigint") -> str:
        """What follows a column to test it against a list: `= ANY($1)` or `IN (…)`."""
        if self.postgres:
            return f"= ANY({self(list(ids))}::{cast}[])"
        return f"IN (SELECT value FROM json_each({self(json.dumps(list(ids)))}))"

    def rows(self, ids: Iterable[int]) -> tuple[str, str]:
        """An UPDATE's (FROM clause, condition) for the rows whose "id" is one of `ids`.

        PostgreSQL joins the list, so each row is found by its primary key: with
        `id = ANY(…)` it also scanned the status index for every row in that status,
        thousands while a fan-out's rows are all queued (statistics taken before they were).
        """
        if self.postgres:
            return f"FROM unnest({self(list(ids))}::bigint[]) AS w(wanted)", '"id" = w.wanted'
        return "", f'"id" {self.ids(ids)}'


def checked_only(condition: str) -> str:
    """`condition` as a filter on rows already found by primary key, never an index search.

    A fan-out's claims and outcomes find their rows by id (`Params.rows`), and then test the
    status. Left as `"status" = …`, the planner may search the status index instead, as
    its statistics, taken before the fan-out queued its rows, say that status is rare: then
    every claim of 50 rows read all 20,000 queued ones (37 ms instead of 3.5 in a replay,
    issue 18). PostgreSQL matches no index to `(…) IS TRUE`, and for a WHERE clause it
    means the same: a row passes only when the condition is true.
    """
    return f"({condition}) IS TRUE"


def stamp(moment: datetime) -> object:
    """A moment as the delivery table stores it (SQLite: text in China time)."""
    return _FIELDS["claimed_at"].to_db_value(moment, Delivery)


@dataclass(slots=True)
class Claimed:
    """A delivery a send job claimed: what sending it needs, not the whole row."""

    id: int
    key: str
    person_id: int
    kind: str
    title: str
    field_values: dict
    page: str | None
    quota_template: str | None
    push_started_at: datetime | None
    created_at: datetime


_CLAIM_SQL = (
    'UPDATE "delivery" SET "status" = {sending}, "claim" = {claim}, "claimed_at" = {at} '
    '{source} WHERE {wanted} AND {queued} RETURNING "id", "key", "person_id", '
    '"kind", "title", "fields", "page", "quota_template", "push_started_at", "created_at"'
)


async def claim(ids: list[int], *, token: str, at: datetime) -> list[Claimed]:
    """queued → sending under `token`, in one statement; the rows won, by id."""
    conn = connections.get("default")
    p = Params(conn)
    source, wanted = p.rows(ids)
    sql = _CLAIM_SQL.format(
        sending=p(DeliveryStatus.SENDING.value),
        claim=p(token),
        at=p(stamp(at)),
        source=source,
        wanted=wanted,
        queued=checked_only(f'"status" = {p(DeliveryStatus.QUEUED.value)}'),
    )
    rows = await conn.execute_query_dict(sql, p.values)
    moment, values = _FIELDS["created_at"].to_python_value, _FIELDS["field_values"]
    claimed = [
        Claimed(
            id=row["id"],
            key=row["key"],
            person_id=row["person_id"],
            kind=row["kind"],
            title=row["title"],
            field_values=values.to_python_value(row["fields"]) or {},
            page=row["page"],
            quota_template=row["quota_template"],
            push_started_at=moment(row["push_started_at"]),
            created_at=moment(row["created_at"]),
        )
        for row in rows
    ]
    claimed.sort(key=lambda d: d.id)
    return claimed


async def stamp_started(ids: list[int], *, token: str, at: datetime) -> None:
    """Their first push is about to leave (kept when an earlier run stamped it)."""
    conn = connections.get("default")
    p = Params(conn)
    source, wanted = p.rows(ids)
    sql = (
        f'UPDATE "delivery" SET "push_started_at" = {p(stamp(at))} {source} '
        f'WHERE {wanted} AND "claim" = {p(token)} AND "push_started_at" IS NULL'
    )
    await conn.execute_query(sql, p.values)


async def record(
    ids: list[int],
    *,
    token: str,
    status: DeliveryStatus,
    channel: Channel | None,
    attempts: int,
    reason: str | None,
    keep_unit: bool,
    at: datetime,
) -> None:
    """One outcome for the rows of `ids` still under `token`, in one statement.

    A row read in the inbox while it was sent keeps `read` and still gets how it went out.
    `unconfirmed` too is overwritten: the sweeper may have judged a slow (not dead)
    worker's row, and its real outcome, under the same claim, is better than "unknown".
    """
    conn = connections.get("default")
    p = Params(conn)
    read = p(DeliveryStatus.READ.value)
    changes = [
        f'"status" = CASE WHEN "status" = {read} THEN "status" ELSE {p(status.value)} END',
        f'"channel" = {p(channel.value if channel else None)}',
        f'"attempts" = "attempts" + {p(attempts)}',
        f'"last_error" = {p(reason)}',
    ]
    if status == DeliveryStatus.SENT:
        changes.append(f'"sent_at" = {p(stamp(at))}')
    if status == DeliveryStatus.FAILED:
        # Its send ended, known failed: no claim holds it any more. Read in the inbox later
        # (or while it was sent), it must not look like a row a dead worker left behind,
        # which the sweeper would label "outcome unknown" (sending._judge_read_while_sending).
        changes.append('"claim" = NULL')
    if not keep_unit:
        changes.append('"quota_template" = NULL')
    states = (DeliveryStatus.SENDING, DeliveryStatus.UNCONFIRMED, DeliveryStatus.READ)
    in_states = checked_only(f'"status" IN ({", ".join(p(s.value) for s in states)})')
    source, wanted = p.rows(ids)
    sql = (
        f'UPDATE "delivery" SET {", ".join(changes)} {source} WHERE {wanted} '
        f'AND "claim" = {p(token)} AND {in_states}'
    )
    await conn.execute_query(sql, p.values)
