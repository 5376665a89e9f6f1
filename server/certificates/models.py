"""Issued 学时证明: each one a record of who got it, when, for which period and hours."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Certificate(Model):
    """One issued certificate and the hours it states, as printed (a snapshot).

    Its verification compares the snapshot with the live ledger: an hour annulled or
    corrected since makes it 已变更. Names are kept as printed, so the paper and the
    verification page always show the same certificate.
    """

    id = fields.IntField(primary_key=True)
    #: The random, unguessable half of the code in its QR; the other half is an HMAC.
    token = fields.CharField(max_length=32, unique=True)
    person = fields.ForeignKeyField("models.Person", related_name="certificates")
    #: The kindergarten it was issued for; its director may read and re-issue it.
    kindergarten = fields.ForeignKeyField("models.Kindergarten", related_name="certificates")
    #: A semester (2026秋) or a year (2026: the semesters 2026春 and 2026秋).
    period = fields.CharField(max_length=8)
    #: "region" (the region's education bureau) or "alliance".
    issuer_kind = fields.CharField(max_length=8)
    issuer_name = fields.CharField(max_length=64)
    holder_name = fields.CharField(max_length=32)
    kindergarten_name = fields.CharField(max_length=64)
    #: The ledger's rows as printed: activity_id, role, hours, date, title, kind, host.
    entries = fields.JSONField(default=list)
    total_hours = fields.FloatField()
    #: Who issued it: the teacher herself, or her director (a batch).
    issued_by = fields.ForeignKeyField(
        "models.Person", related_name="certificates_issued", null=True, on_delete=fields.SET_NULL
    )
    #: The director's batch job that made it, if any.
    batch_job = fields.CharField(max_length=36, null=True)
    issued_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "certificate"
        indexes = (("person_id", "period"),)
