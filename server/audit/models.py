"""The audit log."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class AuditEntry(Model):
    """One action a person took on a record, with the reason she gave."""

    id = fields.IntField(primary_key=True)
    actor = fields.ForeignKeyField(
        "models.Person", related_name="audit_entries", null=True, on_delete=fields.SET_NULL
    )
    #: e.g. checkin.manual, checkin.annul, archive.confirm, activity.cancel
    action = fields.CharField(max_length=32)
    target_type = fields.CharField(max_length=32)
    target_id = fields.IntField()
    #: The activity the action concerns, to list an activity's log quickly.
    activity_id = fields.IntField(null=True, db_index=True)
    reason = fields.CharField(max_length=200, default="")
    detail = fields.JSONField(default=dict)
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "audit_entry"
