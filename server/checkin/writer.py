"""Group commit for check-ins: concurrent scans share one write.

While one batch is being written, new check-ins wait in a queue; the next batch takes
them all. Nobody is answered before the write that holds her record has committed, and a
quiet moment adds no delay: a lone scan is written at once. The unique key (activity,
person) still decides between simultaneous scans.

On PostgreSQL a batch is one statement: it inserts the check-ins, credits the hours of
those it made and reads back the records that were there before, atomic on its own (no
BEGIN, no COMMIT, no model built until the rows come back). Other databases insert, read
back and credit in one transaction.

After the write, the batch's new check-ins are remembered in Redis (the fast "already
checked in" answer) and announced to the live boards in one pipeline, before anyone of
the batch is answered: one round trip per batch instead of one per scan.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from dataclasses import dataclass
from typing import Any

from tortoise import connections
from tortoise.models import Model
from tortoise.transactions import in_transaction

from server.checkin.fastpath import remember_many
from server.checkin.models import Checkin, HoursEntry
from server.common.time import now

log = logging.getLogger("songjiao.checkin")
MAX_BATCH = 200


@dataclass(slots=True)
class NewCheckin:
    """A scan to write: the check-in's values by field name, and the hours it earns.

    `values` holds at least activity_id, person_id and nonce; the model's defaults fill
    the fields it leaves out. `hours` holds an attendee hours entry's values (person_id,
    activity_id, role, hours, semester), or None when the scan earns none. Plain values,
    not models: building a Checkin costs more than writing it (issue 18).
    """

    values: dict[str, Any]
    hours: dict[str, Any] | None = None

    @property
    def key(self) -> tuple[int, int]:
        """The unique key: (activity, person)."""
        return self.values["activity_id"], self.values["person_id"]


@dataclass
class Written:
    """The record now in the database for a scan, and whether this scan made it."""

    checkin: Checkin
    created: bool


class CheckinWriter:
    """One per event loop: queues new check-ins and writes them in shared batches."""

    def __init__(self) -> None:
        self._pending: list[tuple[NewCheckin, asyncio.Future, object]] = []
        self._busy = False

    async def write(self, new: NewCheckin, *, redis=None) -> Written:
        """Insert `new` (and its hours) unless the person already has a record.

        With `redis`, a check-in this scan made is remembered and announced ("new") before
        the answer comes back.
        """
        future = asyncio.get_running_loop().create_future()
        self._pending.append((new, future, redis))
        if not self._busy:
            self._busy = True
            asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                try:
                    results = await self._flush(batch)
                except Exception as exc:  # noqa: BLE001 - every waiter must hear of it
                    for _, future, _ in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                await self._remember(batch, results)
                for (_, future, _), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self._busy = False

    @staticmethod
    async def _remember(batch, results: list[Written]) -> None:
        """The new check-ins, remembered and announced: one pipeline per Redis client."""
        made: dict[int, tuple[object, dict[int, Checkin]]] = {}
        for (_, _, redis), result in zip(batch, results, strict=True):
            if redis is not None and result.created:
                made.setdefault(id(redis), (redis, {}))[1][result.checkin.id] = result.checkin
        for redis, checkins in made.values():
            try:
                await remember_many(redis, list(checkins.values()), announce="new")
            except Exception:  # noqa: BLE001 - stored and committed: the answers must go out
                log.exception("remembering a batch of check-ins failed")

    @staticmethod
    async def _flush(batch) -> list[Written]:
        # Rows go in key order: two api processes writing overlapping batches then wait on
        # each other's keys in the same order, never in a cycle (PostgreSQL deadlock).
        ordered = sorted((new for new, *_ in batch), key=lambda new: new.key)
        conn = connections.get("default")
        if conn.capabilities.dialect == "postgres":
            found = await _write_postgres(conn, ordered)
        else:
            found = await _write_in_transaction(ordered)
        # Ours when it carries our nonce and stands (an annulled one is revived by the caller).
        return [
            Written(checkin=row, created=row.nonce == new.values["nonce"] and not row.annulled_at)
            for new, *_ in batch
            for row in (found[new.key],)
        ]


async def _write_postgres(conn, ordered: list[NewCheckin]) -> dict[tuple[int, int], Checkin]:
    """One statement for the batch (see `_batch_statement`); the records by key."""
    sql, checkin_fields, hours_fields = _batch_statement()
    stamp = now()
    rows = [_db_row(checkin_fields, new.values, stamp) for new in ordered]
    earned = sorted(
        (new.hours | {"nonce": new.values["nonce"]} for new in ordered if new.hours),
        key=lambda h: (h["activity_id"], h["person_id"], h["role"]),
    )
    hours = [_db_row(hours_fields, h, stamp) + [h["nonce"]] for h in earned]
    columns = _columns(rows, len(checkin_fields)) + _columns(hours, len(hours_fields) + 1)
    _, records = await conn.execute_query(sql, columns)
    found: dict[tuple[int, int], Checkin] = {}
    for record in records:
        found.setdefault((record["activity_id"], record["person_id"]), _model(record))
    missing = [new.key for new in ordered if new.key not in found]
    if missing:
        # Inserted by another process's write that committed after this statement began:
        # its conflict skipped them, its snapshot cannot see them; a new statement can.
        _, records = await conn.execute_query(
            'SELECT c.* FROM "checkin" c JOIN unnest($1::INT[], $2::INT[]) AS k(a, p) '
            'ON c."activity_id" = k.a AND c."person_id" = k.p',
            [[a for a, _ in missing], [p for _, p in missing]],
        )
        found.update({(r["activity_id"], r["person_id"]): _model(r) for r in records})
    return found


async def _write_in_transaction(ordered: list[NewCheckin]) -> dict[tuple[int, int], Checkin]:
    """Insert, read back and credit in one transaction (SQLite and other databases).

    As on PostgreSQL, only a record this write made earns hours: a retry of a scan whose
    record stands (its hours perhaps revoked since by an early check-out) earns none again.
    """
    async with in_transaction() as conn:
        activities = {new.key[0] for new in ordered}
        people = {new.key[1] for new in ordered}
        keys = Checkin.filter(activity_id__in=activities, person_id__in=people).using_db(conn)
        before = set(await keys.values_list("id", flat=True))
        await Checkin.bulk_create(
            [Checkin(**new.values) for new in ordered], ignore_conflicts=True, using_db=conn
        )
        found = {(r.activity_id, r.person_id): r for r in await keys}
        earned, credited = [], set()
        for new in ordered:
            row = found[new.key]
            made = row.id not in before and row.nonce == new.values["nonce"]
            if made and new.hours and new.key not in credited:
                earned.append(HoursEntry(**new.hours))
                credited.add(new.key)
        if earned:
            earned.sort(key=lambda h: (h.activity_id, h.person_id, h.role))
            await HoursEntry.bulk_create(earned, ignore_conflicts=True, using_db=conn)
    return found


def _model(record) -> Checkin:
    """A check-in read back from PostgreSQL, built as Tortoise builds a fetched row."""
    return Checkin._init_from_db(**record)


#: A column's fallback when a scan leaves it out: the moment of the write, or this default.
STAMP = object()


def _db_row(fields: list[tuple[str, Any, Any]], values: dict[str, Any], stamp) -> list:
    """A row's database values in column order: given, else the field's default or `stamp`."""
    return [
        field.to_db_value(
            values[name] if name in values else (stamp if fallback is STAMP else fallback), None
        )
        for name, field, fallback in fields
    ]


def _columns(rows: list[list], width: int) -> list[list]:
    """Rows turned into one list per column (the statement's arrays)."""
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[]] * width


@functools.cache
def _batch_statement() -> tuple[str, list[tuple[str, Any, Any]], list[tuple[str, Any, Any]]]:
    """The batch's statement and the check-in's and hours' fields in parameter order.

    `made` inserts the check-ins (key order, conflicts skipped) and returns what it made;
    `credited` inserts the hours of the check-ins made here with the scan's own nonce; the
    main query returns `made` and the records that were there before. All parts see one
    snapshot, so a record committed by another process while this ran is in neither; the
    caller reads those again.
    """
    checkin_sql, checkin_fields = _unnest_columns(Checkin)
    hours_sql, hours_fields = _unnest_columns(HoursEntry, start=len(checkin_fields) + 1)
    c_names = ", ".join(f"c{i}" for i in range(len(checkin_fields)))
    h_names = ", ".join(f"h{i}" for i in range(len(hours_fields)))
    c_key = [f"c{[n for n, *_ in checkin_fields].index(k)}" for k in ("activity_id", "person_id")]
    h_key = [f"h{[n for n, *_ in hours_fields].index(k)}" for k in ("activity_id", "person_id")]
    nonce = f"${len(checkin_fields) + len(hours_fields) + 1}::TEXT[]"
    # Names from the models' metadata; every value is a parameter.
    sql = (
        f"WITH incoming AS (SELECT * FROM unnest({checkin_sql.arrays}) "  # noqa: S608
        f"WITH ORDINALITY AS r({c_names}, ord)), "
        f'made AS (INSERT INTO "checkin" ({checkin_sql.columns}) '
        f"SELECT {c_names} FROM incoming ORDER BY ord ON CONFLICT DO NOTHING RETURNING *), "
        f'credited AS (INSERT INTO "hours_entry" ({hours_sql.columns}) '
        f"SELECT {h_names} FROM unnest({hours_sql.arrays}, {nonce}) "
        f"WITH ORDINALITY AS h({h_names}, nonce, ord) "
        f'JOIN made ON made."activity_id" = h.{h_key[0]} AND made."person_id" = h.{h_key[1]} '
        "AND made.nonce IS NOT DISTINCT FROM h.nonce ORDER BY h.ord ON CONFLICT DO NOTHING) "
        "SELECT * FROM made UNION ALL "
        'SELECT c.* FROM "checkin" c JOIN incoming i '
        f'ON c."activity_id" = i.{c_key[0]} AND c."person_id" = i.{c_key[1]}'
    )
    return sql, checkin_fields, hours_fields


@dataclass(frozen=True)
class _Unnest:
    columns: str  #: the quoted column names
    arrays: str  #: one typed array parameter per column


def _unnest_columns(model: type[Model], *, start: int = 1):
    """`model`'s columns (generated ones left out) as arrays from `$start`, and its fields."""
    meta = model._meta
    names = [n for n in meta.fields_db_projection if not meta.fields_map[n].generated]
    columns = ", ".join(f'"{meta.fields_db_projection[n]}"' for n in names)
    # Text arrays for VARCHAR(n): an explicit cast to varchar(n) would cut a long value
    # silently; the insert's own assignment cast refuses it, as a plain INSERT does.
    sql_types = [meta.fields_map[n].get_for_dialect("postgres", "SQL_TYPE") for n in names]
    types = [re.sub(r"^VARCHAR\(\d+\)$", "TEXT", t) for t in sql_types]
    arrays = ", ".join(f"${i}::{t}[]" for i, t in enumerate(types, start=start))
    fields = [meta.fields_map[n] for n in names]
    stamped = [getattr(f, "auto_now_add", False) or getattr(f, "auto_now", False) for f in fields]
    # Each column's fallback decided once here, not per row on the check-in's hot path.
    fallbacks = [STAMP if s else f.default for f, s in zip(fields, stamped, strict=True)]
    return _Unnest(columns, arrays), list(zip(names, fields, fallbacks, strict=True))


_writers: dict[int, CheckinWriter] = {}


def writer() -> CheckinWriter:
    """The writer of the running event loop."""
    loop_id = id(asyncio.get_running_loop())
    if loop_id not in _writers:
        _writers.clear()
        _writers[loop_id] = CheckinWriter()
    return _writers[loop_id]
