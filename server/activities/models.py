"""Activity models: what happens where and when, who is invited, who presents."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class ActivityKind(StrEnum):
    """Kinds of 帮扶活动 named in DOMAIN.md (values are what users read)."""

    SEND_TO_COUNTRYSIDE = "送教下乡"
    SEND_TO_KINDERGARTEN = "送教到园"
    LECTURE = "专题讲座"
    OBSERVATION = "教学观摩"
    JOINT_RESEARCH = "联合教研"
    ONLINE_SEMINAR = "网络研讨"
    TRAINING = "业务培训"
    SHADOWING = "跟岗学习"
    INSPECTION = "视导"
    MENTORING = "师徒结对"
    SAME_LESSON = "同课异构"
    OPEN_DAY = "家长开放日"
    PARENT_CHILD = "亲子活动"
    CHILDREN_EXCHANGE = "幼儿手拉手交流"
    EXPERIENCE_SHARING = "经验交流会"
    SHOWCASE = "成果展"
    DONATION = "捐赠"


#: Kinds that families attend: parents check in with a headcount.
FAMILY_KINDS = frozenset({ActivityKind.OPEN_DAY, ActivityKind.PARENT_CHILD})
#: Kinds that count as 送教 for the hours targets.
SEND_KINDS = frozenset({ActivityKind.SEND_TO_COUNTRYSIDE, ActivityKind.SEND_TO_KINDERGARTEN})
#: Help given by a pairing's supporting side to its supported side: by default their audience
#: is the supported kindergarten's staff (the sending side presents and organizes).
HELP_GIVEN_KINDS = SEND_KINDS | {ActivityKind.SHADOWING}


class ActivityStatus(StrEnum):
    """Life of an activity."""

    DRAFT = "draft"
    PUBLISHED = "published"
    ONGOING = "ongoing"
    FINISHED = "finished"
    CANCELLED = "cancelled"


STATUS_LABELS = {
    ActivityStatus.DRAFT: "草稿",
    ActivityStatus.PUBLISHED: "已发布",
    ActivityStatus.ONGOING: "进行中",
    ActivityStatus.FINISHED: "已结束",
    ActivityStatus.CANCELLED: "已取消",
}


class AudienceMode(StrEnum):
    """Who may check in."""

    INVITED = "invited"  #: only the people listed as invitees
    KINDERGARTENS = "kindergartens"  #: the staff of the listed kindergartens (+ invitees)
    ALLIANCE = "alliance"  #: the staff of every kindergarten of the alliance (+ invitees)
    FAMILIES = "families"  #: guardians of children of the listed kindergartens (+ invitees)


class Activity(Model):
    """A 帮扶活动 with its venue, times, audience and record."""

    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=64)
    kind = fields.CharEnumField(ActivityKind, max_length=16)
    pairing = fields.ForeignKeyField(
        "models.Pairing", related_name="activities", null=True, on_delete=fields.SET_NULL
    )
    alliance = fields.ForeignKeyField(
        "models.Alliance", related_name="activities", null=True, on_delete=fields.SET_NULL
    )
    host = fields.ForeignKeyField("models.Kindergarten", related_name="hosted_activities")
    created_by = fields.ForeignKeyField(
        "models.Person", related_name="activities_created", null=True, on_delete=fields.SET_NULL
    )
    address = fields.CharField(max_length=200, default="")
    lat = fields.FloatField(null=True)
    lng = fields.FloatField(null=True)
    #: Geofence radius in metres; outside it a check-in is flagged, never refused.
    radius_m = fields.IntField(default=500)
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    checkin_opens_at = fields.DatetimeField()
    #: Check-ins after this moment are recorded as late.
    late_after = fields.DatetimeField()
    checkin_closes_at = fields.DatetimeField()
    audience_mode = fields.CharEnumField(AudienceMode, max_length=16)
    status = fields.CharEnumField(ActivityStatus, max_length=16, default=ActivityStatus.DRAFT)
    #: 课时 credited to each attendee who checks in.
    attendee_hours = fields.FloatField(default=0)
    plan = fields.TextField(default="")
    measures = fields.TextField(default="")
    summary = fields.TextField(default="")
    reflection = fields.TextField(default="")
    #: Short public code carried in the static poster's scene.
    code = fields.CharField(max_length=12, unique=True)
    #: Per-activity HMAC key of the rotating code; never leaves the server.
    secret = fields.CharField(max_length=64)
    rotate_seconds = fields.IntField(default=15)
    #: Bumped on every change that a poster shows, so cached posters expire.
    version = fields.IntField(default=1)
    cancel_reason = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "activity"
        #: Reports select activities by time window, per kind, pairing, host or alliance.
        indexes = (
            ("starts_at",),
            ("kind", "starts_at"),
            ("pairing_id", "starts_at"),
            ("host_id", "starts_at"),
            ("alliance_id", "starts_at"),
        )


class ActivityInvitee(Model):
    """A person invited by name."""

    id = fields.IntField(primary_key=True)
    activity = fields.ForeignKeyField("models.Activity", related_name="invitees")
    person = fields.ForeignKeyField("models.Person", related_name="activity_invitations")

    class Meta:
        table = "activity_invitee"
        unique_together = (("activity", "person"),)


class ActivityAudience(Model):
    """A kindergarten whose staff (or families) are the audience."""

    id = fields.IntField(primary_key=True)
    activity = fields.ForeignKeyField("models.Activity", related_name="audience")
    kindergarten = fields.ForeignKeyField("models.Kindergarten", related_name="audience_of")

    class Meta:
        table = "activity_audience"
        unique_together = (("activity", "kindergarten"),)


class Presenter(Model):
    """Someone who gives part of the activity, with the 课时 she gives."""

    id = fields.IntField(primary_key=True)
    activity = fields.ForeignKeyField("models.Activity", related_name="presenters")
    person = fields.ForeignKeyField("models.Person", related_name="presentations")
    hours = fields.FloatField(default=1)
    #: e.g. 示范课《小蝌蚪找妈妈》, 说课, 评课.
    topic = fields.CharField(max_length=100, default="")
    #: The class the lesson was given in, e.g. 大二班 (empty for 说课/评课).
    class_name = fields.CharField(max_length=32, default="")
    #: The lesson's 领域 of the 指南: 健康、语言、社会、科学、艺术 (empty when none).
    subject_area = fields.CharField(max_length=8, default="")

    class Meta:
        table = "activity_presenter"
        unique_together = (("activity", "person"),)
        #: Reports ask whether a (key) teacher presented: by person.
        indexes = (("person_id",),)


class ActivityEvent(Model):
    """Something everyone concerned must hear (cancelled, moved); delivered later."""

    id = fields.IntField(primary_key=True)
    activity = fields.ForeignKeyField("models.Activity", related_name="events")
    #: published, updated, moved, cancelled
    kind = fields.CharField(max_length=16)
    payload = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)
    #: Set by the notifications domain once it has fanned the event out.
    processed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "activity_event"
