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
import logging
from dataclasses import dataclass

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
            await Checkin.bulk_create(ordered, ignore_conflicts=True, using_db=conn)
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
                await HoursEntry.bulk_create(hours, ignore_conflicts=True, using_db=conn)
        return results


_writers: dict[int, CheckinWriter] = {}


def writer() -> CheckinWriter:
    """The writer of the running event loop."""
    loop_id = id(asyncio.get_running_loop())
    if loop_id not in _writers:
        _writers.clear()
        _writers[loop_id] = CheckinWriter()
    return _writers[loop_id]
