"""Stored leaders' summaries: what the page shows and what was pushed are the same data."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Summary(Model):
    """One summary of one scope for one period, made once (the unique key) and kept."""

    id = fields.IntField(primary_key=True)
    #: "weekly" (工作周报) or "semester" (学期总结).
    kind = fields.CharField(max_length=16)
    #: The period's key: 2026-W10 for a week, 2026春 for a semester.
    period = fields.CharField(max_length=16)
    #: "region", "alliance" or "city" (scope_id 0): whose figures these are.
    scope_kind = fields.CharField(max_length=16)
    scope_id = fields.IntField()
    #: Last day of the period (China time), to find the latest summary of a scope.
    period_end = fields.DateField()
    generated_at = fields.DatetimeField()
    data = fields.JSONField(default=dict)

    class Meta:
        table = "report_summary"
        unique_together = (("kind", "period", "scope_kind", "scope_id"),)
        indexes = (("scope_kind", "scope_id", "period_end"),)
