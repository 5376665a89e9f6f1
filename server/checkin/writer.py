"""Group commit for check-ins: concurrent scans share one transaction.

While one transaction is being written, new check-ins wait in a queue; the next
transaction takes them all. Nobody is answered before the transaction that holds her
record has committed, and a quiet moment adds no delay: a lone scan is written at once.
The unique key (activity, person) still decides between simultaneous scans.

After the commit, the batch's new check-ins are remembered in Redis (the fast "already
checked in" answer) and announced to the live boards in one pipeline, before anyone of
the batch is answered: one round trip per batch instead of one per scan.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from dataclasses import dataclass

from tortoise.models import Model
from tortoise.transactions import in_transaction

from server.checkin.fastpath import remember_many
from server.checkin.models import Checkin, HoursEntry

log = logging.getLogger("songjiao.checkin")
MAX_BATCH = 200


@dataclass
class Written:
    """The record now in the database for a scan, and whether this scan made it."""

    checkin: Checkin
    created: bool


class CheckinWriter:
    """One per event loop: queues new check-ins and writes them in shared transactions."""

    def __init__(self) -> None:
        self._pending: list[tuple[Checkin, HoursEntry | None, asyncio.Future, object]] = []
        self._busy = False

    async def write(self, checkin: Checkin, hours: HoursEntry | None, *, redis=None) -> Written:
        """Insert `checkin` (and its hours) unless the person already has a record.

        With `redis`, a check-in this scan made is remembered and announced ("new") before
        the answer comes back.
        """
        future = asyncio.get_running_loop().create_future()
        self._pending.append((checkin, hours, future, redis))
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
                    for _, _, future, _ in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                await self._remember(batch, results)
                for (_, _, future, _), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self._busy = False

    @staticmethod
    async def _remember(batch, results: list[Written]) -> None:
        """The new check-ins, remembered and announced: one pipeline per Redis client."""
        made: dict[int, tuple[object, dict[int, Checkin]]] = {}
        for (_, _, _, redis), result in zip(batch, results, strict=True):
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
        ordered = sorted((c for c, *_ in batch), key=lambda c: (c.activity_id, c.person_id))
        async with in_transaction() as conn:
            await insert_ignoring_conflicts(Checkin, ordered, conn)
            activities = {c.activity_id for c, *_ in batch}
            people = {c.person_id for c, *_ in batch}
            rows = await Checkin.filter(activity_id__in=activities, person_id__in=people).using_db(
                conn
            )
            found = {(r.activity_id, r.person_id): r for r in rows}
            results, hours, seen = [], [], set()
            for checkin, entry, *_ in batch:
                key = (checkin.activity_id, checkin.person_id)
                row = found[key]
                # Ours when it carries our nonce; the first scan of a person in a batch
                # credits the hours once.
                created = row.nonce == checkin.nonce and row.annulled_at is None
                if created and entry is not None and key not in seen:
                    hours.append(entry)
                seen.add(key)
                results.append(Written(checkin=row, created=created))
            if hours:
                hours.sort(key=lambda h: (h.activity_id, h.person_id, h.role))
                await insert_ignoring_conflicts(HoursEntry, hours, conn)
        return results


async def insert_ignoring_conflicts(model: type[Model], objects: list[Model], conn) -> None:
    """`objects` inserted in their order, those whose unique key is taken skipped.

    On PostgreSQL one `INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING`, a column an
    array, instead of Tortoise's `bulk_create` (an executemany: a Bind and Execute per row);
    the values are Tortoise's own (`to_db_value`, which also fills `auto_now_add`). Other
    databases keep `bulk_create`.
    """
    if not objects:
        return
    if conn.capabilities.dialect != "postgres":
        await model.bulk_create(objects, ignore_conflicts=True, using_db=conn)
        return
    sql, names = _unnest_insert(model)
    fields = model._meta.fields_map
    columns = [[fields[name].to_db_value(getattr(o, name), o) for o in objects] for name in names]
    await conn.execute_query(sql, columns)


@functools.cache
def _unnest_insert(model: type[Model]) -> tuple[str, list[str]]:
    """The statement for `model` and its fields in parameter order (generated ones left out)."""
    meta = model._meta
    names = [n for n in meta.fields_db_projection if not meta.fields_map[n].generated]
    columns = ", ".join(f'"{meta.fields_db_projection[n]}"' for n in names)
    # Text arrays for VARCHAR(n): an explicit cast to varchar(n) would cut a long value
    # silently; the insert's own assignment cast refuses it, as a plain INSERT does.
    sql_types = [meta.fields_map[n].get_for_dialect("postgres", "SQL_TYPE") for n in names]
    types = [re.sub(r"^VARCHAR\(\d+\)$", "TEXT", t) for t in sql_types]
    arrays = ", ".join(f"${i}::{t}[]" for i, t in enumerate(types, start=1))
    aliases = ", ".join(f"c{i}" for i in range(len(names)))
    # Names from the model's metadata; every value is a parameter.
    sql = (
        f'INSERT INTO "{meta.db_table}" ({columns}) '  # noqa: S608
        f"SELECT {aliases} FROM unnest({arrays}) WITH ORDINALITY AS r({aliases}, ord) "
        "ORDER BY ord ON CONFLICT DO NOTHING"
    )
    return sql, names


_writers: dict[int, CheckinWriter] = {}


def writer() -> CheckinWriter:
    """The writer of the running event loop."""
    loop_id = id(asyncio.get_running_loop())
    if loop_id not in _writers:
        _writers.clear()
        _writers[loop_id] = CheckinWriter()
    return _writers[loop_id]
