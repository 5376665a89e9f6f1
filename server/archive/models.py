"""Archive models: photos and attachments, and the 帮扶记录卡 confirmations."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class FileKind(StrEnum):
    """What an archive file is."""

    PHOTO = "photo"
    ATTACHMENT = "attachment"  #: lesson plan, notes, reflection document …


class ArchiveFile(Model):
    """A file in an activity's record."""

    id = fields.IntField(primary_key=True)
    activity = fields.ForeignKeyField("models.Activity", related_name="files")
    kind = fields.CharEnumField(FileKind, max_length=16)
    filename = fields.CharField(max_length=128)
    #: Path under data_dir/archive; never shown to clients.
    stored_path = fields.CharField(max_length=255)
    content_type = fields.CharField(max_length=128)
    size = fields.IntField()
    sha256 = fields.CharField(max_length=64)
    caption = fields.CharField(max_length=100, default="")
    #: The organizer confirmed the people shown agreed to publication.
    consent = fields.BooleanField(default=False)
    uploaded_by = fields.ForeignKeyField(
        "models.Person", related_name="files_uploaded", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "archive_file"


class RecordCard(Model):
    """The 帮扶记录卡 of an activity: both sides confirm; then it is locked."""

    id = fields.IntField(primary_key=True)
    activity = fields.OneToOneField("models.Activity", related_name="record_card")
    #: Hash of the record as it was confirmed; a change makes confirmations stale.
    content_hash = fields.CharField(max_length=64, default="")
    supporting_by = fields.ForeignKeyField(
        "models.Person",
        related_name="cards_confirmed_supporting",
        null=True,
        on_delete=fields.SET_NULL,
    )
    supporting_at = fields.DatetimeField(null=True)
    supported_by = fields.ForeignKeyField(
        "models.Person",
        related_name="cards_confirmed_supported",
        null=True,
        on_delete=fields.SET_NULL,
    )
    supported_at = fields.DatetimeField(null=True)

    class Meta:
        table = "record_card"
