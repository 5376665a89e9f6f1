"""The group-commit writer: overlapping batches from two api processes never deadlock."""

from __future__ import annotations

import asyncio

import pytest

from server.checkin.models import Checkin, CheckinMethod
from server.checkin.writer import CheckinWriter, NewCheckin
from server.common.time import now
from tests.support.factories import make_activity, make_kindergarten, make_person

pytestmark = pytest.mark.services  # row locks and deadlocks are PostgreSQL's


def _scan(activity, person, tag: str) -> tuple:
    new = NewCheckin(
        values={
            "activity_id": activity.id,
            "person_id": person.id,
            "method": CheckinMethod.STATIC,
            "scanned_at": now(),
            "nonce": f"{tag}-{person.id}",
        }
    )
    return new, asyncio.get_running_loop().create_future(), None


async def test_batches_in_opposite_orders_both_commit_one_row_per_person(api):
    kg = await make_kindergarten()
    activity = await make_activity(kg)
    people = [await make_person(teacher_of=kg) for _ in range(40)]
    for _ in range(5):  # the race is timing-dependent: give it several chances
        await Checkin.filter(activity_id=activity.id).delete()
        # Two processes' writers, each with the same people queued in the opposite order.
        first = [_scan(activity, p, "a") for p in people]
        second = [_scan(activity, p, "b") for p in reversed(people)]
        one, two = await asyncio.gather(CheckinWriter._flush(first), CheckinWriter._flush(second))
        assert len(one) == len(two) == len(people)
        assert sum(w.created for w in one + two) == len(people)  # each person once
        assert await Checkin.filter(activity_id=activity.id).count() == len(people)
