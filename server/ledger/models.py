"""Ledger models: donations (items, photos) and funds of a pairing or an alliance.

Every line belongs to one unit: a pairing (结对) or an alliance's own books (联盟). A line is
recorded by one side and confirmed by the other; a confirmation is bound to a hash of the
line's content, so "locked" is "confirmed, and the content is still what was confirmed".
Amounts are decimals to the fen (two places), never floats.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class ItemCategory(StrEnum):
    """What was donated (values are what users read)."""

    TEXTBOOKS = "教材"
    BOOKS = "图书"
    TOYS = "玩具"
    TEACHING_AIDS = "教具"
    EQUIPMENT = "设备"
    OTHER = "其他"


class ItemOutcome(StrEnum):
    """What the receiving kindergarten found when the item arrived."""

    PENDING = "pending"
    RECEIVED = "received"
    SHORT = "short"
    DAMAGED = "damaged"


OUTCOME_LABELS = {
    ItemOutcome.PENDING: "待确认",
    ItemOutcome.RECEIVED: "已收到",
    ItemOutcome.SHORT: "数量不足",
    ItemOutcome.DAMAGED: "有损坏",
}


class FundDirection(StrEnum):
    """Money allocated to the unit (拨付) or spent by it (支出)."""

    ALLOCATED = "allocated"
    SPENT = "spent"


DIRECTION_LABELS = {FundDirection.ALLOCATED: "拨付", FundDirection.SPENT: "支出"}


class FundCategory(StrEnum):
    """What money was for (values are what users read)."""

    TRAINING = "培训"
    TRAVEL = "交通"
    MATERIALS = "物资"
    RESEARCH = "教研活动"
    OTHER = "其他"


class LedgerFileKind(StrEnum):
    """A donation's photo or a fund line's receipt."""

    PHOTO = "photo"
    RECEIPT = "receipt"


class Donation(Model):
    """A donation from one side of a unit to the other, confirmed item by item on receipt."""

    id = fields.IntField(primary_key=True)
    pairing = fields.ForeignKeyField(
        "models.Pairing", related_name="donations", null=True, on_delete=fields.SET_NULL
    )
    alliance = fields.ForeignKeyField(
        "models.Alliance", related_name="donations", null=True, on_delete=fields.SET_NULL
    )
    #: The giving side: the pairing's 帮扶园, or the alliance's 牵头园.
    donor = fields.ForeignKeyField("models.Kindergarten", related_name="donations_given")
    #: The receiving side, whose director confirms receipt.
    recipient = fields.ForeignKeyField("models.Kindergarten", related_name="donations_received")
    donated_on = fields.DateField()
    #: The activity the donation came with, if any (a 捐赠 or 送教 activity of the unit).
    activity = fields.ForeignKeyField(
        "models.Activity", related_name="donations", null=True, on_delete=fields.SET_NULL
    )
    note = fields.CharField(max_length=200, default="")
    recorded_by = fields.ForeignKeyField(
        "models.Person", related_name="donations_recorded", null=True, on_delete=fields.SET_NULL
    )
    #: Hash of the content as the recipient confirmed it; a change makes the confirmation stale.
    content_hash = fields.CharField(max_length=64, default="")
    confirmed_by = fields.ForeignKeyField(
        "models.Person", related_name="donations_confirmed", null=True, on_delete=fields.SET_NULL
    )
    confirmed_at = fields.DatetimeField(null=True)
    #: Voided lines stay in the ledger (struck through) and count nowhere.
    voided_at = fields.DatetimeField(null=True)
    void_reason = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "ledger_donation"
        indexes = (("pairing_id", "donated_on"), ("alliance_id", "donated_on"))


class DonationItem(Model):
    """One line of a donation: what, how many, its estimated value, and what arrived."""

    id = fields.IntField(primary_key=True)
    donation = fields.ForeignKeyField("models.Donation", related_name="items")
    position = fields.IntField(default=0)
    category = fields.CharEnumField(ItemCategory, max_length=8)
    name = fields.CharField(max_length=64)
    quantity = fields.IntField()
    unit = fields.CharField(max_length=8, default="件")
    #: Estimated value of the whole line, in yuan (two places).
    value = fields.DecimalField(max_digits=12, decimal_places=2)
    outcome = fields.CharEnumField(ItemOutcome, max_length=16, default=ItemOutcome.PENDING)
    #: How many arrived, when fewer than sent (short).
    received_quantity = fields.IntField(null=True)
    outcome_note = fields.CharField(max_length=200, default="")

    class Meta:
        table = "ledger_donation_item"


class FundEntry(Model):
    """Money allocated to or spent by a unit, recorded by one side, confirmed by the other."""

    id = fields.IntField(primary_key=True)
    pairing = fields.ForeignKeyField(
        "models.Pairing", related_name="fund_entries", null=True, on_delete=fields.SET_NULL
    )
    alliance = fields.ForeignKeyField(
        "models.Alliance", related_name="fund_entries", null=True, on_delete=fields.SET_NULL
    )
    direction = fields.CharEnumField(FundDirection, max_length=16)
    occurred_on = fields.DateField()
    #: Yuan to the fen.
    amount = fields.DecimalField(max_digits=12, decimal_places=2)
    category = fields.CharEnumField(FundCategory, max_length=8)
    purpose = fields.CharField(max_length=200)
    #: The side that recorded the line, and the side whose director confirms it.
    recorder = fields.ForeignKeyField("models.Kindergarten", related_name="fund_entries_recorded")
    counterpart = fields.ForeignKeyField(
        "models.Kindergarten", related_name="fund_entries_to_confirm"
    )
    recorded_by = fields.ForeignKeyField(
        "models.Person", related_name="fund_entries_recorded", null=True, on_delete=fields.SET_NULL
    )
    content_hash = fields.CharField(max_length=64, default="")
    confirmed_by = fields.ForeignKeyField(
        "models.Person",
        related_name="fund_entries_confirmed",
        null=True,
        on_delete=fields.SET_NULL,
    )
    confirmed_at = fields.DatetimeField(null=True)
    voided_at = fields.DatetimeField(null=True)
    void_reason = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "ledger_fund_entry"
        indexes = (("pairing_id", "occurred_on"), ("alliance_id", "occurred_on"))


class LedgerFile(Model):
    """A donation's photo or a fund line's receipt (checked and stored like archive files)."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(LedgerFileKind, max_length=16)
    donation = fields.ForeignKeyField(
        "models.Donation", related_name="files", null=True, on_delete=fields.CASCADE
    )
    fund_entry = fields.ForeignKeyField(
        "models.FundEntry", related_name="files", null=True, on_delete=fields.CASCADE
    )
    filename = fields.CharField(max_length=128)
    #: Path under data_dir/ledger; never shown to clients.
    stored_path = fields.CharField(max_length=255)
    content_type = fields.CharField(max_length=128)
    size = fields.IntField()
    sha256 = fields.CharField(max_length=64)
    uploaded_by = fields.ForeignKeyField(
        "models.Person", related_name="ledger_files", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "ledger_file"
