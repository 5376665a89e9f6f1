"""Notices to families and staff: the notice, its recipients, RSVPs and feedback."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class NoticeStatus(StrEnum):
    """Life of a notice."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"  #: waits for publish_at; the cron job publishes it
    PUBLISHED = "published"
    CANCELLED = "cancelled"


STATUS_LABELS = {
    NoticeStatus.DRAFT: "草稿",
    NoticeStatus.SCHEDULED: "定时发布",
    NoticeStatus.PUBLISHED: "已发布",
    NoticeStatus.CANCELLED: "已取消",
}


class AckMode(StrEnum):
    """What a recipient is asked to do."""

    READ = "read"  #: reading is enough
    CONFIRM = "confirm"  #: tap 确认收到
    RSVP = "rsvp"  #: answer yes/no with a headcount


ACK_LABELS = {AckMode.READ: "阅读即可", AckMode.CONFIRM: "需确认收到", AckMode.RSVP: "需报名回执"}


class CapacityUnit(StrEnum):
    """What a notice's capacity counts."""

    PEOPLE = "people"  #: adults + children of every confirmed family
    FAMILIES = "families"  #: each confirmed family takes one place


class Notice(Model):
    """A notice a kindergarten sends to its families or staff."""

    id = fields.IntField(primary_key=True)
    #: The sending kindergarten: its directors and organizers manage the notice.
    kindergarten = fields.ForeignKeyField("models.Kindergarten", related_name="notices")
    title = fields.CharField(max_length=64)
    body = fields.TextField(default="")
    #: Image URLs, at most 9.
    images = fields.JSONField(default=list)
    #: [{"name", "url"}], at most 5.
    attachments = fields.JSONField(default=list)
    #: The audience as chosen: {"kindergarten": bool, "grades", "class_ids", "parent_ids",
    #: "teacher_ids"}; resolved to NoticeRecipient rows when published.
    audience = fields.JSONField(default=dict)
    ack_mode = fields.CharEnumField(AckMode, max_length=8, default=AckMode.READ)
    #: Answers (confirm, RSVP) are refused after it; reminders are timed before it.
    deadline = fields.DatetimeField(null=True)
    #: Places for RSVP yes answers; None is unlimited.
    capacity = fields.IntField(null=True)
    capacity_unit = fields.CharEnumField(CapacityUnit, max_length=8, default=CapacityUnit.PEOPLE)
    max_adults = fields.IntField(default=2)
    max_children = fields.IntField(default=2)
    #: A 家长开放日 (or other activity) the notice announces; yes-families may check in.
    activity = fields.ForeignKeyField(
        "models.Activity", related_name="notices", null=True, on_delete=fields.SET_NULL
    )
    status = fields.CharEnumField(NoticeStatus, max_length=12, default=NoticeStatus.DRAFT)
    publish_at = fields.DatetimeField(null=True)
    published_at = fields.DatetimeField(null=True)
    #: Set once the publish message went to the delivery engine; the cron job retries
    #: announcing published notices where it is still empty (a crash in between).
    announced_at = fields.DatetimeField(null=True)
    #: Why the scheduled publication failed (it went back to draft).
    publish_error = fields.CharField(max_length=200, default="")
    #: Bumped by every edit after publication; readers are told of each version.
    version = fields.IntField(default=1)
    #: Hours-before-deadline offsets whose automatic reminder has been handled.
    auto_reminders_done = fields.JSONField(default=list)
    manual_reminders = fields.IntField(default=0)
    last_manual_remind_at = fields.DatetimeField(null=True)
    cancel_reason = fields.CharField(max_length=200, default="")
    cancelled_at = fields.DatetimeField(null=True)
    created_by = fields.ForeignKeyField(
        "models.Person", related_name="notices_created", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "notice"


class NoticeRecipient(Model):
    """One person a published notice went to, with her receipt."""

    id = fields.IntField(primary_key=True)
    notice = fields.ForeignKeyField("models.Notice", related_name="recipients")
    person = fields.ForeignKeyField("models.Person", related_name="notice_receipts")
    #: parent or staff
    role = fields.CharField(max_length=8)
    #: Who answers together: "c<child id>" (the guardians of one child share an answer)
    #: or "p<person id>" for staff.
    family = fields.CharField(max_length=16)
    #: The class the roll-up counts a parent under (None for staff).
    class_id = fields.IntField(null=True)
    read_at = fields.DatetimeField(null=True)
    confirmed_at = fields.DatetimeField(null=True)
    #: When the after-open-day feedback request went to this person.
    feedback_requested_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "notice_recipient"
        unique_together = (("notice", "person"),)
        indexes = (("notice", "family"),)


class RsvpStatus(StrEnum):
    """Where a family's answer stands."""

    CONFIRMED = "confirmed"  #: yes, with a place
    WAITLISTED = "waitlisted"  #: yes, waiting for a place
    DECLINED = "declined"  #: no
    CANCELLED = "cancelled"  #: withdrawn


RSVP_LABELS = {
    RsvpStatus.CONFIRMED: "报名成功",
    RsvpStatus.WAITLISTED: "候补中",
    RsvpStatus.DECLINED: "不参加",
    RsvpStatus.CANCELLED: "已取消",
}


class NoticeRsvp(Model):
    """One family's answer to an RSVP notice."""

    id = fields.IntField(primary_key=True)
    notice = fields.ForeignKeyField("models.Notice", related_name="rsvps")
    family = fields.CharField(max_length=16)
    #: The guardian who answered last.
    person = fields.ForeignKeyField("models.Person", related_name="notice_rsvps")
    status = fields.CharEnumField(RsvpStatus, max_length=12)
    adults = fields.IntField(default=0)
    children = fields.IntField(default=0)
    #: Order of the waitlist: when the family (last) joined it.
    queued_at = fields.DatetimeField(null=True)
    #: Activity invitations this answer created (removed again when it is withdrawn).
    invited_person_ids = fields.JSONField(default=list)
    #: Bumped on every change; keys the "moved up from the waitlist" message.
    revision = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "notice_rsvp"
        unique_together = (("notice", "family"),)


class NoticeFeedback(Model):
    """A family's 1–5 stars and comment after the open day it attended."""

    id = fields.IntField(primary_key=True)
    notice = fields.ForeignKeyField("models.Notice", related_name="feedback")
    #: Copied from the notice so satisfaction roll-ups need no join.
    kindergarten_id = fields.IntField(db_index=True)
    family = fields.CharField(max_length=16)
    person = fields.ForeignKeyField("models.Person", related_name="notice_feedback")
    stars = fields.SmallIntField()
    comment = fields.CharField(max_length=500, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "notice_feedback"
        unique_together = (("notice", "family"),)
