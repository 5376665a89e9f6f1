"""The group-commit writer: overlapping batches from two api processes never deadlock."""

from __future__ import annotations

import asyncio

import pytest

from server.checkin.models import Checkin
from server.checkin.writer import CheckinWriter
from tests.checkin.writer_scans import queued_scan
from tests.support.factories import make_activity, make_kindergarten, make_person

pytestmark = pytest.mark.services  # row locks and deadlocks are PostgreSQL's


async def test_batches_in_opposite_orders_both_commit_one_row_per_person(api):
    kg = await make_kindergarten()
    activity = await make_activity(kg)
    people = [await make_person(teacher_of=kg) for _ in range(40)]
    for _ in range(5):  # the race is timing-dependent: give it several chances
        await Checkin.filter(activity_id=activity.id).delete()
        # Two processes' writers, each with the same people queued in the opposite order.
        first = [queued_scan(activity, p, f"a-{p.id}") for p in people]
        second = [queued_scan(activity, p, f"b-{p.id}") for p in reversed(people)]
        one, two = await asyncio.gather(CheckinWriter._flush(first), CheckinWriter._flush(second))
        assert len(one) == len(two) == len(people)
        assert sum(w.created for w in one + two) == len(people)  # each person once
        assert await Checkin.filter(activity_id=activity.id).count() == len(people)
