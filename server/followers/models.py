"""Follower model: a 公众号 openid, linked to a person through the unionid."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Follower(Model):
    """Someone who follows (or followed) the official account. Personal data: never log."""

    id = fields.IntField(primary_key=True)
    #: The follower's openid under the 公众号: differs from the mini-program openid.
    oa_openid = fields.CharField(max_length=64, unique=True)
    #: Shared by the 公众号 and the mini-program of one open-platform account.
    unionid = fields.CharField(max_length=64, null=True, db_index=True)
    #: Cached link to the person; the unionid's mini-program account is the truth.
    person = fields.ForeignKeyField(
        "models.Person", related_name="followers", null=True, on_delete=fields.SET_NULL
    )
    subscribed = fields.BooleanField(default=True)
    #: Kind of parametric QR code the follow came through ("bind", "checkin:…"), "" if none.
    scene = fields.CharField(max_length=64, default="")
    subscribed_at = fields.DatetimeField(null=True)
    unsubscribed_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "follower"
