"""Job progress records: long work reports how far it got here."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class JobStatus(StrEnum):
    """Life of a tracked job."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class JobRecord(Model):
    """A long-running job a user waits for, with progress and result."""

    id = fields.UUIDField(primary_key=True)
    kind = fields.CharField(max_length=32)
    status = fields.CharEnumField(JobStatus, max_length=16, default=JobStatus.QUEUED)
    #: Who started it; only they (and admins) may read it.
    account_id = fields.IntField(null=True)
    total = fields.IntField(default=0)
    done = fields.IntField(default=0)
    params = fields.JSONField(default=dict)
    result = fields.JSONField(null=True)
    error = fields.CharField(max_length=200, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "job_record"
