"""Delivery models: a message to one person, one-time subscription quotas, group messages."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class DeliveryStatus(StrEnum):
    """Where a message to one person stands."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    READ = "read"
    #: A push may have reached WeChat, but its answer was lost and a repeat could not be
    #: deduped (past the 10 minutes of client_msg_id, or a subscription left): never re-sent.
    UNCONFIRMED = "unconfirmed"


class Channel(StrEnum):
    """How a message reached its person; the inbox always has it too."""

    SUBSCRIBE = "subscribe"  #: mini-program one-time subscribe message
    TEMPLATE = "template"  #: 公众号 template message
    INBOX = "inbox"  #: only the in-app inbox
    WECOM = "wecom"  #: WeCom group robot (group messages)


class Delivery(Model):
    """One message to one person; the row itself is her inbox entry."""

    id = fields.BigIntField(primary_key=True)
    #: The sender's idempotency key, e.g. "notice:12:published"; one row per (key, person).
    key = fields.CharField(max_length=128)
    person = fields.ForeignKeyField(
        "models.Person", related_name="deliveries", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=32)
    title = fields.CharField(max_length=200)
    body = fields.TextField(default="")
    #: Semantic values (title, time, place, note …), mapped to template keywords on send.
    field_values = fields.JSONField(default=dict, source_field="fields")
    page = fields.CharField(max_length=256, null=True)
    status = fields.CharEnumField(DeliveryStatus, max_length=16, default=DeliveryStatus.QUEUED)
    channel = fields.CharEnumField(Channel, max_length=16, null=True)
    #: WeChat calls made for this message, over all channels and runs.
    attempts = fields.IntField(default=0)
    #: Chinese reason: why it failed, or why a push channel was skipped.
    last_error = fields.CharField(max_length=300, null=True)
    #: Template of the one-time subscription this message holds while its send is unresolved;
    #: a re-send after a crash reuses it instead of spending another one.
    quota_template = fields.CharField(max_length=64, null=True)
    # Not indexed: nothing looks rows up by it, and the index cost every send an entry.
    #: Marks the rows one notify() call created, so it can tell them from older ones.
    notify_batch = fields.CharField(max_length=32, null=True)
    #: Marks the rows one send job claimed.
    claim = fields.CharField(max_length=32, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    #: When the message was last put on the job queue (the sweeper re-enqueues old ones).
    enqueued_at = fields.DatetimeField(null=True)
    claimed_at = fields.DatetimeField(null=True)
    #: When its first push left for WeChat; a lost answer is judged by it (see sending.py).
    push_started_at = fields.DatetimeField(null=True)
    sent_at = fields.DatetimeField(null=True)
    read_at = fields.DatetimeField(null=True)

    class Meta:
        table = "delivery"
        unique_together = (("key", "person"),)
        indexes = (("person", "status"), ("status", "claimed_at"))


class SubscriptionQuota(Model):
    """One-time subscriptions a person granted for a template (wx.requestSubscribeMessage)."""

    id = fields.IntField(primary_key=True)
    person = fields.ForeignKeyField(
        "models.Person", related_name="subscription_quotas", on_delete=fields.CASCADE
    )
    template_id = fields.CharField(max_length=64)
    remaining = fields.IntField(default=0)
    #: The person chose "always refuse": never used until she accepts again.
    banned = fields.BooleanField(default=False)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "subscription_quota"
        unique_together = (("person", "template_id"),)


class GroupMessage(Model):
    """A message to a configured WeCom group robot, sent once per key."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=128, unique=True)
    group = fields.CharField(max_length=64)
    kind = fields.CharField(max_length=32)
    markdown = fields.TextField()
    image_png = fields.BinaryField(null=True)
    status = fields.CharEnumField(DeliveryStatus, max_length=16, default=DeliveryStatus.QUEUED)
    #: 0 nothing sent yet, 1 the markdown was sent, 2 the image too.
    parts_sent = fields.IntField(default=0)
    attempts = fields.IntField(default=0)
    last_error = fields.CharField(max_length=300, null=True)
    claim = fields.CharField(max_length=32, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    enqueued_at = fields.DatetimeField(null=True)
    claimed_at = fields.DatetimeField(null=True)
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "group_message"
