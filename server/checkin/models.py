"""Check-in records and the hours ledger."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class CheckinMethod(StrEnum):
    """How a check-in was made."""

    STATIC = "static"  #: the printed poster
    DYNAMIC = "dynamic"  #: the rotating code on the projector
    MANUAL = "manual"  #: 补签 by an organizer


class Checkin(Model):
    """One person's presence at one activity; the unique key is the truth."""

    id = fields.IntField(primary_key=True)
    activity = fields.ForeignKeyField("models.Activity", related_name="checkins")
    person = fields.ForeignKeyField("models.Person", related_name="checkins")
    method = fields.CharEnumField(CheckinMethod, max_length=8)
    late = fields.BooleanField(default=False)
    #: The client's idempotency key: a retry with the same nonce gets the same record.
    nonce = fields.CharField(max_length=64, null=True)
    #: When the code was scanned (the client's clock for offline scans, else the server's).
    scanned_at = fields.DatetimeField()
    created_at = fields.DatetimeField(auto_now_add=True)
    #: Scanned without network and sent later; verified by the code's own time step.
    offline = fields.BooleanField(default=False)
    lat = fields.FloatField(null=True)
    lng = fields.FloatField(null=True)
    accuracy_m = fields.FloatField(null=True)
    distance_m = fields.FloatField(null=True)
    #: Flags for the organizer, never refusals: phones lie and rural GPS drifts.
    outside_geofence = fields.BooleanField(default=False)
    no_location = fields.BooleanField(default=False)
    #: Family activities: the headcount that came.
    adults = fields.IntField(default=0)
    children = fields.IntField(default=0)
    checkout_at = fields.DatetimeField(null=True)
    annulled_at = fields.DatetimeField(null=True)
    annul_reason = fields.CharField(max_length=200, default="")
    #: The organizer who made a manual check-in, and why.
    recorded_by = fields.ForeignKeyField(
        "models.Person", related_name="checkins_recorded", null=True, on_delete=fields.SET_NULL
    )
    manual_reason = fields.CharField(max_length=200, default="")

    class Meta:
        table = "checkin"
        unique_together = (("activity", "person"),)
        #: The first covers the reports' "who came, not annulled" per activity (index-only
        #: scans); the second a person's own check-ins, newest first (我的签到), which
        #: scanned every check-in of the city without it (442 ms at 2,000,000 rows).
        indexes = (("activity_id", "person_id", "annulled_at"), ("person_id", "scanned_at"))


class HoursRole(StrEnum):
    """Why hours were credited."""

    PRESENTER = "presenter"
    ATTENDEE = "attendee"


class HoursEntry(Model):
    """课时 credited to a person for an activity, in a semester."""

    id = fields.IntField(primary_key=True)
    person = fields.ForeignKeyField("models.Person", related_name="hours")
    activity = fields.ForeignKeyField("models.Activity", related_name="hours")
    role = fields.CharEnumField(HoursRole, max_length=16)
    hours = fields.FloatField()
    #: e.g. 2026秋 (autumn: Sep–Jan) or 2027春 (spring: Feb–Jul).
    semester = fields.CharField(max_length=8, db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "hours_entry"
        unique_together = (("person", "activity", "role"),)
