"""Donations: the giving side records what it gave; the receiving director confirms receipt
item by item (received, short, damaged, with a note); a confirmed donation is locked.

Every act is audited (`ledger.donation.*`), a change with what it was before.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tortoise.transactions import in_transaction

from server.activities import service as activities
from server.audit.service import record_action
from server.common.auth import Principal
from server.common.errors import DomainError, Forbidden, NotFound
from server.common.time import CHINA, now
from server.ledger import files, locking, units
from server.ledger.bundles import (
    DonationBundle,
    donation_bundle,
    donation_payload,
)
from server.ledger.models import (
    Donation,
    DonationItem,
    ItemCategory,
    ItemOutcome,
    LedgerFile,
    LedgerFileKind,
)
from server.ledger.money import parse_amount
from server.ledger.present import donation_view, people_names
from server.orgs import service as orgs

MAX_ITEMS = 50
MAX_PHOTOS = 20
MAX_QUANTITY = 1_000_000
NOTE_MAX = 200
EARLIEST = date(2000, 1, 1)


# ---- checks -----------------------------------------------------------------------------


def check_day(day: date, *, what: str) -> date:
    """A day between 2000 and today (China time)."""
    if not isinstance(day, date):
        raise DomainError("invalid_date", f"请填写{what}")
    if day < EARLIEST:
        raise DomainError("invalid_date", f"{what}不能早于 2000 年")
    if day > now().astimezone(CHINA).date():
        raise DomainError("invalid_date", f"{what}不能晚于今天")
    return day


def clean_text(text: str | None, *, what: str, max_length: int, required: bool = False) -> str:
    """Stripped text within its length; required text must be there."""
    text = (text or "").strip()
    if required and not text:
        raise DomainError("invalid_input", f"请填写{what}")
    if len(text) > max_length:
        raise DomainError("text_too_long", f"{what}不能超过 {max_length} 个字")
    return text


def _category(value: str | None) -> ItemCategory:
    try:
        return ItemCategory((value or "").strip())
    except ValueError as exc:
        names = "、".join(c.value for c in ItemCategory)
        raise DomainError("invalid_category", f"物品类别只能是：{names}") from exc


def clean_items(items: list[dict] | None) -> list[dict]:
    """Each item's category, name, quantity, unit and estimated value, checked in Chinese."""
    if not items:
        raise DomainError("items_required", "请至少填写一项捐赠物品")
    if len(items) > MAX_ITEMS:
        raise DomainError("too_many_items", f"一条捐赠记录最多 {MAX_ITEMS} 项物品")
    cleaned = []
    for n, item in enumerate(items, start=1):
        quantity = item.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise DomainError("invalid_quantity", f"第 {n} 项物品的数量须为整数")
        if not 1 <= quantity <= MAX_QUANTITY:
            raise DomainError(
                "invalid_quantity", f"第 {n} 项物品的数量须在 1 至 {MAX_QUANTITY} 之间"
            )
        cleaned.append(
            {
                "category": _category(item.get("category")),
                "name": clean_text(
                    item.get("name"), what=f"第 {n} 项物品的名称", max_length=64, required=True
                ),
                "quantity": quantity,
                "unit": clean_text(item.get("unit"), what=f"第 {n} 项物品的单位", max_length=8)
                or "件",
                "value": parse_amount(
                    item.get("value"), what=f"第 {n} 项物品的估值", allow_zero=True
                ),
            }
        )
    return cleaned


async def check_activity(unit: units.Unit, activity_id: int | None) -> int | None:
    """The activity a line came with: one of the unit's own; any other is unknown."""
    if activity_id is None:
        return None
    facts = await activities.publicity_facts(activity_id=activity_id)  # NotFound("活动")
    if unit.kind == "pairing" and facts["pairing_id"] == unit.id:
        return activity_id
    if unit.kind == "alliance":
        pairings = await orgs.pairing_ids_of_alliance(alliance_id=unit.id)
        if facts["alliance_id"] == unit.id or facts["pairing_id"] in pairings:
            return activity_id
    raise NotFound("活动")


# ---- reading ----------------------------------------------------------------------------


async def unit_of(principal: Principal, row) -> units.Unit:
    """The unit of a line, if the caller sees it; an unseen line answers as an unknown one."""
    kind = "pairing" if row.pairing_id else "alliance" if row.alliance_id else None
    if kind is None:
        raise NotFound("记录")
    try:
        return await units.visible_unit(
            principal, kind=kind, unit_id=row.pairing_id or row.alliance_id
        )
    except NotFound as exc:
        raise NotFound("记录") from exc


async def _visible(principal: Principal, donation_id: int) -> tuple[DonationBundle, units.Unit]:
    row = await Donation.get_or_none(id=donation_id)
    if row is None:
        raise NotFound("捐赠记录")
    try:
        unit = await unit_of(principal, row)
    except NotFound as exc:
        raise NotFound("捐赠记录") from exc
    return await donation_bundle(row), unit


def donation_actions(
    principal: Principal, bundle: DonationBundle, unit: units.Unit
) -> dict[str, bool]:
    """What the caller may do with the donation now."""
    row, state = bundle.row, bundle.state
    keeps = units.keeps_books_of(principal)
    giver = principal.is_admin or row.donor_id in keeps
    open_ = state in ("pending", "stale")
    return {
        "edit": giver and open_,
        "void": giver and open_,
        "upload": (giver or row.recipient_id in keeps) and open_,
        "confirm": row.recipient_id in units.directs(principal) and open_,
        "reopen": state in ("confirmed", "stale")
        and (
            principal.is_admin or bool({row.donor_id, row.recipient_id} & units.directs(principal))
        ),
    }


async def present(principal: Principal, bundle: DonationBundle, unit: units.Unit) -> dict:
    """A donation as its viewers see it, with what the caller may do."""
    row = bundle.row
    names = dict(unit.names)
    names.update(await orgs.kindergarten_names(kindergarten_ids={row.donor_id, row.recipient_id}))
    found = (
        await activities.activity_briefs(activity_ids=[row.activity_id]) if row.activity_id else {}
    )
    view = donation_view(
        bundle, kindergartens=names, people=await people_names([bundle]), activities=found
    )
    view["unit"] = {"kind": unit.kind, "id": unit.id, "name": unit.name}
    view["can"] = donation_actions(principal, bundle, unit)
    return view


async def get_donation(*, principal: Principal, donation_id: int) -> dict:
    """One donation the caller may see."""
    bundle, unit = await _visible(principal, donation_id)
    return await present(principal, bundle, unit)


# ---- recording --------------------------------------------------------------------------


async def create_donation(
    *,
    principal: Principal,
    kind: str,
    unit_id: int,
    donated_on: date,
    items: list[dict],
    recipient_id: int | None = None,
    activity_id: int | None = None,
    note: str | None = None,
) -> dict:
    """Record a donation of the giving side (the 帮扶园, or the alliance's 牵头园)."""
    unit = await units.visible_unit(principal, kind=kind, unit_id=unit_id)
    donor = units.ensure_giver(principal, unit)
    recipient = units.recipient_of(unit, recipient_id)
    activity = await check_activity(unit, activity_id)
    cleaned = clean_items(items)
    day = check_day(donated_on, what="捐赠日期")
    note = clean_text(note, what="备注", max_length=NOTE_MAX)
    async with in_transaction():
        row = await Donation.create(
            **unit.key,
            donor_id=donor,
            recipient_id=recipient,
            donated_on=day,
            activity_id=activity,
            note=note,
            recorded_by_id=principal.person_id,
        )
        await _write_items(row, cleaned)
    bundle = await donation_bundle(row)
    await _audit(principal, row, "create", detail={"content": donation_payload(bundle)})
    return await present(principal, bundle, unit)


async def _write_items(row: Donation, cleaned: list[dict]) -> None:
    await DonationItem.filter(donation_id=row.id).delete()
    for position, item in enumerate(cleaned):
        await DonationItem.create(donation_id=row.id, position=position, **item)


async def _audit(
    principal: Principal, row: Donation, act: str, *, reason: str = "", detail: dict | None = None
) -> None:
    await record_action(
        actor_id=principal.person_id,
        action=f"ledger.donation.{act}",
        target_type="donation",
        target_id=row.id,
        reason=reason,
        detail=detail,
    )


async def _giver_bundle(
    principal: Principal, donation_id: int
) -> tuple[DonationBundle, units.Unit]:
    bundle, unit = await _visible(principal, donation_id)
    if not (principal.is_admin or bundle.row.donor_id in units.keeps_books_of(principal)):
        raise Forbidden("只有捐赠方的园长或组织者可以修改捐赠记录")
    return bundle, unit


async def update_donation(*, principal: Principal, donation_id: int, changes: dict) -> dict:
    """Change an unconfirmed donation (date, recipient, activity, note, items); audited."""
    bundle, unit = await _giver_bundle(principal, donation_id)
    locking.ensure_changeable(bundle.row, bundle.current_hash)
    row, before = bundle.row, donation_payload(bundle)
    if "donated_on" in changes:
        row.donated_on = check_day(changes["donated_on"], what="捐赠日期")
    if "recipient_id" in changes:
        row.recipient_id = units.recipient_of(unit, changes["recipient_id"])
    if "activity_id" in changes:
        row.activity_id = await check_activity(unit, changes["activity_id"])
    if "note" in changes:
        row.note = clean_text(changes["note"], what="备注", max_length=NOTE_MAX)
    cleaned = clean_items(changes["items"]) if changes.get("items") is not None else None
    async with in_transaction():
        fresh = await Donation.filter(id=row.id).select_for_update().get()
        if fresh.updated_at != row.updated_at:
            raise DomainError("conflict", "记录已被他人修改，请刷新后再试", status=409)
        await row.save()
        if cleaned is not None:
            await _write_items(row, cleaned)
    bundle = await donation_bundle(row)
    after = donation_payload(bundle)
    if after != before:
        await _audit(principal, row, "update", detail={"before": before, "after": after})
    return await present(principal, bundle, unit)


async def void_donation(*, principal: Principal, donation_id: int, reason: str | None) -> dict:
    """Void an unconfirmed donation (it stays listed, struck through, and counts nowhere)."""
    bundle, unit = await _giver_bundle(principal, donation_id)
    locking.ensure_changeable(bundle.row, bundle.current_hash)
    reason = locking.clean_reason(reason, what="作废")
    done = await Donation.filter(id=bundle.row.id, voided_at=None, confirmed_at=None).update(
        voided_at=now(), void_reason=reason
    )
    if not done:
        raise DomainError("conflict", "记录状态已变化，请刷新后再试", status=409)
    await _audit(principal, bundle.row, "void", reason=reason)
    return await get_donation(principal=principal, donation_id=donation_id)


# ---- confirming -------------------------------------------------------------------------


def _outcomes(bundle: DonationBundle, outcomes: list[dict]) -> dict[int, dict]:
    """Every item's outcome exactly once; items of other donations are unknown items."""
    by_id = {i.id: i for i in bundle.items}
    found: dict[int, dict] = {}
    for given in outcomes or []:
        item = by_id.get(given.get("item_id"))
        if item is None:
            raise NotFound("捐赠物品")
        if item.id in found:
            raise DomainError("duplicate_item", f"物品“{item.name}”的接收情况填写了两次")
        try:
            outcome = ItemOutcome(given.get("outcome") or "")
        except ValueError:
            outcome = ItemOutcome.PENDING
        if outcome == ItemOutcome.PENDING:
            raise DomainError(
                "invalid_outcome", f"请为“{item.name}”选择接收情况：已收到、数量不足或有损坏"
            )
        note = clean_text(given.get("note"), what=f"“{item.name}”的说明", max_length=NOTE_MAX)
        received = item.quantity
        if outcome == ItemOutcome.SHORT:
            received = given.get("received_quantity")
            if (
                isinstance(received, bool)
                or not isinstance(received, int)
                or not (0 <= received < item.quantity)
            ):
                raise DomainError(
                    "invalid_quantity",
                    f"“{item.name}”数量不足：请填写实际收到的数量（0 至 {item.quantity - 1}）",
                )
        if outcome == ItemOutcome.DAMAGED and not note:
            raise DomainError("note_required", f"请说明“{item.name}”的损坏情况")
        found[item.id] = {"outcome": outcome, "received_quantity": received, "outcome_note": note}
    missing = [i.name for i in bundle.items if i.id not in found]
    if missing:
        raise DomainError("outcome_required", f"请逐项确认接收情况，尚未填写：{'、'.join(missing)}")
    return found


async def confirm_donation(
    *, principal: Principal, donation_id: int, outcomes: list[dict], content_hash: str | None
) -> dict:
    """The receiving director confirms receipt item by item; the donation is then locked."""
    bundle, unit = await _visible(principal, donation_id)
    row = bundle.row
    if row.recipient_id not in units.directs(principal):
        raise Forbidden("只有接收园的园长可以确认收到捐赠")
    if row.recorded_by_id is not None and row.recorded_by_id == principal.person_id:
        raise DomainError(
            "same_person_both_sides",
            "登记捐赠的人不能同时确认接收，请由接收园的另一位园长确认",
            status=403,
        )
    current = bundle.current_hash
    locking.ensure_changeable(row, current)
    locking.check_seen(content_hash, current)
    found = _outcomes(bundle, outcomes)
    async with in_transaction():
        fresh = await Donation.filter(id=row.id).select_for_update().get()
        if locking.state(fresh, current) in ("confirmed", "void"):
            raise DomainError("conflict", "记录状态已变化，请刷新后再试", status=409)
        for item_id, values in found.items():
            await DonationItem.filter(id=item_id).update(**values)
        await Donation.filter(id=row.id).update(
            content_hash=current, confirmed_by_id=principal.person_id, confirmed_at=now()
        )
    outcomes_text = {str(i): v["outcome"].value for i, v in found.items()}
    await _audit(
        principal, row, "confirm", detail={"content_hash": current, "outcomes": outcomes_text}
    )
    return await get_donation(principal=principal, donation_id=donation_id)


async def reopen_donation(*, principal: Principal, donation_id: int, reason: str | None) -> dict:
    """Withdraw the confirmation so the donation may change again (a director of either side)."""
    bundle, unit = await _visible(principal, donation_id)
    row = bundle.row
    if not principal.is_admin and not {row.donor_id, row.recipient_id} & units.directs(principal):
        raise Forbidden("只有捐赠双方的园长或管理员可以撤销确认")
    reason = locking.clean_reason(reason, what="撤销确认")
    if row.confirmed_at is None or row.voided_at is not None:
        raise DomainError("not_confirmed", "该记录尚未确认，无需撤销", status=409)
    previous = {
        "confirmed_by": row.confirmed_by_id,
        "confirmed_at": row.confirmed_at.isoformat(),
        "content_hash": row.content_hash,
        "outcomes": {str(i.id): str(i.outcome) for i in bundle.items},
    }
    async with in_transaction():
        done = await Donation.filter(
            id=row.id, confirmed_at__isnull=False, content_hash=row.content_hash
        ).update(content_hash="", confirmed_by_id=None, confirmed_at=None)
        if not done:
            raise DomainError("conflict", "记录状态已变化，请刷新后再试", status=409)
        await DonationItem.filter(donation_id=row.id).update(
            outcome=ItemOutcome.PENDING, received_quantity=None, outcome_note=""
        )
    await _audit(principal, row, "reopen", reason=reason, detail={"previous": previous})
    return await get_donation(principal=principal, donation_id=donation_id)


# ---- photos -----------------------------------------------------------------------------


async def ensure_may_upload(*, principal: Principal, donation_id: int) -> None:
    """Refuse before the upload is read unless the caller may add a photo now."""
    bundle, unit = await _visible(principal, donation_id)
    if not donation_actions(principal, bundle, unit)["upload"]:
        locking.ensure_changeable(bundle.row, bundle.current_hash)
        raise Forbidden("只有捐赠双方的园长或组织者可以上传照片")


async def add_photo(
    *,
    principal: Principal,
    donation_id: int,
    data: bytes,
    filename: str | None,
    data_dir: Path,
    max_bytes: int,
) -> dict:
    """A photo of the donation (EXIF and GPS removed); part of what the recipient confirms."""
    await ensure_may_upload(principal=principal, donation_id=donation_id)
    checked = files.check_upload(data, filename, kind="photo", max_bytes=max_bytes)
    photo = await files.store_ledger_file(
        model=LedgerFile,
        owner={"donation_id": donation_id},
        kind=LedgerFileKind.PHOTO,
        checked=checked,
        data_dir=data_dir,
        uploader_id=principal.person_id,
        limit=MAX_PHOTOS,
        too_many=DomainError("too_many_photos", f"一条捐赠记录最多 {MAX_PHOTOS} 张照片"),
    )
    if photo is None:  # the same photo again
        return await get_donation(principal=principal, donation_id=donation_id)
    row = await Donation.get(id=donation_id)
    await _audit(principal, row, "photo", detail={"file_id": photo.id, "sha256": photo.sha256})
    return await get_donation(principal=principal, donation_id=donation_id)
