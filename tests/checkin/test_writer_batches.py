"""The group-commit writer's batches, on both backends: who made a record, who earns hours.

On PostgreSQL a batch is one statement that inserts the check-ins, credits the hours of
those it made and reads back the records that were there before; these tests hold it to
what the transaction of other databases does, against counts read from the tables.
"""

from __future__ import annotations

from server.checkin.models import Checkin, CheckinMethod, HoursEntry
from server.checkin.writer import CheckinWriter
from server.common.time import now
from tests.checkin.writer_scans import queued_scan
from tests.support.factories import make_activity, make_kindergarten, make_person


async def _hours(activity) -> dict[int, float]:
    rows = await HoursEntry.filter(activity_id=activity.id).values_list("person_id", "hours")
    return dict(rows)


async def test_a_batch_of_new_standing_and_repeated_scans_credits_only_what_it_made(api):
    kg = await make_kindergarten()
    activity = await make_activity(kg)
    fresh, standing, retried = [await make_person(teacher_of=kg) for _ in range(3)]
    # Two people checked in before the batch (the first when it earned no hours); the
    # second's answer was lost on the way.
    await CheckinWriter._flush(
        [
            queued_scan(activity, standing, "before-1"),
            queued_scan(activity, retried, "before-2", hours=1.5),
        ]
    )

    results = await CheckinWriter._flush(
        [
            queued_scan(activity, retried, "before-2", hours=1.5),  # the same scan, sent again
            queued_scan(activity, fresh, "fresh-0001", hours=1.0, late=True),
            queued_scan(activity, standing, "other-001", hours=0.5),  # a second scan, new nonce
        ]
    )

    assert [r.created for r in results] == [True, True, False]
    made = results[1].checkin
    assert (made.person_id, made.nonce, made.late, made.lat) == (fresh.id, "fresh-0001", True, 28.2)
    assert made.method == CheckinMethod.STATIC and made.id and made.created_at is not None
    assert results[2].checkin.nonce == "before-1"  # the standing record, not the new scan
    assert results[0].checkin.id == (await Checkin.get(person_id=retried.id)).id
    assert await Checkin.filter(activity_id=activity.id).count() == 3
    # Hours only where a check-in was made: the new one its own 1.0, the retried one its
    # 1.5 once; the standing record's second scan earns nothing.
    assert await _hours(activity) == {retried.id: 1.5, fresh.id: 1.0}


async def test_two_scans_of_one_person_in_a_batch_make_one_record_with_its_own_hours(api):
    kg = await make_kindergarten()
    activity = await make_activity(kg)
    person = await make_person(teacher_of=kg)
    others = [await make_person(teacher_of=kg) for _ in range(3)]

    results = await CheckinWriter._flush(
        [queued_scan(activity, p, f"o-{p.id:06d}", hours=2.0) for p in others]
        + [
            queued_scan(activity, person, "first-0001", hours=1.5),
            queued_scan(activity, person, "second-001", hours=0.5),
        ]
    )

    mine = results[-2:]
    assert [r.created for r in mine] == [True, False]
    assert mine[0].checkin.id == mine[1].checkin.id and mine[1].checkin.nonce == "first-0001"
    assert all(r.created for r in results[:-2])
    rows = await Checkin.filter(activity_id=activity.id).values_list("person_id", "nonce")
    assert sorted(rows) == sorted(
        [(p.id, f"o-{p.id:06d}") for p in others] + [(person.id, "first-0001")]
    )
    assert await _hours(activity) == {person.id: 1.5, **{p.id: 2.0 for p in others}}


async def test_an_annulled_record_is_returned_as_not_made_and_earns_no_hours(api):
    kg = await make_kindergarten()
    activity = await make_activity(kg)
    person = await make_person(teacher_of=kg)
    await CheckinWriter._flush([queued_scan(activity, person, "first-0001")])
    await Checkin.filter(person_id=person.id).update(annulled_at=now(), annul_reason="代签")

    (result,) = await CheckinWriter._flush([queued_scan(activity, person, "again-001", hours=2.0)])

    assert not result.created and result.checkin.annulled_at is not None
    assert await _hours(activity) == {}


async def test_a_retried_scan_whose_hours_were_revoked_earns_none_again(api):
    # Checked in, then checked out early (its hours revoked), then the phone sends the
    # first scan again: the same answer, and the check-out's verdict on the hours stands.
    kg = await make_kindergarten()
    activity = await make_activity(kg)
    person = await make_person(teacher_of=kg)
    await CheckinWriter._flush([queued_scan(activity, person, "first-0001", hours=2.0)])
    await HoursEntry.filter(activity_id=activity.id, person_id=person.id).delete()

    (result,) = await CheckinWriter._flush([queued_scan(activity, person, "first-0001", hours=2.0)])

    assert result.created and result.checkin.nonce == "first-0001"
    assert await _hours(activity) == {}
