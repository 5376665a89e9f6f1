"""Publicity models: a 公众号 post of an activity and the steps of its 三审 review."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class PostStatus(StrEnum):
    """Life of a post: 撰稿 → 审核 → 签发 → published (or failed)."""

    DRAFTING = "drafting"
    REVIEWING = "reviewing"
    SIGNING = "signing"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    FAILED = "failed"


STATUS_LABELS = {
    PostStatus.DRAFTING: "撰稿中",
    PostStatus.REVIEWING: "待园长审核",
    PostStatus.SIGNING: "待领导签发",
    PostStatus.PUBLISHING: "发布中",
    PostStatus.PUBLISHED: "已发布",
    PostStatus.FAILED: "发布失败",
}


class PostKind(StrEnum):
    """What a post is about: one finished activity, a semester of a pairing or alliance, or
    the 公示 of a pairing's or alliance's donations and funds for a period."""

    ACTIVITY = "activity"
    RECAP = "recap"
    DISCLOSURE = "disclosure"


class MassStatus(StrEnum):
    """The optional 群发 of a published post.

    sendall only accepts a job (SUBMITTED, with WeChat's msg_id); whether it went out is
    known when WeChat pushes MASSSENDJOBFINISH (SENT or FAILED).
    """

    NONE = ""
    SENDING = "sending"  #: we are calling sendall right now
    SUBMITTED = "submitted"  #: WeChat took the job; its outcome has not arrived yet
    SENT = "sent"
    FAILED = "failed"


class Post(Model):
    """A 公众号 article about one finished activity, or a semester recap."""

    id = fields.IntField(primary_key=True)
    # The column comment stays the one the first migration wrote (as for mass_status): SQLite
    # cannot alter a comment, and the column is a plain varchar whatever the members.
    kind = fields.CharEnumField(
        PostKind,
        max_length=16,
        default=PostKind.ACTIVITY,
        description="ACTIVITY: activity\nRECAP: recap",
    )
    #: The activity of an activity post; none for a recap.
    activity = fields.OneToOneField("models.Activity", related_name="post", null=True)
    #: A recap's pairing or alliance, and its semester (e.g. 2026-autumn).
    pairing = fields.ForeignKeyField(
        "models.Pairing", related_name="recap_posts", null=True, on_delete=fields.SET_NULL
    )
    alliance = fields.ForeignKeyField(
        "models.Alliance", related_name="recap_posts", null=True, on_delete=fields.SET_NULL
    )
    semester = fields.CharField(max_length=16, default="")
    #: One recap per (subject, semester): "pairing:3:2026-autumn"; none for activity posts.
    recap_key = fields.CharField(max_length=48, null=True, unique=True)
    #: The host kindergarten: its organizer writes, its director reviews.
    kindergarten = fields.ForeignKeyField("models.Kindergarten", related_name="posts")
    title = fields.CharField(max_length=32)
    digest = fields.CharField(max_length=128, default="")
    #: Sanitised article body; images point at /api/v1/files/<id>/content until published.
    html = fields.TextField()
    #: Byline names shown under 撰稿 (≤ 16 chars, WeChat's author field).
    author_name = fields.CharField(max_length=16, default="")
    #: Consented photo cropped for the cover; none: a generated title card.
    cover_file_id = fields.IntField(null=True)
    status = fields.CharEnumField(PostStatus, max_length=16, default=PostStatus.DRAFTING)
    #: The last send-back comment, shown to the author until she submits again.
    comment = fields.CharField(max_length=200, default="")
    created_by = fields.ForeignKeyField(
        "models.Person", related_name="posts_written", null=True, on_delete=fields.SET_NULL
    )
    reviewed_by = fields.ForeignKeyField(
        "models.Person", related_name="posts_reviewed", null=True, on_delete=fields.SET_NULL
    )
    signed_by = fields.ForeignKeyField(
        "models.Person", related_name="posts_signed", null=True, on_delete=fields.SET_NULL
    )
    #: Publishing progress, so the job can run twice: file id -> WeChat image URL.
    image_urls = fields.JSONField(default=dict)
    thumb_media_id = fields.CharField(max_length=128, default="")
    draft_media_id = fields.CharField(max_length=128, default="")
    publish_id = fields.CharField(max_length=64, null=True, unique=True)
    article_url = fields.CharField(max_length=500, default="")
    #: WeChat errcode or "status:N" of the last failure.
    fail_code = fields.CharField(max_length=32, default="")
    fail_message = fields.CharField(max_length=300, default="")
    published_at = fields.DatetimeField(null=True)
    # The column comment stays the one the first migration wrote: SQLite cannot alter a
    # comment, and tortoise would otherwise derive a new one from MassStatus's members.
    mass_status = fields.CharEnumField(
        MassStatus,
        max_length=16,
        default=MassStatus.NONE,
        description="NONE: \nSENDING: sending\nSENT: sent\nFAILED: failed",
    )
    #: WeChat's msg_id of the 群发, and its failure reason when refused.
    mass_msg_id = fields.CharField(max_length=64, default="")
    # mass_message: the failure reason in Chinese (refused by sendall or reported by
    # MASSSENDJOBFINISH); mass_sent_at: when MASSSENDJOBFINISH reported the job sent.
    mass_message = fields.CharField(max_length=300, default="")
    mass_sent_at = fields.DatetimeField(null=True)
    #: The draft made for the 群发 (the published one left the 草稿箱 when it was published).
    mass_media_id = fields.CharField(max_length=128, default="")
    #: Jobs started after failed ones; part of the clientmsgid, so a retry is a new job.
    mass_attempt = fields.IntField(default=0)
    mass_submitted_at = fields.DatetimeField(null=True)
    #: WeChat's word on the job: the event's Status (err(10001) …) or sendall's errcode.
    mass_status_code = fields.CharField(max_length=32, default="")
    #: MASSSENDJOBFINISH's TotalCount, SentCount and ErrorCount.
    mass_total_count = fields.IntField(null=True)
    mass_sent_count = fields.IntField(null=True)
    mass_error_count = fields.IntField(null=True)
    #: The 群发 article's URL (ArticleUrlResult), another article than the published one.
    mass_article_url = fields.CharField(max_length=500, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "publicity_post"
        #: Lists and summaries count published posts per pairing, alliance and kindergarten.
        indexes = (
            ("status",),
            ("kindergarten_id", "status"),
            ("pairing_id", "status"),
            ("alliance_id", "status"),
            ("mass_msg_id",),  # MASSSENDJOBFINISH names the job by it
        )


class PostStep(Model):
    """One step of the review: submitted, approved, signed, sent back, published, failed."""

    id = fields.IntField(primary_key=True)
    post = fields.ForeignKeyField("models.Post", related_name="steps")
    step = fields.CharField(max_length=16)
    actor = fields.ForeignKeyField(
        "models.Person", related_name="post_steps", null=True, on_delete=fields.SET_NULL
    )
    comment = fields.CharField(max_length=200, default="")
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "publicity_post_step"
